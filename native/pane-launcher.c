// The two execs around bubblewrap that make a sandboxed pane take signals and report its end as an unsandboxed
// one does (issue 10). Without them bwrap shares the terminal's foreground process group with the program: a
// C-c (SIGINT from the line discipline) or kill_pane's SIGTERM kills bwrap, and bwrap's --die-with-parent then
// SIGKILLs the program; and bwrap reports a program killed by signal N as exit code 128+N.
//
//   pane_launcher hold -- ARGV...
//     On the host, in place of bwrap: blocks every signal, then execs ARGV (bwrap). A blocked mask survives exec
//     and fork, so bwrap, its PID-namespace init and `run` below ignore the terminal's and kill_pane's signals
//     while staying in the foreground group. Nothing moves to another process group, so the program's group
//     is orphaned exactly as without the sandbox (its parents' group's parent, the server, is in another
//     session), and a C-z without a handler is dropped by the kernel in both cases. SIGKILL (kill sweep,
//     --die-with-parent) cannot be blocked.
//
//   pane_launcher run FD -- ARGV...   (run-group: the program also gets a process group of its own, in front)
//     In the sandbox, the last exec before the program. Forks; the child closes FD, restores every signal
//     disposition to default and an empty mask (what node-pty gives an unsandboxed program) and execs ARGV. The
//     parent keeps every signal blocked, makes itself non-dumpable (the program, same uid, cannot open its
//     /proc/<pid>/fd/FD), waits for the child and writes one line to FD: "exit N\n" or "signal N\n". Then it
//     exits as bwrap would report the child (N, or 128+N). FD is a pipe the server holds the other end of.
//
//   pane_launcher await FD REQUEST_FD
//     `run`, for a sandbox built ahead of its spawn (a spare, issue 16): it first reads what to run from
//     REQUEST_FD, a pipe only the server writes, to its end: the directory, the user to run as, then the argv
//     and the environment, each string NUL-terminated and each list after its count
//     ("DIR\0" "USER\0" "N\0" ARGV... "M\0" ENV...; USER is "" or "UID:GID"). An empty request (the server let
//     the spare go) exits 0 without running anything. REQUEST_FD is closed before the program starts; the
//     program's environment is the request's alone. With a USER, the child switches to it before the exec, as
//     setpriv did (see switch_user); the launcher itself stays who it was.
//
//   pane_launcher exec REQUEST_FD
//     An unsandboxed pane started ahead of its spawn: reads the request as `await` does, then becomes the
//     program (switching user first when the request names one), so the pane's process is the program itself.
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void) {
  fputs("usage: pane_launcher hold -- ARGV... | pane_launcher run|run-group FD -- ARGV... | pane_launcher await FD "
        "REQUEST_FD | pane_launcher exec REQUEST_FD\n",
        stderr);
  return 2;
}

/** Who a request's program runs as: `change` 0 for the launcher's own user. */
struct user {
  int change;
  uid_t uid;
  gid_t gid;
};

/** A request read from the server (see `await`). */
struct request {
  char *dir;
  struct user user;
  char **argv;
  char **envp;
};

/** The largest request `await` reads, and the most strings its argv or environment may hold. */
#define MAX_REQUEST_BYTES (1 << 20)
#define MAX_REQUEST_WORDS 65536

static void block_all_signals(void) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
}

// The child's signal state as node-pty leaves an unsandboxed program's: default dispositions, empty mask.
static void default_signals(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sigaction(sig, &action, NULL) == 0 || errno != EINVAL || sig == SIGKILL || sig == SIGSTOP) continue;
    // libc's own signals (glibc's 32 and 33: thread cancellation, set*id) are refused by sigaction. A spare's
    // launcher, started with posix_spawn (pty-spawn.c), finds them ignored (glibc's posix_spawn sets them so in
    // its child), and an ignored signal stays ignored across exec: the kernel is asked directly (its struct
    // sigaction: handler, flags, restorer, a 64-signal mask).
    struct {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)(void);
      uint64_t mask;
    } kernel_action = {SIG_DFL, 0, NULL, 0};
    syscall(SYS_rt_sigaction, sig, &kernel_action, NULL, sizeof kernel_action.mask);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static int write_all(int fd, const char *text, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, text, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return -1;
    text += written;
    length -= (size_t)written;
  }
  return 0;
}

static int hold(char **argv) {
  block_all_signals();
  execv(argv[0], argv);
  fprintf(stderr, "ccmux: cannot run %s: %s\n", argv[0], strerror(errno));
  return 127;
}

