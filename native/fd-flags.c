// Sets or clears FD_CLOEXEC on a file descriptor: Node has no fcntl. ccmux needs it twice:
// - pty master fds opened by node-pty (forkpty) are inheritable, so every later pane would hold every earlier
//   pane's master and could type into it or read it (seed §6.1); they are marked close-on-exec after spawn;
// - the sandbox hands bwrap its seccomp program on an inherited fd, which must not be close-on-exec.
// It also takes and releases flock(2) locks, which Node lacks too: servers sharing one audit log take turns so
// that each record extends the one hash chain.
// And it makes the server a child subreaper and reaps the orphans that adopts (prctl and waitpid on a pid Node
// did not spawn): a pane's processes that lose their parent come to the server, not to init, so they stay
// countable against limits.maxProcesses and killable with their pane.
// And it reads a Unix socket's peer credentials (SO_PEERCRED), which Node does not expose: the daemon refuses a
// connection from another uid, and a client checks that the daemon it reached is its own.
// And it reaches the kernel keyring (keyring.c) for the journal's master key.
// And it watches files with inotify (fs-watch.c), read synchronously: a spare sandbox's plan stays valid until then.
// And it executes a program in place of this process (execv, which Node 20 lacks): the bridge starts again with
// V8 flags only a command line can set.
// And it duplicates a pty master close-on-exec (fcntl F_DUPFD_CLOEXEC), so the screen thread can read it.
// And it starts a pane's program on a new pty without forking this process (pty-spawn.c): a spare costs this
// thread a millisecond instead of a fork's 5-16 ms.
// And it tells how much typed input a pane's program has not read yet (ioctls Node lacks), so that a lone
// Escape reaches the program before the next key is written.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <node_api.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fs-watch.h"
#include "proc-stats.h"
#include "pty-spawn.h"
#include "keyring.h"
#include "napi-strings.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

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

// prctl(PR_SET_DUMPABLE, 0): processes of the same uid can no longer ptrace this one, read its memory, environ or
// descriptors through /proc, or copy its descriptors with pidfd_getfd; no core dump is written.
static napi_value set_non_dumpable(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
    napi_throw_error(env, "EPRCTL", strerror(errno));
    return NULL;
  }
  return NULL;
}

// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process instead of init.
static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
    napi_throw_error(env, "EPRCTL", strerror(errno));
    return NULL;
  }
  return NULL;
}

// waitpid(pid, WNOHANG) for one exited child: true when it was reaped, false when it has not exited or is not
// our child (ECHILD). Only for children Node's own machinery does not wait for (adopted orphans).
static napi_value reap_child(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "reapChild(pid: number > 0)");
    return NULL;
  }
  pid_t result;
  int status;
  do {
    result = waitpid(pid, &status, WNOHANG);
  } while (result == -1 && errno == EINTR);
  napi_value reaped;
  napi_get_boolean(env, result == pid, &reaped);
  return reaped;
}

// The one argument of the pty calls below: a descriptor number >= 0. Throws a TypeError naming `usage` otherwise.
static bool pty_fd_arg(napi_env env, napi_callback_info info, const char *usage, int32_t *fd) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

// A slave descriptor of the pty whose master is `master` (TIOCGPTPEER, Linux 4.13+: no path lookup, no
// controlling-terminal change), polled once because n_tty_poll flushes the pty's pending buffer work into the line
// discipline (without it, bytes just written are not seen yet); -1 when the kernel cannot give one.
// Security: pane escape — a slave descriptor a later pane inherited would let it type into this pane: it is
// close-on-exec, and the callers close it before returning (no spawn runs in between: this is synchronous on
// Node's thread).
static int pty_peer(int master) {
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (slave >= 0) {
    struct pollfd probe = {.fd = slave, .events = POLLIN, .revents = 0};
    while (poll(&probe, 1, 0) == -1 && errno == EINTR) {
    }
  }
  return slave;
}

// Bytes written to the pty master `fd` that the program has not read yet, or -1 when the kernel cannot tell.
// TIOCOUTQ on a Linux pty master is always 0 (ptys keep no output queue), so this asks the slave side (pty_peer),
// with TIOCINQ. In canonical mode only complete lines count: a partial line is all the program can get anyway.
static napi_value pty_input_queued(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!pty_fd_arg(env, info, "ptyInputQueued(fd: number >= 0)", &fd)) return NULL;
  int queued = -1;
  int slave = pty_peer(fd);
  if (slave >= 0) {
    if (ioctl(slave, TIOCINQ, &queued) == -1) queued = -1;
    close(slave);
  }
  napi_value result;
  napi_create_int32(env, queued, &result);
  return result;
}

