// A pty and a program started on it without fork(2): node-pty's native `fork` made over, for spares (issue 16).
//
// node-pty starts a program with forkpty(3): a fork of this whole process, whose page tables the kernel copies
// while the calling thread waits. For the server (120-130 MB resident, 15 threads) that held its one JavaScript
// thread 5-16 ms on a 2-core machine, once per pane, and a spare made after each spawn landed in the middle of the
// next one's. posix_spawn(3) starts the child with clone(CLONE_VM | CLONE_VFORK): nothing is copied, and this thread
// waits only until the child has called execve (about a millisecond).
//
// ptySpawn takes node-pty's `fork` arguments and returns what it returns, so that node-pty's UnixTerminal (its
// reading, writing, resizing and exit ordering) runs unchanged on top (src/panes/pty-fork.ts). The child is set up
// as forkpty and node-pty set it up: a new session whose controlling terminal is the pty (POSIX_SPAWN_SETSID, then
// the pty's slave opened without O_NOCTTY as descriptor 0), 0-2 on the slave, node-pty's terminal modes and size,
// every signal's disposition default and none blocked, `cwd` the working directory, `env` its whole environment.
// Two differences: `file` is executed as given (an absolute path; node-pty searches PATH), and a `cwd` or program
// that cannot be used fails the call here instead of in the child (node-pty's child prints the error and exits 1).
// The exit is reported as node-pty reports it, onexit(exitCode, signal) on this thread, from a pidfd watched in
// libuv's loop instead of a thread blocked in waitpid per child.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#include "napi-strings.h"
#include "pty-spawn.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/** A child whose exit is awaited: its pidfd polled in the loop, and node-pty's onexit to call. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref onexit;
  napi_async_context context;
  pid_t pid;
  int pidfd;
} exit_watch;

/** The terminal modes node-pty's fork gives every pty (src/unix/pty.cc, PtyFork), IUTF8 with `utf8`. */
static void node_pty_modes(struct termios *t, bool utf8) {
  memset(t, 0, sizeof(*t));
  t->c_iflag = ICRNL | IXON | IXANY | IMAXBEL | BRKINT | (utf8 ? IUTF8 : 0);
  t->c_oflag = OPOST | ONLCR;
  t->c_cflag = CREAD | CS8 | HUPCL;
  t->c_lflag = ICANON | ISIG | IEXTEN | ECHO | ECHOE | ECHOK | ECHOKE | ECHOCTL;
  t->c_cc[VEOF] = 4;
  t->c_cc[VEOL] = (cc_t)-1;
  t->c_cc[VEOL2] = (cc_t)-1;
  t->c_cc[VERASE] = 0x7f;
  t->c_cc[VWERASE] = 23;
  t->c_cc[VKILL] = 21;
  t->c_cc[VREPRINT] = 18;
  t->c_cc[VINTR] = 3;
  t->c_cc[VQUIT] = 0x1c;
  t->c_cc[VSUSP] = 26;
  t->c_cc[VSTART] = 17;
  t->c_cc[VSTOP] = 19;
  t->c_cc[VLNEXT] = 22;
  t->c_cc[VDISCARD] = 15;
  t->c_cc[VMIN] = 1;
  t->c_cc[VTIME] = 0;
  cfsetispeed(t, B38400);
  cfsetospeed(t, B38400);
}

static void watch_closed(uv_handle_t *handle) {
  free(handle->data);
}

/** The child's pidfd is readable: it exited. Reaps it and calls onexit(exitCode, signal) as node-pty does. */
static void on_exit_ready(uv_poll_t *poll, int status, int events) {
  (void)status;
  (void)events;
  exit_watch *watch = poll->data;
  int wstatus = 0;
  pid_t reaped;
  do {
    reaped = waitpid(watch->pid, &wstatus, WNOHANG);
  } while (reaped == -1 && errno == EINTR);
  if (reaped == 0) return;  // not yet reapable: the next readiness tells again
  int exit_code = 0;
  int signal_code = 0;
  if (reaped == watch->pid) {
    if (WIFEXITED(wstatus)) exit_code = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) signal_code = WTERMSIG(wstatus);
  }
  // reaped == -1 (ECHILD): someone else reaped it; node-pty reports 0, 0 then too.
  uv_poll_stop(poll);
  close(watch->pidfd);
  napi_env env = watch->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value onexit;
  napi_value global;
  napi_value args[2];
  napi_get_reference_value(env, watch->onexit, &onexit);
  napi_get_global(env, &global);
  napi_create_int32(env, exit_code, &args[0]);
  napi_create_int32(env, signal_code, &args[1]);
  napi_value ignored;
  if (napi_make_callback(env, watch->context, global, onexit, 2, args, &ignored) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
  napi_delete_reference(env, watch->onexit);
  napi_async_destroy(env, watch->context);
  uv_close((uv_handle_t *)poll, watch_closed);
}

/** Throws Error `code` with `what` and errno's text. */
static napi_value throw_errno(napi_env env, const char *code, const char *what, int error) {
  char message[256];
  snprintf(message, sizeof(message), "%s: %s (errno %d)", what, strerror(error), error);
  napi_throw_error(env, code, message);
  return NULL;
}