// `own_group`: the program leads a process group of its own and takes the terminal's foreground (a shell with job
// control, issue 14: in the sandbox's PID namespace the launcher's group is not visible to it, so the shell could
// never hand the terminal back to it after a job). Done while every signal is still blocked (no SIGTTOU).
// Security: what `setpriv --reuid --regid --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs`
// did for a root server's panes (see user-switch.ts), without its exec: the pane runs as the unprivileged user,
// no supplementary groups (root's group 0 would stay), no capability in any set nor in the bounding set (what it
// runs can never gain one, setuid programs such as su included), no_new_privs. Every step is checked after.
static int switch_user(const struct user *user) {
  if (user->uid == 0 || user->gid == 0) {
    errno = EPERM;
    return -1;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  // The bounding set before the uid: dropping needs CAP_SETPCAP, which the uid change takes away.
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -1;
  if (setgroups(0, NULL) != 0) return -1;
  if (setresgid(user->gid, user->gid, user->gid) != 0) return -1;
  // All three uids non-zero: the kernel clears the permitted and effective sets.
  if (setresuid(user->uid, user->uid, user->uid) != 0) return -1;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  memset(caps, 0, sizeof caps);
  if (syscall(SYS_capset, &header, caps) != 0) return -1;
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (getresuid(&ruid, &euid, &suid) != 0 || ruid != user->uid || euid != user->uid || suid != user->uid) return -1;
  if (getresgid(&rgid, &egid, &sgid) != 0 || rgid != user->gid || egid != user->gid || sgid != user->gid) return -1;
  if (getgroups(0, NULL) != 0) return -1;
  if (syscall(SYS_capget, &header, caps) != 0) return -1;
  for (int i = 0; i < 2; i++)
    if (caps[i].effective != 0 || caps[i].permitted != 0 || caps[i].inheritable != 0) return -1;
  for (int cap = 0;; cap++) {
    int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (held < 0) break;
    if (held != 0) return -1;
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0) > 0) return -1;
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return -1;
  errno = 0;
  return 0;
}

// Exec of the program: with `user->change`, as that user (switch_user) first; `envp` NULL keeps the launcher's
// environment. Returns only when it failed, after saying why on the terminal.
static int exec_program(char **argv, char **envp, const struct user *user) {
  if (user != NULL && user->change && switch_user(user) != 0) {
    fprintf(stderr, "ccmux: cannot run %s as uid %u: %s\n", argv[0], (unsigned)user->uid, strerror(errno));
    return 127;
  }
  if (envp != NULL)
    execve(argv[0], argv, envp);
  else
    execv(argv[0], argv);
  fprintf(stderr, "ccmux: cannot run %s: %s\n", argv[0], strerror(errno));
  return 127;
}

// `envp`: the program's environment, or NULL for the launcher's own (`run`, which bwrap's was built for).
// `user`: whom the program runs as (the child switches; the launcher stays who it was), or NULL.
static int launch(int status_fd, char **argv, char **envp, int own_group, const struct user *user) {
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "ccmux: cannot start %s: %s\n", argv[0], strerror(errno));
    return 127;
  }
  if (child == 0) {
    close(status_fd);
    if (own_group && (setpgid(0, 0) != 0 || tcsetpgrp(0, getpid()) != 0)) {
      fprintf(stderr, "ccmux: cannot give %s the terminal: %s\n", argv[0], strerror(errno));
      _exit(127);
    }
    default_signals();
    _exit(exec_program(argv, envp, user));
  }
  // The parent never touches the terminal: it cannot be stopped for background reads or writes, nor keep the
  // pty open after the program.
  for (int fd = 0; fd <= 2; fd++) close(fd);
  int status;
  pid_t waited;
  do {
    waited = waitpid(child, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited != child) return 127;
  char record[32];
  int code;
  int length;
  if (WIFSIGNALED(status)) {
    length = snprintf(record, sizeof record, "signal %d\n", WTERMSIG(status));
    code = 128 + WTERMSIG(status);
  } else {
    length = snprintf(record, sizeof record, "exit %d\n", WEXITSTATUS(status));
    code = WEXITSTATUS(status);
  }
  write_all(status_fd, record, (size_t)length);
  close(status_fd);
  return code;
}

static void guard(void) {
  block_all_signals();
  // Security: before the fork, so the program never finds a dumpable parent whose status pipe it could open
  // through /proc and write a false exit status into (exec makes the child dumpable again). For `await`, also
  // while it waits: a process of the pane user cannot read its request pipe or ptrace it.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int run(int status_fd, char **argv, int own_group) {
  guard();
  return launch(status_fd, argv, NULL, own_group, NULL);
}

// The next NUL-terminated string at *cursor (before end), or NULL when there is none.
static char *next_string(char **cursor, char *end) {
  char *start = *cursor;
  char *nul = memchr(start, '\0', (size_t)(end - start));
  if (nul == NULL) return NULL;
  *cursor = nul + 1;
  return start;
}

