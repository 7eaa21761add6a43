// A bash loadable builtin that makes the shell loading it non-dumpable (issue 14). A validated shell
// (`input: "validated"`) loads it first thing (`enable -f ccmux_nodump.so ccmux_nodump`, then `ccmux_nodump`):
// after that, the programs it runs (same uid) can no longer open its /proc/<pid>/fd/* (its command stream, which a
// pipe's /proc entry would let them open for writing, and its report channel), read its memory (the marks'
// secret) or its environ, or ptrace it. Dumpable is reset to 1 by every execve, so the programs themselves are
// unaffected. The struct below is bash's `struct builtin` (builtins.h), spelled out so that no bash headers are
// needed to build it.
#include <stddef.h>
#include <sys/prctl.h>

struct word_list;
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
