import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSeccompFilter } from "../panes/sandbox/seccomp-filter.js";

/** One line of the posture report. */
export interface PostureCheck {
  check: string;
  value: string;
  /** good: protects panes; warn: a known gap; info: context. */
  status: "good" | "warn" | "info";
  meaning: string;
}

const BWRAP_PROBE = [
  "--ro-bind",
  "/",
  "/",
  "--dev",
  "/dev",
  "--proc",
  "/proc",
  "--unshare-pid",
  "--die-with-parent",
];

/** What this machine offers against the threats the sandbox answers (seed §1.2, §4.1), and what it means. */
export function postureReport(): PostureCheck[] {
  const checks: PostureCheck[] = [];
  checks.push({
    check: "pane sandbox",
    value: "off",
    status: "warn",
    meaning:
      "this version runs panes unsandboxed, with the server's privileges: the policy decides what starts, not what it can do",
  });
  const bwrap = spawnSync("bwrap", [...BWRAP_PROBE, "true"], { encoding: "utf8", timeout: 10_000 });
  const bwrapOk = bwrap.status === 0;
  checks.push({
    check: "bubblewrap",
    value: bwrapOk ? "works" : bwrap.error ? "not installed" : `fails: ${firstLine(bwrap.stderr)}`,
    status: bwrapOk ? "good" : "warn",
    meaning: bwrapOk
      ? "namespaces for a pane sandbox are available here"
      : "no pane sandbox is possible here (Debian: apt-get install bubblewrap)",
  });
  if (bwrapOk) {
    const seccomp = probeSeccomp();
    checks.push({
      check: "seccomp filter",
      value: seccomp ? "loads" : "refused",
      status: seccomp ? "good" : "warn",
      meaning: seccomp
        ? "ccmux's filter (TIOCSTI/TIOCLINUX, new user namespaces, io_uring) can be applied to panes"
        : "bwrap refused ccmux's seccomp program: keystroke injection could not be blocked",
    });
  }
  const legacy = readTrimmed("/proc/sys/dev/tty/legacy_tiocsti");
  checks.push({
    check: "dev.tty.legacy_tiocsti",
    value: legacy ?? "absent (kernel < 6.2)",
    status: legacy === "0" ? "good" : "warn",
    meaning:
      legacy === "0"
        ? "TIOCSTI needs CAP_SYS_ADMIN: ordinary processes cannot push keystrokes into a terminal"
        : "any process may push keystrokes into its terminal with TIOCSTI (seed §4.1); only a seccomp filter stops it",
  });
  const root = typeof process.geteuid === "function" && process.geteuid() === 0;
  checks.push({
    check: "running as root",
    value: root ? "yes" : "no",
    status: root ? "warn" : "good",
    meaning: root
      ? "panes run as root: TIOCSTI works on any terminal, /proc of every process is readable, nothing is private"
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
        : "every process's command line is visible in /proc; environments only to the same user (seed §1.2)",
  });
  return checks;
}

/** `ccmux doctor [--json]`: prints the report. Always exit 0: it informs, it does not decide. */
export function doctor(options: { json?: boolean }): number {
  const report = postureReport();
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

function probeSeccomp(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "ccmux-doctor-"));
  const path = join(dir, "filter.bpf");
  try {
    writeFileSync(path, buildSeccompFilter());
    const fd = openSync(path, "r");
    try {
      // spawnSync dup2s the descriptor onto fd 3 of the child, which clears close-on-exec there.
      const run = spawnSync("bwrap", [...BWRAP_PROBE, "--seccomp", "3", "true"], {
        stdio: ["ignore", "ignore", "ignore", fd],
        timeout: 10_000,
      });
      return run.status === 0;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0]?.slice(0, 120) ?? "";
}
