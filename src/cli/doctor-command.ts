import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SandboxStatus } from "../panes/sandbox/pane-sandbox.js";
import type { UserSwitch } from "../panes/user-switch.js";
import { type CompiledPolicy, compilePolicy } from "../validation/policy-compile.js";
import { defaultAuditPath, stateDir } from "./paths.js";
import { loadPolicy, locatePolicy } from "./policy-file.js";
import { makeSandbox, paneUserSwitch, paneUserWarnings } from "./sandbox-setup.js";

/** One line of the posture report. */
export interface PostureCheck {
  check: string;
  value: string;
  /** good: protects panes; warn: a known gap; info: context. */
  status: "good" | "warn" | "info";
  meaning: string;
}

/** The policy doctor judges: the one serve would use, else a default one on the current directory. */
function doctorPolicy(config: string | undefined): {
  policy: CompiledPolicy;
  file: string | undefined;
  note: string;
} {
  const file = locatePolicy(config, { workingDirectory: false }); // the one serve would use
  if (file !== undefined) {
    try {
      return { policy: loadPolicy(file), file, note: file };
    } catch (error) {
      return {
        policy: defaultPolicy(),
        file: undefined,
        note: `${file} does not load (${(error as Error).message}); judged with the defaults instead`,
      };
    }
  }
  return {
    policy: defaultPolicy(),
    file: undefined,
    note: "none found; judged with the defaults on this directory",
  };
}

function defaultPolicy(): CompiledPolicy {
  return compilePolicy(
    { workspace: ["."] },
    { baseDir: process.cwd(), serverPath: process.env.PATH, defaultAuditPath: defaultAuditPath() },
  );
}

/** What this machine offers against the threats the sandbox answers (seed §1.2, §4.1), and what it means. */
export function postureReport(options: { config?: string } = {}): PostureCheck[] {
  const checks: PostureCheck[] = [];
  const { policy, file, note } = doctorPolicy(options.config);
  checks.push({ check: "policy", value: note, status: "info", meaning: "the sandbox settings judged below" });
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
    status: root ? "warn" : "good",
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
  return checks;
}

/** Running as root is never called safe: say who panes run as instead, and what still depends on root. */
function rootMeaning(
  change: UserSwitch | undefined,
  problem: string | undefined,
  warnings: string[],
): string {
  if (problem !== undefined) return `serve will not start: ${problem}`;
  if (change === undefined) return "panes would run as root";
  const { name, uid } = change.user;
  const fit =
    warnings.length === 0 ? "it can write the workspace and run the policy's programs" : warnings.join("; ");
  return `the server itself runs as root (every process it starts begins as root, its audit log and state are root's): run ccmux as your own user where you can. Panes run as ${name} (uid ${uid}, sandbox.user) with no capabilities; ${fit}`;
}

/** `ccmux doctor [--json]`: prints the report. Always exit 0: it informs, it does not decide. */
export function doctor(options: { json?: boolean; config?: string }): number {
  const report = postureReport(options.config === undefined ? {} : { config: options.config });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const mark = { good: "ok  ", warn: "WARN", info: "    " } as const;
  for (const item of report) {
    process.stdout.write(`${mark[item.status]}  ${item.check}: ${item.value}\n        ${item.meaning}\n`);
  }
  return 0;
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
