// Bash loadable builtins for a validated shell (`input: "validated"`, issue 14), which loads them first thing
// (`enable -f ccmux_shell_builtins.node ccmux_nodump ccmux_cwd ccmux_tty`); zsh-module.c is zsh's counterpart, and
// shell-common.h holds what they do. The struct below is bash's `struct builtin` (builtins.h), spelled out so that
// no bash headers are needed to build it.
#include <stdio.h>

#include "shell-common.h"

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
  return ccmux_make_nondumpable();
}

static char *const ccmux_nodump_doc[] = {"Makes this shell non-dumpable (ccmux validated shell).", NULL};

// BUILTIN_ENABLED (0x01) as in bash's builtins.h.
struct builtin ccmux_nodump_struct = {
    "ccmux_nodump", ccmux_nodump_builtin, 0x01, ccmux_nodump_doc, "ccmux_nodump", NULL,
};

// `ccmux_cwd [FD | -v NAME]` gives the shell's working directory as the kernel knows it (getcwd(3)): printed to
// standard output with no newline, or, given FD, written to FD as its exact bytes and a NUL (ccmux_write_cwd), or
// put in variable NAME.
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
  int fd = ccmux_parse_fd(list->word->word);
  return fd < 0 ? 2 : ccmux_write_cwd(fd, 1);
}

static char *const ccmux_cwd_doc[] = {"Gives the working directory as getcwd(3) does, on stdout or NUL-ended on FD (ccmux).", NULL};

struct builtin ccmux_cwd_struct = {
    "ccmux_cwd", ccmux_cwd_builtin, 0x01, ccmux_cwd_doc, "ccmux_cwd", NULL,
};

// `ccmux_tty save` keeps the terminal's modes as they are at the shell's start; `ccmux_tty restore` puts them back
// after every command (ccmux_restore_tty; bash takes the terminal back itself).
static int ccmux_tty_builtin(struct word_list *list) {
  const char *what = list != NULL && list->word != NULL ? list->word->word : NULL;
  if (what != NULL && strcmp(what, "save") == 0) return ccmux_save_tty();
  if (what == NULL || strcmp(what, "restore") != 0) return 2;
  return ccmux_restore_tty(0);
}

static char *const ccmux_tty_doc[] = {"Saves the terminal's modes, or restores them (ccmux validated shell).", NULL};

struct builtin ccmux_tty_struct = {
    "ccmux_tty", ccmux_tty_builtin, 0x01, ccmux_tty_doc, "ccmux_tty save|restore", NULL,
};
