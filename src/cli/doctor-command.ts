import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeMasterKey } from "../panes/journal/master-key.js";
import type { UserSwitch } from "../panes/user-switch.js";
import type { SandboxStatus } from "../shared/pane-words.js";
import { type CompiledPolicy, compilePolicy } from "../validation/policy-compile.js";
import { journalRoot, keepsScrollback } from "./pane-journals-setup.js";
import { defaultAuditPath, stateDir } from "./paths.js";
import { formatProblems, readPolicy } from "./policy-file.js";
import { findPolicy } from "./policy-location.js";
import { makeSandbox, paneUserSwitch, paneUserWarnings } from "./sandbox-setup.js";

/** One line of the posture report. */
export interface PostureCheck {
  check: string;
  value: string;
  /** good: protects panes; warn: a known gap; info: context; fail: serve would refuse every call. */
  status: "good" | "warn" | "info" | "fail";
  meaning: string;
}

/**
 * The policy doctor judges — found as serve finds it — with a line for each of its problems and warnings;
 * a policy that does not validate, or none, is judged on with the defaults on the current directory.
 */
function doctorPolicy(config: string | undefined): {
  policy: CompiledPolicy;
  file: string | undefined;
  checks: PostureCheck[];
} {
  const found = findPolicy(config);
  if (found.file === undefined) {
    return {
      policy: defaultPolicy(),
      file: undefined,
      checks: [
        {
          check: "policy",
          value: "none found; judged with the defaults on this directory",
          status: "warn",
          meaning: `serve would refuse every call with POLICY_INVALID: ${found.problem}`,
        },
      ],
    };
  }
  const note: PostureCheck[] =
    found.note === undefined ? [] : [{ check: "policy", value: found.note, status: "info", meaning: "" }];
  const load = readPolicy(found.file);
  if (!load.ok) {
    return {
      policy: defaultPolicy(),
      file: undefined,
      checks: [
        ...note,
        {
          check: "policy",
          value: `${found.file} does not validate (${load.problems.length} problem${load.problems.length === 1 ? "" : "s"}); judged with the defaults instead`,
          status: "fail",
          meaning: "serve would refuse every call with POLICY_INVALID, listing these problems",
        },
        ...formatProblems(found.file, load.problems).map(
          (line): PostureCheck => ({ check: "policy problem", value: line, status: "fail", meaning: "" }),
        ),
        ...load.warnings.map(warningCheck),
      ],
    };
  }
  return {
    policy: load.policy,
    file: found.file,
    checks: [
      ...note,
      { check: "policy", value: found.file, status: "info", meaning: "the sandbox settings judged below" },
      ...load.policy.warnings.map(warningCheck),
    ],
  };
}

function warningCheck(warning: string): PostureCheck {
  return { check: "policy warning", value: warning, status: "warn", meaning: "" };
}

function defaultPolicy(): CompiledPolicy {
  return compilePolicy(
    { workspace: ["."] },
    { baseDir: process.cwd(), serverPath: process.env.PATH, defaultAuditPath: defaultAuditPath() },
  );
}

/** What this machine offers against the threats the sandbox answers (seed §1.2, §4.1), and what it means. */
export function postureReport(options: { config?: string } = {}): PostureCheck[] {
  const { policy, file, checks } = doctorPolicy(options.config);
  const mode = policy.sandbox.mode;
  checks.push({
    check: "sandbox.mode",
    value: mode,
    status: mode === "required" ? "good" : "warn",
    meaning: {
      required: "panes run only inside the sandbox; a spawn is refused when it cannot be built",
      auto: "panes run UNSANDBOXED, with a warning, whenever the sandbox cannot be built",
      off: "panes run with the server's privileges: the policy decides what starts, not what it can do",
    }[mode],
  });
  let status: SandboxStatus;
  let userSwitch: UserSwitch | undefined;
  let userProblem: string | undefined;
  try {
    userSwitch = paneUserSwitch(policy, process.env);
  } catch (error) {
    userProblem = (error as Error).message;
  }
  try {
    status = makeSandbox(policy, file, join(stateDir(), "sessions"), process.env, userSwitch).status();
  } catch (error) {
    status = { available: false, reason: (error as Error).message };
  }
  checks.push({
    check: "pane sandbox (bubblewrap)",
    value: status.available ? "works" : `unavailable: ${status.reason}`,
    status: status.available ? "good" : "warn",
    meaning: status.available
      ? `panes get private PID/IPC/UTS${policy.sandbox.network ? "" : "/network"} namespaces, their own /proc and /dev/pts, a read-only system, hidden secrets and read-only git hooks`
      : "no pane sandbox is possible here (Debian: apt-get install bubblewrap)",
  });
  checks.push({
    check: "seccomp filter",
    value: status.available ? "active" : "inactive",
    status: status.available ? "good" : "warn",
    meaning: status.available
      ? "bwrap loads ccmux's filter: TIOCSTI/TIOCLINUX, new user namespaces, io_uring, keyrings, bpf, perf and userfaultfd are refused in panes"
      : "without the sandbox nothing stops a pane pushing keystrokes with TIOCSTI",
  });
  const legacy = readTrimmed("/proc/sys/dev/tty/legacy_tiocsti");
  checks.push({
    check: "dev.tty.legacy_tiocsti",
    value: legacy ?? "absent (kernel < 6.2)",
    status: legacy === "0" ? "good" : "warn",
    meaning:
      legacy === "0"
        ? "TIOCSTI needs CAP_SYS_ADMIN: ordinary processes cannot push keystrokes into a terminal"
        : `any process may push keystrokes into its terminal with TIOCSTI (seed §4.1); ${status.available ? "ccmux's seccomp filter stops it in sandboxed panes" : "only a seccomp filter stops it"}`,
  });
  const root = typeof process.geteuid === "function" && process.geteuid() === 0;
  checks.push({
    check: "running as root",
    value: root ? "yes" : "no",
    // A pane user that cannot be set up makes serve refuse every call (SANDBOX_UNAVAILABLE).
    status: root ? (userProblem === undefined ? "warn" : "fail") : "good",
    meaning: root
      ? rootMeaning(userSwitch, userProblem, paneUserWarnings(policy, userSwitch?.user))
      : "panes run as your user",
  });
  const userns = readTrimmed("/proc/sys/user/max_user_namespaces");
  checks.push({
    check: "user namespaces",
    value: userns ?? "unknown",
    status: "info",
    meaning:
      userns === "0"
        ? "disabled: bwrap can sandbox only when run as root or setuid"
        : "available: bwrap can create namespaces without setuid",
  });
  const hidepid = procHidepid();
  checks.push({
    check: "/proc hidepid",
    value: hidepid ?? "off",
    status: hidepid && hidepid !== "0" && hidepid !== "off" ? "good" : "warn",
    meaning:
      hidepid && hidepid !== "0" && hidepid !== "off"
        ? "other users' processes are hidden in /proc"
        : `every process's command line is visible in /proc; environments only to the same user (seed §1.2)${status.available ? "; sandboxed panes see only their own /proc" : ""}`,
  });
  checks.push(paneHistoryCheck(policy));
  return checks;
}

