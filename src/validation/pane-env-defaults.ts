/**
 * Variables every pane gets unless the policy's `env.set` names them (env.pass and the agent cannot change
 * them). The rule for what belongs here: a default may only turn "wait for a person to page through output"
 * into "print all of it and exit". It never answers a question for the person, never changes what a command
 * writes, installs or commits, and never changes what it prints. A pager is the one everyday UI that fits:
 * under `input: none` or `keys` the agent cannot send `q`, so `git log` in `less` hangs until kill_pane and
 * the agent sees one page.
 *
 * Left out on purpose (a person who wants them puts them in env.set):
 * - MANPAGER, SYSTEMD_PAGER, GH_PAGER, AWS_PAGER, PSQL_PAGER: each falls back to PAGER. They reach a pane only
 *   through env.pass or env.set (the agent may never set a `*_PAGER`), i.e. only when the person chose them.
 *   gh's and the AWS CLI's own pager settings live in ~/.config/gh and ~/.aws, which the sandbox hides.
 * - LESS: options for less; cannot make a long output exit (only -F, for output shorter than a screen).
 * - EDITOR, VISUAL, GIT_EDITOR, GIT_SEQUENCE_EDITOR: `git commit` without -m waits in an editor, but `true`
 *   or `false` as editor changes the outcome (`git merge` commits its default message, or stops half-way);
 *   an agent with `input: raw` can drive the editor, and `-m` avoids it.
 * - GIT_TERMINAL_PROMPT, DEBIAN_FRONTEND, npm_config_yes, CI: they answer or refuse prompts for the person
 *   (npx would download and run a package unasked) or change what tools print and do.
 * - progress bars (npm, pip, apt): they redraw in place and end; nothing waits for a key.
 */
export const PANE_ENV_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  /**
   * The pager every pager-using CLI falls back to: man(1) MANPAGER then PAGER; systemctl/journalctl
   * SYSTEMD_PAGER then PAGER (systemd.1 ENVIRONMENT); gh GH_PAGER, config, then PAGER; psql PSQL_PAGER then
   * PAGER; the AWS CLI AWS_PAGER, cli_pager, then PAGER. `cat` prints everything and exits.
   */
  PAGER: "cat",
  /**
   * git(1) ENVIRONMENT: GIT_PAGER wins over core.pager and pager.<cmd> (git-config(1)), which ~/.gitconfig
   * or the workspace's own .git/config may set (`delta`, `less -S`); git runs no pager at all for `cat`.
   * PAGER alone would lose to them.
   */
  GIT_PAGER: "cat",
});

/**
 * Variables ccmux itself decides for every agent pane, after env.set: env.set may not name them. TERM is the
 * terminal the pane's emulator implements (set for every pane, by buildChildEnv). LESSSECURE=1 turns off
 * less's shell escapes, editor and file writes (less(1) SECURITY) in agent panes.
 */
export const RESERVED_PANE_ENV: readonly string[] = ["TERM", "LESSSECURE"];

/** Set in every agent pane after everything else: see RESERVED_PANE_ENV. */
export const AGENT_PANE_ENV: Readonly<Record<string, string>> = Object.freeze({ LESSSECURE: "1" });
