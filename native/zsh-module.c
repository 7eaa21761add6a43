// The zsh module of a validated zsh (`input: "validated"`, issue 14), loaded first thing as `zmodload ccmux_shell`:
// the builtins bash gets from shell-builtins.c, with zsh's calling convention, plus `ccmux_stopped`, since zsh's
// `jobs` prints no bare process ids. It is built against the zsh headers of the zsh on this machine (zsh-dev) and
// refuses to load into another version: zsh modules use its internal structures, such as the job table.
#define MODULE
#include <zsh/zsh.mdh>
#include <zsh/version.h>

#include "shell-common.h"

// `ccmux_nodump`: see ccmux_make_nondumpable.
static int bin_ccmux_nodump(UNUSED(char *name), UNUSED(char **args), UNUSED(Options ops), UNUSED(int func)) {
  return ccmux_make_nondumpable();
}

// `ccmux_cwd [FD | -v NAME]`: the working directory as getcwd(3) gives it, on stdout with no newline, NUL-ended on
// FD, or into parameter NAME.
static int bin_ccmux_cwd(UNUSED(char *name), char **args, UNUSED(Options ops), UNUSED(int func)) {
  if (args[0] == NULL) return ccmux_write_cwd(1, 0);
  if (strcmp(args[0], "-v") == 0) {
    char path[PATH_MAX];
    if (args[1] == NULL || getcwd(path, sizeof path) == NULL) return 1;
    // zsh keeps strings metafied: the parameter holds the exact bytes once unmetafied again.
    return setsparam(args[1], metafy(path, -1, META_DUP)) == NULL ? 1 : 0;
  }
  int fd = ccmux_parse_fd(args[0]);
  return fd < 0 ? 2 : ccmux_write_cwd(fd, 1);
}

// `ccmux_tty save|restore`: the terminal's modes as the shell started, put back after every command, and the
// terminal given back to the shell's process group (see ccmux_restore_tty).
static int bin_ccmux_tty(UNUSED(char *name), char **args, UNUSED(Options ops), UNUSED(int func)) {
  if (args[0] != NULL && strcmp(args[0], "save") == 0) return ccmux_save_tty();
  if (args[0] == NULL || strcmp(args[0], "restore") != 0) return 2;
  return ccmux_restore_tty(1);
}

// `ccmux_stopped FD`: the process group of each stopped job, one per line, then a NUL, on FD (what `jobs -sp`
// gives in bash). ccmux compares them before and after a command to tell that the command was stopped (C-z).
static int bin_ccmux_stopped(UNUSED(char *name), char **args, UNUSED(Options ops), UNUSED(int func)) {
  int fd = ccmux_parse_fd(args[0]);
  if (fd < 0) return 2;
  for (int job = 1; job <= maxjob; job++) {
    struct job *entry = &jobtab[job];
    if (!(entry->stat & STAT_STOPPED) || (entry->stat & STAT_DONE) || entry->procs == NULL) continue;
    char line[32];
    int length = snprintf(line, sizeof line, "%ld\n", (long)(entry->gleader ? entry->gleader : entry->procs->pid));
    if (ccmux_write_all(fd, line, (size_t)length) != 0) return 1;
  }
  return ccmux_write_all(fd, "", 1);
}

// `ccmux_cloexec FD`: FD closes when the shell executes a program. Security: the report channel reaches no
// program the shell runs (bash closes it with a redirection on each command instead).
static int bin_ccmux_cloexec(UNUSED(char *name), char **args, UNUSED(Options ops), UNUSED(int func)) {
  int fd = ccmux_parse_fd(args[0]);
  if (fd < 0) return 2;
  int flags = fcntl(fd, F_GETFD);
  return flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0 ? 1 : 0;
}

static struct builtin bintab[] = {
    BUILTIN("ccmux_cloexec", 0, bin_ccmux_cloexec, 1, 1, 0, NULL, NULL),
    BUILTIN("ccmux_nodump", 0, bin_ccmux_nodump, 0, 0, 0, NULL, NULL),
    BUILTIN("ccmux_cwd", 0, bin_ccmux_cwd, 0, 2, 0, NULL, NULL),
    BUILTIN("ccmux_tty", 0, bin_ccmux_tty, 1, 1, 0, NULL, NULL),
    BUILTIN("ccmux_stopped", 0, bin_ccmux_stopped, 1, 1, 0, NULL, NULL),
};

static struct features module_features = {
    bintab, sizeof(bintab) / sizeof(*bintab), NULL, 0, NULL, 0, NULL, 0, 0,
};

int setup_(UNUSED(Module m)) { return 0; }

int features_(Module m, char ***features) {
  *features = featuresarray(m, &module_features);
  return 0;
}

int enables_(Module m, int **enables) { return handlefeatures(m, &module_features, enables); }

// Refuses a zsh of another version than the headers it was built with: their job table may differ.
int boot_(UNUSED(Module m)) {
  char *running = getsparam("ZSH_VERSION");
  if (running == NULL || strcmp(running, ZSH_VERSION) != 0) {
    zwarn("ccmux_shell: built for zsh %s, not %s", ZSH_VERSION, running ? running : "?");
    return 1;
  }
  return 0;
}

int cleanup_(Module m) { return setfeatureenables(m, &module_features, NULL); }

int finish_(UNUSED(Module m)) { return 0; }
