// What the validated shells' native builtins share (issue 14): bash's loadable builtins (shell-builtins.c) and
// zsh's module (zsh-module.c) call these, each from its own shell's calling convention.
#ifndef CCMUX_SHELL_COMMON_H
#define CCMUX_SHELL_COMMON_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

// Makes the calling shell non-dumpable. Returns 0 once it is, 1 otherwise, so that the start-up fails closed.
// Security: after it, the programs the shell runs (same uid) can no longer open its /proc/<pid>/fd/* (its command
// stream, which a pipe's /proc entry would let them open for writing, and its report channel), read its memory
// (the marks' secret) or its environ, or ptrace it. Dumpable is reset to 1 by every execve, so the programs
// themselves are unaffected.
static inline int ccmux_make_nondumpable(void) {
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return 1;
  return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 1;
}

// Writes all of `length` bytes to `fd`. Returns 0, or 1 when the descriptor fails.
static inline int ccmux_write_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, bytes, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return 1;
    bytes += written;
    length -= (size_t)written;
  }
  return 0;
}

// Parses a descriptor number written in decimal (0..65535). Returns it, or -1.
static inline int ccmux_parse_fd(const char *word) {
  char *end = NULL;
  long fd = strtol(word, &end, 10);
  if (end == word || *end != '\0' || fd < 0 || fd > 65535) return -1;
  return (int)fd;
}

// Writes the working directory as the kernel knows it (getcwd(3)) to `fd`: its exact bytes, then a NUL when
// `nul_ended`. The shells' own `pwd -P` resolves the path in $PWD instead: after the directory was moved and a
// symlink put in its place, it names the symlink's target, not the directory the shell is in; and `$(…)` drops
// trailing newlines (an attack review made ccmux check paths against the neighbour of a directory named `a⏎`).
static inline int ccmux_write_cwd(int fd, int nul_ended) {
  char path[PATH_MAX];
  if (getcwd(path, sizeof path) == NULL) return 1;
  return ccmux_write_all(fd, path, strlen(path) + (nul_ended ? 1 : 0));
}

// The terminal's modes (fd 0) as the shell started, put back after every command, as an interactive bash does
// after each job: a program that set `stty raw` or turned echo off, or died in a full-screen mode, does not leave
// the next command its modes.
static struct termios ccmux_saved_modes;
static int ccmux_have_saved_modes = 0;

static inline int ccmux_save_tty(void) {
  if (tcgetattr(0, &ccmux_saved_modes) != 0) return 1;
  ccmux_have_saved_modes = 1;
  return 0;
}

// Puts the saved modes back and resumes output a program suspended (tcflow TCOOFF: an attack review held the
// shell's end mark in the terminal that way, and the command never ended for ccmux); with `take_front`, also
// makes the shell's process group the terminal's foreground group again (what bash does after every foreground
// job; zsh gives the terminal back only when the job's group is gone or was signalled). SIGTTOU is blocked around
// all of it, so a shell that is not in front is not stopped.
static inline int ccmux_restore_tty(int take_front) {
  if (!ccmux_have_saved_modes) return 1;
  sigset_t ttou;
  sigset_t before;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  sigprocmask(SIG_BLOCK, &ttou, &before);
  int failed = tcflow(0, TCOON) != 0;
  if (tcsetattr(0, TCSANOW, &ccmux_saved_modes) != 0) failed = 1;
  if (take_front && tcsetpgrp(0, getpgrp()) != 0) failed = 1;
  sigprocmask(SIG_SETMASK, &before, NULL);
  return failed;
}

#endif
