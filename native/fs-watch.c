// inotify(7) and a zero-timeout poll(2), which Node lacks in a form that can be read synchronously: fs.watch
// delivers events on a later turn of the event loop, so a check made now could miss a change the kernel has
// already queued. A spare sandbox (issue 16) is used without planning its mounts again only while nothing its
// plan read has changed: the kernel queues an event for every change before the call making it returns, and
// watchRead drains that queue at the spawn, in the same turn.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <node_api.h>

#include "fs-watch.h"

/** Longest path watchAdd takes (PATH_MAX). */
#define MAX_PATH_BYTES 4096
/** Bytes one watchRead call returns at most: the caller reads again until it gets null. */
#define READ_BYTES 65536

static bool int_arg(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

// The one argument of a call taking a descriptor; false (and a TypeError with `usage` thrown) when it is not one.
static bool fd_only_arg(napi_env env, napi_callback_info info, const char *usage, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !int_arg(env, argv[0], fd)) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

// Copies string `value` into `path`: 0, or minus errno for a path that is empty or too long (ENAMETOOLONG), or
// holds NUL (EINVAL: it would name another file than the caller's string). `value` must be a string.
static int path_arg(napi_env env, napi_value value, char path[MAX_PATH_BYTES]) {
  size_t length = 0;
  napi_get_value_string_utf8(env, value, NULL, 0, &length);
  if (length == 0 || length >= MAX_PATH_BYTES) return -ENAMETOOLONG;
  napi_get_value_string_utf8(env, value, path, MAX_PATH_BYTES, &length);
  return strlen(path) == length ? 0 : -EINVAL;
}

// watchOpen(): a new inotify instance, non-blocking and close-on-exec. Throws EWATCH with errno's text (EMFILE
// when the uid has max_user_instances already).
static napi_value watch_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd == -1) {
    napi_throw_error(env, "EWATCH", strerror(errno));
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

// watchAdd(fd, path, mask): the watch descriptor (inotify_add_watch), or minus errno (ENOENT, EACCES, ENOTDIR,
// ENOSPC when the uid has max_user_watches already): a failure is the caller's to weigh, not an exception.
static napi_value watch_add(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd = -1;
  uint32_t mask = 0;
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 || !int_arg(env, argv[0], &fd) ||
      napi_get_value_uint32(env, argv[2], &mask) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "watchAdd(fd: number, path: string, mask: number)");
    return NULL;
  }
  napi_value result;
  char path[MAX_PATH_BYTES];
  int answer = path_arg(env, argv[1], path);
  if (answer == 0) {
    int wd = inotify_add_watch(fd, path, mask);
    answer = wd == -1 ? -errno : wd;
  }
  napi_create_int32(env, answer, &result);
  return result;
}

// watchRead(fd): the events queued on inotify instance `fd` (struct inotify_event, packed as the kernel writes
// them), up to READ_BYTES at a time; null when none is queued. Throws EWATCH on a failure other than EAGAIN.
static napi_value watch_read(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!fd_only_arg(env, info, "watchRead(fd: number)", &fd)) return NULL;
  char *buffer = malloc(READ_BYTES);
  if (buffer == NULL) {
    napi_throw_error(env, "EWATCH", strerror(ENOMEM));
    return NULL;
  }
  ssize_t got;
  do {
    got = read(fd, buffer, READ_BYTES);
  } while (got == -1 && errno == EINTR);
  if (got == -1 && errno != EAGAIN) {
    int saved = errno;
    free(buffer);
    napi_throw_error(env, "EWATCH", strerror(saved));
    return NULL;
  }
  napi_value result;
  if (got <= 0) {
    free(buffer);
    napi_get_null(env, &result);
    return result;
  }
  void *data = NULL;
  napi_create_buffer_copy(env, (size_t)got, buffer, &data, &result);
  free(buffer);
  return result;
}

// pollPriority(fd): whether poll(2) with no wait reports POLLPRI or POLLERR on `fd`: for /proc/self/mountinfo,
// that the mount table changed since the file was opened or last polled (proc(5)). Throws EWATCH when poll fails.
static napi_value poll_priority(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!fd_only_arg(env, info, "pollPriority(fd: number)", &fd)) return NULL;
  struct pollfd one = {.fd = fd, .events = POLLPRI};
  int ready;
  do {
    ready = poll(&one, 1, 0);
  } while (ready == -1 && errno == EINTR);
  if (ready == -1) {
    napi_throw_error(env, "EWATCH", strerror(errno));
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, ready > 0 && (one.revents & (POLLPRI | POLLERR | POLLNVAL)) != 0, &result);
  return result;
}

#ifndef FS_CASEFOLD_FL
#define FS_CASEFOLD_FL 0x40000000
#endif

// caseFolded(path): 1 when directory `path` looks names up without regard to case (FS_CASEFOLD_FL: ext4, f2fs,
// tmpfs and bcachefs with casefold), 0 when not (or its file system keeps no such flags), -1 when it cannot be
// opened as a directory. A watch that tells names apart by their bytes misses a name made in another case there.
static napi_value case_folded(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "caseFolded(path: string)");
    return NULL;
  }
  napi_value result;
  char path[MAX_PATH_BYTES];
  int answer = -1;
  int fd = path_arg(env, argv[0], path) == 0 ? open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) : -1;
  if (fd != -1) {
    int flags = 0;
    answer = ioctl(fd, FS_IOC_GETFLAGS, &flags) == -1 ? 0 : (flags & FS_CASEFOLD_FL) != 0;
    close(fd);
  }
  napi_create_int32(env, answer, &result);
  return result;
}

void ccmux_register_fs_watch(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "watchOpen", NAPI_AUTO_LENGTH, watch_open, NULL, &fn);
  napi_set_named_property(env, exports, "watchOpen", fn);
  napi_create_function(env, "watchAdd", NAPI_AUTO_LENGTH, watch_add, NULL, &fn);
  napi_set_named_property(env, exports, "watchAdd", fn);
  napi_create_function(env, "watchRead", NAPI_AUTO_LENGTH, watch_read, NULL, &fn);
  napi_set_named_property(env, exports, "watchRead", fn);
  napi_create_function(env, "pollPriority", NAPI_AUTO_LENGTH, poll_priority, NULL, &fn);
  napi_set_named_property(env, exports, "pollPriority", fn);
  napi_create_function(env, "caseFolded", NAPI_AUTO_LENGTH, case_folded, NULL, &fn);
  napi_set_named_property(env, exports, "caseFolded", fn);
}