/** Whether the daemon keeps pane history (issue 15), and where the key that protects it is. */
function paneHistoryCheck(policy: CompiledPolicy): PostureCheck {
  if (!keepsScrollback(policy, true)) {
    return {
      check: "pane history (persist.scrollback)",
      value: "not kept",
      status: "info",
      meaning: "the daemon keeps no pane history: a pane's output is gone when the daemon stops or dies",
    };
  }
  const key = describeMasterKey({ stateDir: journalRoot(), prefer: policy.persist.masterKey });
  const where =
    key.source === "keyring"
      ? `master key in the kernel keyring (${key.where}; never on disk, gone at reboot with the history it opens)`
      : `master key in ${key.where} (0600)`;
  return {
    check: "pane history (persist.scrollback)",
    value: `kept by the daemon, encrypted; ${key.source === "keyring" ? "keyring" : "key file"}${key.present ? "" : " (made on first use)"}`,
    status: key.problem ? "warn" : "good",
    meaning: key.problem
      ? `the daemon would keep no history: ${key.problem}`
      : `each agent pane's history is sealed with AES-256-GCM under a key of its own, wrapped by the ${where}; ccmux prune shreds what stopped daemons left`,
  };
}

/** Running as root is never called safe: say who panes run as instead, and what still depends on root. */
function rootMeaning(
  change: UserSwitch | undefined,
  problem: string | undefined,
  warnings: string[],
): string {
  if (problem !== undefined) return `serve would refuse every call (SANDBOX_UNAVAILABLE): ${problem}`;
  if (change === undefined) return "panes would run as root";
  const { name, uid } = change.user;
  const fit =
    warnings.length === 0 ? "it can write the workspace and run the policy's programs" : warnings.join("; ");
  return `the server itself runs as root (every process it starts begins as root, its audit log and state are root's): run ccmux as your own user where you can. Panes run as ${name} (uid ${uid}, sandbox.user) with no capabilities; ${fit}`;
}

/**
 * `ccmux doctor [--json]`: prints the report. Exit 1 when something in it makes serve refuse every call (a
 * policy that does not validate, a pane user that does not exist), else 0: the rest informs.
 */
export function doctor(options: { json?: boolean; config?: string }): number {
  const report = postureReport(options.config === undefined ? {} : { config: options.config });
  const code = report.some((item) => item.status === "fail") ? 1 : 0;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return code;
  }
  const mark = { good: "ok  ", warn: "WARN", info: "    ", fail: "FAIL" } as const;
  for (const item of report) {
    const meaning = item.meaning === "" ? "" : `\n        ${item.meaning}`;
    process.stdout.write(`${mark[item.status]}  ${item.check}: ${item.value}${meaning}\n`);
  }
  return code;
}

function readTrimmed(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, "utf8").trim() : undefined;
  } catch {
    return undefined;
  }
}

function procHidepid(): string | undefined {
  const mounts = readTrimmed("/proc/self/mounts") ?? "";
  const proc = mounts.split("\n").find((line) => line.split(" ")[1] === "/proc");
  return proc ? /hidepid=([^,\s]+)/.exec(proc)?.[1] : undefined;
}
