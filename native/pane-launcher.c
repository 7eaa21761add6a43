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
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void) {
  fputs("usage: pane_launcher hold -- ARGV... | pane_launcher run|run-group FD -- ARGV...\n", stderr);
  return 2;
}

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
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &action, NULL); // KILL, STOP, and libc's own refuse: fine
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
static int run(int status_fd, char **argv, int own_group) {
  block_all_signals();
  // Security: before the fork, so the program never finds a dumpable parent whose status pipe it could open
  // through /proc and write a false exit status into (exec makes the child dumpable again).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
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
    execv(argv[0], argv);
    fprintf(stderr, "ccmux: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
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

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "hold") == 0 && strcmp(argv[2], "--") == 0) return hold(argv + 3);
  int own_group = argc >= 2 && strcmp(argv[1], "run-group") == 0;
  if (argc >= 5 && (own_group || strcmp(argv[1], "run") == 0) && strcmp(argv[3], "--") == 0) {
    char *end = NULL;
    errno = 0;
    long fd = strtol(argv[2], &end, 10);
    if (errno != 0 || end == argv[2] || *end != '\0' || fd < 3 || fd > 65535) return usage();
    return run((int)fd, argv + 4, own_group);
  }
  return usage();
}
