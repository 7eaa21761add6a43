// Bash loadable builtins for a validated shell (`input: "validated"`, issue 14), which loads them first thing
// (`enable -f ccmux_shell_builtins.node ccmux_nodump ccmux_cwd ccmux_tty`).
//
// `ccmux_nodump` makes the shell non-dumpable:
// after that, the programs it runs (same uid) can no longer open its /proc/<pid>/fd/* (its command stream, which a
// pipe's /proc entry would let them open for writing, and its report channel), read its memory (the marks'
// secret) or its environ, or ptrace it. Dumpable is reset to 1 by every execve, so the programs themselves are
// unaffected. The struct below is bash's `struct builtin` (builtins.h), spelled out so that no bash headers are
// needed to build it.
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

// bash's WORD_DESC and WORD_LIST (command.h), for the arguments.
struct word_desc {
  char *word;
  int flags;
};
struct word_list {
  struct word_list *next;
  struct word_desc *word;
};
// bash's own function (variables.c), which the bash loading this module exports: sets a shell variable.
extern void *bind_variable(const char *name, char *value, int flags);

struct builtin {
  char *name;
  int (*function)(struct word_list *);
  int flags;
  char *const *long_doc;
  const char *short_doc;
  char *handle;
};

// Returns 0 when the shell is non-dumpable (EXECUTION_SUCCESS), 1 otherwise, so the start-up can fail closed.
static int ccmux_nodump_builtin(struct word_list *list) {
  (void)list;
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return 1;
  return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 1;
}

static char *const ccmux_nodump_doc[] = {"Makes this shell non-dumpable (ccmux validated shell).", NULL};

// BUILTIN_ENABLED (0x01) as in bash's builtins.h.
struct builtin ccmux_nodump_struct = {
    "ccmux_nodump", ccmux_nodump_builtin, 0x01, ccmux_nodump_doc, "ccmux_nodump", NULL,
};

// `ccmux_cwd [FD | -v NAME]` gives the shell's working directory as the kernel knows it (getcwd(3)): printed to
// standard output with no newline, or, given FD, written to FD as its exact bytes and a NUL, or put in variable NAME. Bash's own `pwd -P` resolves
// the path in $PWD instead: after the directory was moved and a symlink put in its place, it names the symlink's
// target, not the directory the shell is in. FD exists because `$(…)` drops trailing newlines: a directory named
// `a<newline>` read back that way is `a` (an attack review made ccmux check paths against a neighbour that way).
static int ccmux_cwd_builtin(struct word_list *list) {
  char path[PATH_MAX];
  if (getcwd(path, sizeof path) == NULL) return 1;
  if (list == NULL || list->word == NULL || list->word->word == NULL) {
    return fputs(path, stdout) == EOF || fflush(stdout) == EOF ? 1 : 0;
  }
  if (strcmp(list->word->word, "-v") == 0) {
    // `-v NAME`: into shell variable NAME, without the fork a `$(…)` costs.
    if (list->next == NULL || list->next->word == NULL || list->next->word->word == NULL) return 2;
    return bind_variable(list->next->word->word, path, 0) == NULL ? 1 : 0;
  }
  char *end = NULL;
  long fd = strtol(list->word->word, &end, 10);
  if (end == list->word->word || *end != '\0' || fd < 0 || fd > 65535) return 2;
  size_t length = strlen(path) + 1; // the NUL too
  const char *next = path;
  while (length > 0) {
    ssize_t written = write((int)fd, next, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return 1;
    next += written;
    length -= (size_t)written;
  }
  return 0;
}

static char *const ccmux_cwd_doc[] = {"Gives the working directory as getcwd(3) does, on stdout or NUL-ended on FD (ccmux).", NULL};

struct builtin ccmux_cwd_struct = {
    "ccmux_cwd", ccmux_cwd_builtin, 0x01, ccmux_cwd_doc, "ccmux_cwd", NULL,
};

// `ccmux_tty save` keeps the terminal's modes (fd 0) as they are at the shell's start; `ccmux_tty restore` puts
// them back after every command, as an interactive bash does after each job: a program that set `stty raw` or
// turned echo off, or died in a full-screen mode, does not leave the next command its modes. SIGTTOU is blocked
// around the change, so a shell that is not in front (a program took the terminal) is not stopped by it.
static struct termios saved_modes;
static int have_saved_modes = 0;

static int ccmux_tty_builtin(struct word_list *list) {
  const char *what = list != NULL && list->word != NULL ? list->word->word : NULL;
  if (what != NULL && strcmp(what, "save") == 0) {
    if (tcgetattr(0, &saved_modes) != 0) return 1;
    have_saved_modes = 1;
    return 0;
  }
  if (what == NULL || strcmp(what, "restore") != 0) return 2;
  if (!have_saved_modes) return 1;
  sigset_t ttou;
  sigset_t before;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  sigprocmask(SIG_BLOCK, &ttou, &before);
  int failed = tcsetattr(0, TCSADRAIN, &saved_modes) != 0;
  sigprocmask(SIG_SETMASK, &before, NULL);
  return failed;
}

static char *const ccmux_tty_doc[] = {"Saves the terminal's modes, or restores them (ccmux validated shell).", NULL};

struct builtin ccmux_tty_struct = {
    "ccmux_tty", ccmux_tty_builtin, 0x01, ccmux_tty_doc, "ccmux_tty save|restore", NULL,
};