// ptySpawn(file, args, env, cwd, cols, rows, uid, gid, utf8, helperPath, onexit) -> { fd, pid, pty }: see the top.
// uid and gid must be -1 (ccmux never asks node-pty to switch users); helperPath is unused (macOS's).
static napi_value pty_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  int32_t cols, rows, uid, gid;
  bool utf8;
  napi_valuetype onexit_type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 11 ||
      napi_get_value_int32(env, argv[4], &cols) != napi_ok || napi_get_value_int32(env, argv[5], &rows) != napi_ok ||
      napi_get_value_int32(env, argv[6], &uid) != napi_ok || napi_get_value_int32(env, argv[7], &gid) != napi_ok ||
      napi_get_value_bool(env, argv[8], &utf8) != napi_ok || napi_typeof(env, argv[10], &onexit_type) != napi_ok ||
      onexit_type != napi_function || uid != -1 || gid != -1 || cols <= 0 || rows <= 0 || cols > 0xffff ||
      rows > 0xffff) {
    napi_throw_type_error(env, NULL,
                          "ptySpawn(file, args, env, cwd, cols, rows, uid: -1, gid: -1, utf8, helperPath, onexit)");
    return NULL;
  }
  char *file = ccmux_string_of(env, argv[0]);
  char *cwd = ccmux_string_of(env, argv[3]);
  char **args = file == NULL ? NULL : ccmux_strings_of(env, argv[1], file);
  char **envp = ccmux_strings_of(env, argv[2], NULL);
  napi_value result = NULL;
  int master = -1;
  int slave = -1;
  int pidfd = -1;
  pid_t pid = -1;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  bool have_actions = false;
  bool have_attributes = false;
  if (file == NULL || cwd == NULL || args == NULL || envp == NULL || file[0] != '/') {
    napi_throw_type_error(env, NULL, "ptySpawn: file must be an absolute path; args, env and cwd strings without NUL");
    goto done;
  }
  // Security: the master is close-on-exec from the start, so that no program started meanwhile by another thread
  // holds it (node-pty's forkpty leaves it inheritable until PtyProcess marks it).
  master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  char name[128];
  if (master == -1 || grantpt(master) == -1 || unlockpt(master) == -1 || ptsname_r(master, name, sizeof(name)) != 0) {
    throw_errno(env, "EPTYSPAWN", "opening a pty", errno);
    goto done;
  }
  // The modes and size go on the slave before the child opens it, as openpty(3) does for forkpty.
  slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  struct termios modes;
  node_pty_modes(&modes, utf8);
  struct winsize size = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (slave == -1 || tcsetattr(slave, TCSANOW, &modes) == -1 || ioctl(slave, TIOCSWINSZ, &size) == -1) {
    throw_errno(env, "EPTYSPAWN", "setting up the pty", errno);
    goto done;
  }
  int error = posix_spawn_file_actions_init(&actions);
  have_actions = error == 0;
  if (error == 0 && cwd[0] != '\0') error = posix_spawn_file_actions_addchdir_np(&actions, cwd);
  // After setsid (POSIX_SPAWN_SETSID comes before the file actions), opening the slave without O_NOCTTY makes it
  // the session's controlling terminal, as login_tty's TIOCSCTTY does.
  if (error == 0) error = posix_spawn_file_actions_addopen(&actions, 0, name, O_RDWR, 0);
  if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, 0, 1);
  if (error == 0) error = posix_spawn_file_actions_adddup2(&actions, 0, 2);
  if (error == 0) error = posix_spawnattr_init(&attributes);
  have_attributes = have_actions && error == 0;
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  if (error == 0) error = posix_spawnattr_setsigdefault(&attributes, &all);
  if (error == 0) error = posix_spawnattr_setsigmask(&attributes, &none);
  if (error == 0)
    error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (error == 0) error = posix_spawn(&pid, file, &actions, &attributes, args, envp);
  if (error != 0) {
    pid = -1;
    throw_errno(env, "EPTYSPAWN", "posix_spawn", error);
    goto done;
  }
  pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  int flags = fcntl(master, F_GETFL);
  uv_loop_t *loop = NULL;
  exit_watch *watch = NULL;
  if (pidfd == -1 || flags == -1 || fcntl(master, F_SETFL, flags | O_NONBLOCK) == -1 ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || (watch = calloc(1, sizeof(*watch))) == NULL) {
    int saved = errno;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) == -1 && errno == EINTR) {
    }
    pid = -1;
    throw_errno(env, "EPTYSPAWN", "watching the child's exit (pidfd_open)", saved);
    goto done;
  }
  watch->env = env;
  watch->pid = pid;
  watch->pidfd = pidfd;
  watch->poll.data = watch;
  napi_value resource_name;
  napi_create_string_utf8(env, "ccmux:ptySpawn", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_reference(env, argv[10], 1, &watch->onexit);
  napi_async_init(env, NULL, resource_name, &watch->context);
  uv_poll_init(loop, &watch->poll, pidfd);
  uv_poll_start(&watch->poll, UV_READABLE, on_exit_ready);
  pidfd = -1;  // the watch owns it
  napi_value value;
  napi_create_object(env, &result);
  napi_create_int32(env, master, &value);
  napi_set_named_property(env, result, "fd", value);
  napi_create_int32(env, pid, &value);
  napi_set_named_property(env, result, "pid", value);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "pty", value);
  master = -1;  // the caller's now
done:
  if (have_actions) posix_spawn_file_actions_destroy(&actions);
  if (have_attributes) posix_spawnattr_destroy(&attributes);
  if (slave != -1) close(slave);
  if (master != -1) close(master);
  if (pidfd != -1) close(pidfd);
  free(file);
  free(cwd);
  ccmux_free_strings(args);
  ccmux_free_strings(envp);
  return result;
}

void ccmux_register_pty_spawn(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "ptySpawn", NAPI_AUTO_LENGTH, pty_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "ptySpawn", fn);
}
