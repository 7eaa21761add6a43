import { existsSync } from "node:fs";
import { LAUNCHER_IN_SANDBOX } from "../../src/panes/sandbox/bwrap-args.js";

/**
 * True when this process runs inside a ccmux pane's sandbox: ccmux mounts its pane launcher at
 * LAUNCHER_IN_SANDBOX in every sandbox it builds, and nothing else puts a file there (the host's /dev is root's).
 */
export const INSIDE_PANE_SANDBOX = existsSync(LAUNCHER_IN_SANDBOX);

/**
 * The test files that need the host, not a pane: they build bubblewrap sandboxes, or plant files outside
 * the workspace and /tmp. Inside a pane's sandbox neither can be done, by design: its seccomp filter refuses new
 * user namespaces (bubblewrap needs one, and cannot be setuid under no_new_privs), and all but the workspace
 * and a private /tmp is read-only.
 */
export const NEEDS_THE_HOST = [
  // every suite that drives the built server: most build sandboxes, and test/support plants fixtures in /var/tmp
  "test/e2e/**",
  // hidden paths and .git protections are planned in /var/tmp (/tmp is left out of every plan)
  "test/unit/mount-plan*.test.ts",
  // stands up a daemon in a bubblewrap pid namespace of its own
  "test/daemon/daemon-socket-sandboxed-fake-daemon.test.ts",
  "test/unit/spare-fit.test.ts",
  // plans in /var/tmp, and mounts a tmpfs there as root
  "test/panes/plan-watch.test.ts",
  // builds a bubblewrap sandbox and plants a directory in /var/tmp
  "test/panes/spare-mounts.test.ts",
  // puts a process on a chosen pid through /proc/sys/kernel/ns_last_pid, which only the host's root can write
  "test/panes/session-id-reused.test.ts",
];

/** The note the suite prints when it leaves NEEDS_THE_HOST out. */
export const SKIPPED_INSIDE_PANE = `ccmux tests: running inside a ccmux pane's sandbox, which refuses new user namespaces, so bubblewrap cannot build the sandboxes the end-to-end suites test (and only the workspace and /tmp are writable).
Skipped: ${NEEDS_THE_HOST.join(", ")}. Run npm test outside ccmux for the whole suite.`;