// The foreground process group of the pty whose master is `fd` (TIOCGPGRP on the master answers for its slave,
// as tcgetpgrp does): the process group a C-c reaches and the one that may read the terminal. -1 when the kernel
// cannot tell (the slave closed, no session).
static napi_value foreground_group(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!pty_fd_arg(env, info, "foregroundGroup(fd: number >= 0)", &fd)) return NULL;
  pid_t group = -1;
  if (ioctl(fd, TIOCGPGRP, &group) == -1) group = -1;
  napi_value result;
  napi_create_int32(env, (int32_t)group, &result);
  return result;
}

// A second descriptor for the pty master `fd`, close-on-exec from the start (F_DUPFD_CLOEXEC: no moment in which a
// spawn could inherit it). The screen thread reads a pane's output through it (worker-screens.ts). Throws EDUP.
static napi_value dup_cloexec(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!pty_fd_arg(env, info, "dupCloexec(fd: number >= 0)", &fd)) return NULL;
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy == -1) {
    napi_throw_error(env, "EDUP", strerror(errno));
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, copy, &result);
  return result;
}

// Discards what was written to the pty master `fd` and not yet read by the program (tcflush(TCIFLUSH) on a slave
// descriptor, pty_peer). Returns false when the kernel cannot do it.
static napi_value flush_pty_input(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!pty_fd_arg(env, info, "flushPtyInput(fd: number >= 0)", &fd)) return NULL;
  bool flushed = false;
  int slave = pty_peer(fd);
  if (slave >= 0) {
    flushed = tcflush(slave, TCIFLUSH) == 0;
    close(slave);
  }
  napi_value result;
  napi_get_boolean(env, flushed, &result);
  return result;
}

// pipe2(O_CLOEXEC), the read end non-blocking unless `nonBlockingRead` is false: [readFd, writeFd]. Both close-on-exec; the write end is made
// inheritable only around the one spawn it is meant for.
static napi_value make_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool non_blocking_read = true;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1) {
    napi_valuetype type;
    napi_typeof(env, argv[0], &type);
    if (type == napi_boolean) napi_get_value_bool(env, argv[0], &non_blocking_read);
    else if (type != napi_undefined) {
      napi_throw_type_error(env, NULL, "makePipe(nonBlockingRead?: boolean)");
      return NULL;
    }
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) == -1) {
    napi_throw_error(env, "EPIPE2", strerror(errno));
    return NULL;
  }
  int flags = non_blocking_read ? fcntl(fds[0], F_GETFL) : 0;
  if (non_blocking_read && (flags == -1 || fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) == -1)) {
    int saved = errno;
    close(fds[0]);
    close(fds[1]);
    napi_throw_error(env, "EPIPE2", strerror(saved));
    return NULL;
  }
  napi_value pair;
  napi_value fd;
  napi_create_array_with_length(env, 2, &pair);
  napi_create_int32(env, fds[0], &fd);
  napi_set_element(env, pair, 0, fd);
  napi_create_int32(env, fds[1], &fd);
  napi_set_element(env, pair, 1, fd);
  return pair;
}