// `count` strings from *cursor into a new NULL-terminated array, after their count; NULL when malformed.
static char **read_list(char **cursor, char *end, long min) {
  char *count_text = next_string(cursor, end);
  if (count_text == NULL || *count_text == '\0') return NULL;
  char *after = NULL;
  errno = 0;
  long count = strtol(count_text, &after, 10);
  if (errno != 0 || *after != '\0' || count < min || count > MAX_REQUEST_WORDS) return NULL;
  char **list = calloc((size_t)count + 1, sizeof *list);
  if (list == NULL) return NULL;
  for (long i = 0; i < count; i++) {
    list[i] = next_string(cursor, end);
    if (list[i] == NULL) return NULL;
  }
  return list;
}

// "" (no switch) or "UID:GID", both decimal.
static int parse_user(const char *text, struct user *user) {
  user->change = 0;
  if (*text == '\0') return 0;
  char *after = NULL;
  errno = 0;
  unsigned long uid = strtoul(text, &after, 10);
  if (errno != 0 || after == text || *after != ':' || uid > 0x7fffffffUL) return -1;
  const char *rest = after + 1;
  unsigned long gid = strtoul(rest, &after, 10);
  if (errno != 0 || after == rest || *after != '\0' || gid > 0x7fffffffUL) return -1;
  *user = (struct user){1, (uid_t)uid, (gid_t)gid};
  return 0;
}

// Reads a request from `request_fd` to its end and closes it: 0 when one was read, 1 when it was empty (the server
// let the spare go), -1 (said on the terminal) when it was malformed or too large.
static int read_request(int request_fd, struct request *request) {
  char *buffer = malloc(MAX_REQUEST_BYTES + 1);
  if (buffer == NULL) return -1;
  size_t length = 0;
  for (;;) {
    ssize_t got = read(request_fd, buffer + length, MAX_REQUEST_BYTES + 1 - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) break;
    length += (size_t)got;
    if (length > MAX_REQUEST_BYTES) {
      fputs("ccmux: the spawn request is too large\n", stderr);
      return -1;
    }
  }
  close(request_fd);
  if (length == 0) return 1;
  char *cursor = buffer;
  char *end = buffer + length;
  request->dir = next_string(&cursor, end);
  char *user = request->dir == NULL ? NULL : next_string(&cursor, end);
  request->argv = user == NULL || parse_user(user, &request->user) != 0 ? NULL : read_list(&cursor, end, 1);
  request->envp = request->argv == NULL ? NULL : read_list(&cursor, end, 0);
  if (request->envp == NULL || cursor != end || request->argv[0][0] != '/') {
    fputs("ccmux: the spawn request is malformed\n", stderr);
    return -1;
  }
  if (chdir(request->dir) != 0) {
    fprintf(stderr, "ccmux: cannot enter %s: %s\n", request->dir, strerror(errno));
    return -1;
  }
  return 0;
}

static int await_request(int status_fd, int request_fd) {
  guard();
  struct request request;
  int outcome = read_request(request_fd, &request);
  if (outcome != 0) return outcome > 0 ? 0 : 127;
  return launch(status_fd, request.argv, request.envp, 0, &request.user);
}

static int exec_request(int request_fd) {
  // Security: while it waits, a process of the same user cannot read its request pipe or ptrace it (the exec
  // makes the program dumpable again, as any).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct request request;
  int outcome = read_request(request_fd, &request);
  if (outcome != 0) return outcome > 0 ? 0 : 127;
  default_signals();
  return exec_program(request.argv, request.envp, &request.user);
}

static int descriptor(const char *text) {
  char *end = NULL;
  errno = 0;
  long fd = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || fd < 3 || fd > 65535) return -1;
  return (int)fd;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "hold") == 0 && strcmp(argv[2], "--") == 0) return hold(argv + 3);
  int own_group = argc >= 2 && strcmp(argv[1], "run-group") == 0;
  if (argc >= 5 && (own_group || strcmp(argv[1], "run") == 0) && strcmp(argv[3], "--") == 0) {
    int fd = descriptor(argv[2]);
    if (fd < 0) return usage();
    return run(fd, argv + 4, own_group);
  }
  if (argc == 4 && strcmp(argv[1], "await") == 0) {
    int fd = descriptor(argv[2]);
    int request_fd = descriptor(argv[3]);
    if (fd < 0 || request_fd < 0 || fd == request_fd) return usage();
    return await_request(fd, request_fd);
  }
  if (argc == 3 && strcmp(argv[1], "exec") == 0) {
    int request_fd = descriptor(argv[2]);
    if (request_fd < 0) return usage();
    return exec_request(request_fd);
  }
  return usage();
}
