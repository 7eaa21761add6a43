// Sets or clears FD_CLOEXEC on a file descriptor: Node has no fcntl. ccmux needs it twice:
// - pty master fds opened by node-pty (forkpty) are inheritable, so every later pane would hold every earlier
//   pane's master and could type into it or read it (seed §6.1); they are marked close-on-exec after spawn;
// - the sandbox hands bwrap its seccomp program on an inherited fd, which must not be close-on-exec.
// It also takes and releases flock(2) locks, which Node lacks too: servers sharing one audit log take turns so
// that each record extends the one hash chain.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <node_api.h>
#include <string.h>

static napi_value set_cloexec(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool on = true;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, NULL, "setCloexec(fd: number, on: boolean)");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFD);
  if (flags == -1 || fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC)) == -1) {
    napi_throw_error(env, "EBADF", strerror(errno));
    return NULL;
  }
  return NULL;
}

// flock(fd, exclusive ? LOCK_EX : LOCK_UN), retried on EINTR. Blocks while another process holds the lock.
static napi_value flock_fd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool lock = true;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &lock) != napi_ok) {
    napi_throw_type_error(env, NULL, "flock(fd: number, lock: boolean)");
    return NULL;
  }
  int result;
  do {
    result = flock(fd, lock ? LOCK_EX : LOCK_UN);
  } while (result == -1 && errno == EINTR);
  if (result == -1) {
    napi_throw_error(env, "EFLOCK", strerror(errno));
    return NULL;
  }
  return NULL;
}

// flock(fd, LOCK_EX | LOCK_NB): true when taken, false when another holds it (EWOULDBLOCK).
static napi_value try_flock(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "tryFlock(fd: number)");
    return NULL;
  }
  int result;
  do {
    result = flock(fd, LOCK_EX | LOCK_NB);
  } while (result == -1 && errno == EINTR);
  if (result == -1 && errno != EWOULDBLOCK) {
    napi_throw_error(env, "EFLOCK", strerror(errno));
    return NULL;
  }
  napi_value taken;
  napi_get_boolean(env, result == 0, &taken);
  return taken;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setCloexec", NAPI_AUTO_LENGTH, set_cloexec, NULL, &fn);
  napi_set_named_property(env, exports, "setCloexec", fn);
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, flock_fd, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  napi_create_function(env, "tryFlock", NAPI_AUTO_LENGTH, try_flock, NULL, &fn);
  napi_set_named_property(env, exports, "tryFlock", fn);
  return exports;
}