// getsockopt(fd, SOL_SOCKET, SO_PEERCRED): { pid, uid, gid } of the process at the other end of a connected Unix
// socket, as the kernel recorded them at connect() (client side) or listen() (server side). Throws EPEERCRED with
// errno's text.
// execv(file, argv) with this process's environment: the same pid, stdio and parent (other descriptors stay as
// their close-on-exec flags say). Returns only on failure, throwing EEXEC with errno's text.
static napi_value exec_in_place(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  uint32_t count = 0;
  bool is_array = false;
  if (argc < 2 || napi_is_array(env, args[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, args[1], &count) != napi_ok || count == 0 || count > 256) {
    napi_throw_type_error(env, "EEXEC", "expected a path and 1 to 256 arguments");
    return NULL;
  }
  // Heap copies (execv only returns on failure, which frees them).
  char *path = ccmux_string_of(env, args[0]);
  char **arguments = ccmux_strings_of(env, args[1], NULL);
  if (path != NULL && arguments != NULL) {
    // Node blocks every signal on this thread at times (and SIGUSR1 always); a program image started with them
    // blocked never sees SIGTERM or SIGINT, and Node's own start fails quietly. It starts with none blocked, as
    // a process its parent spawns does; on failure the mask is put back.
    sigset_t none, before;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, &before);
    // Node marks stdin, stdout and stderr close-on-exec at its start (uv_disable_stdio_inheritance): the new
    // image keeps them.
    int stdio_flags[3];
    for (int fd = 0; fd < 3; fd++) {
      stdio_flags[fd] = fcntl(fd, F_GETFD);
      if (stdio_flags[fd] != -1) fcntl(fd, F_SETFD, stdio_flags[fd] & ~FD_CLOEXEC);
    }
    execv(path, arguments);
    int failure = errno;
    for (int fd = 0; fd < 3; fd++)
      if (stdio_flags[fd] != -1) fcntl(fd, F_SETFD, stdio_flags[fd]);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    napi_throw_error(env, "EEXEC", strerror(failure));
  } else {
    napi_throw_type_error(env, "EEXEC", "the path and each argument must be strings without NUL");
  }
  free(path);
  ccmux_free_strings(arguments);
  return NULL;
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peerCred(fd: number >= 0)");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 || len != sizeof(cred)) {
    char message[160];
    int saved = errno;
    snprintf(message, sizeof(message), "SO_PEERCRED on fd %d failed: %s (errno %d)", fd,
             len != sizeof(cred) && saved == 0 ? "short answer" : strerror(saved), saved);
    napi_throw_error(env, "EPEERCRED", message);
    return NULL;
  }
  napi_value result;
  napi_value value;
  napi_create_object(env, &result);
  napi_create_int64(env, (int64_t)cred.pid, &value);
  napi_set_named_property(env, result, "pid", value);
  napi_create_int64(env, (int64_t)cred.uid, &value);
  napi_set_named_property(env, result, "uid", value);
  napi_create_int64(env, (int64_t)cred.gid, &value);
  napi_set_named_property(env, result, "gid", value);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setCloexec", NAPI_AUTO_LENGTH, set_cloexec, NULL, &fn);
  napi_set_named_property(env, exports, "setCloexec", fn);
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, flock_fd, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  napi_create_function(env, "tryFlock", NAPI_AUTO_LENGTH, try_flock, NULL, &fn);
  napi_set_named_property(env, exports, "tryFlock", fn);
  napi_create_function(env, "setChildSubreaper", NAPI_AUTO_LENGTH, set_child_subreaper, NULL, &fn);
  napi_set_named_property(env, exports, "setChildSubreaper", fn);
  napi_create_function(env, "setNonDumpable", NAPI_AUTO_LENGTH, set_non_dumpable, NULL, &fn);
  napi_set_named_property(env, exports, "setNonDumpable", fn);
  napi_create_function(env, "reapChild", NAPI_AUTO_LENGTH, reap_child, NULL, &fn);
  napi_set_named_property(env, exports, "reapChild", fn);
  napi_create_function(env, "dupCloexec", NAPI_AUTO_LENGTH, dup_cloexec, NULL, &fn);
  napi_set_named_property(env, exports, "dupCloexec", fn);
  napi_create_function(env, "foregroundGroup", NAPI_AUTO_LENGTH, foreground_group, NULL, &fn);
  napi_set_named_property(env, exports, "foregroundGroup", fn);
  napi_create_function(env, "flushPtyInput", NAPI_AUTO_LENGTH, flush_pty_input, NULL, &fn);
  napi_set_named_property(env, exports, "flushPtyInput", fn);
  napi_create_function(env, "ptyInputQueued", NAPI_AUTO_LENGTH, pty_input_queued, NULL, &fn);
  napi_set_named_property(env, exports, "ptyInputQueued", fn);
  napi_create_function(env, "makePipe", NAPI_AUTO_LENGTH, make_pipe, NULL, &fn);
  napi_set_named_property(env, exports, "makePipe", fn);
  napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn);
  napi_set_named_property(env, exports, "peerCred", fn);
  napi_create_function(env, "execInPlace", NAPI_AUTO_LENGTH, exec_in_place, NULL, &fn);
  napi_set_named_property(env, exports, "execInPlace", fn);
  ccmux_register_keyring(env, exports);
  ccmux_register_fs_watch(env, exports);
  ccmux_register_proc_stats(env, exports);
  ccmux_register_pty_spawn(env, exports);
  return exports;
}
