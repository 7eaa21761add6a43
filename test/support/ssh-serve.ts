import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { CLI, connectServer, type Served, type TestWorkspace } from "./mcp-harness.js";
import type { TestSshd } from "./sshd.js";

/**
 * The forms of `ccmux serve` the ssh tests run on the remote side, as extra serve arguments. A form with
 * `pending` set is skipped with that note: flip it to `undefined` to run every ssh test against it.
 */
export const REMOTE_SERVE_FORMS: Array<{ form: string; serveArgs: string[]; pending: string | undefined }> = [
  { form: "serve (embedded)", serveArgs: [], pending: undefined },
  { form: "serve --daemon", serveArgs: ["--daemon"], pending: undefined },
];

export interface SshServeOptions {
  /** Extra `ccmux serve` arguments (a REMOTE_SERVE_FORMS row). */
  serveArgs?: string[];
  /** Variables set on the remote side, by `env` in the remote command (as a wrapper script there would). */
  remoteEnv?: Record<string, string>;
  /** Variables of the local ssh client process, beside PATH and HOME. */
  localEnv?: Record<string, string>;
  /** ssh options before the destination (`-o SendEnv=LC_*`). */
  sshOptions?: string[];
}

/**
 * Runs `ccmux serve --config POLICY` on `sshd`'s host through a real `ssh`, and connects the real SDK client to
 * ssh's stdio: the setup of `claude mcp add ccmux -- ssh HOST ccmux serve --config …` (see remoteServeCommand).
 */
export function serveOverSsh(
  sshd: TestSshd,
  ws: TestWorkspace,
  options: SshServeOptions = {},
): Promise<Served> {
  const remoteCommand = remoteServeCommand(ws, options.serveArgs ?? [], options.remoteEnv);
  const localEnv = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
    ...options.localEnv,
  };
  return connectServer(["ssh", ...sshd.sshArgs(remoteCommand, options.sshOptions)], localEnv, ws.dir);
}

/**
 * The remote command for `ws`: `env XDG_…=… [remoteEnv] NODE CLI serve [serveArgs] --config POLICY`, with node
 * and the built CLI by absolute path (the remote PATH is the login's) and the server's XDG directories inside
 * the test's directory.
 */
export function remoteServeCommand(
  ws: TestWorkspace,
  serveArgs: string[],
  remoteEnv: Record<string, string> = {},
): string[] {
  const env = {
    XDG_STATE_HOME: join(ws.dir, "xdg-state"),
    XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
    ...remoteEnv,
  };
  return [
    "env",
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    process.execPath,
    CLI,
    "serve",
    ...serveArgs,
    "--config",
    ws.policyPath,
  ];
}

/**
 * Stops the daemon a `--daemon` form started for `ws`'s policy on the remote side (through ssh, as a person
 * would); nothing for the embedded form, whose server ends with its connection.
 */
export function stopRemoteDaemon(sshd: TestSshd, ws: TestWorkspace, serveArgs: string[]): void {
  if (!serveArgs.includes("--daemon")) return;
  const argv = [process.execPath, CLI, "daemon", "stop", "--config", ws.policyPath];
  // Cleanup goes on past a failed stop (a test that failed may never have started the daemon); it is reported.
  const stopped = spawnSync("ssh", sshd.sshArgs(argv), { input: "", encoding: "utf8" });
  if (stopped.status !== 0) process.stderr.write(`ccmux daemon stop failed: ${stopped.stderr}\n`);
}

/**
 * Pids of the `ccmux serve` processes (not ssh, not a shell) whose command line names `policyPath`: the remote
 * end of an ssh bridge, found through /proc because the remote host is this machine.
 */
export function remoteServePids(policyPath: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
        // A bridge runs with V8 flags before the script (lean-bridge.ts).
        const script = argv.indexOf(CLI);
        return (
          argv[0] === process.execPath &&
          script > 0 &&
          argv[script + 1] === "serve" &&
          argv.includes(policyPath)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** What a process's stdin is: `pipe:[…]`, `socket:[…]` or a device such as `/dev/pts/3`. */
export function stdinOf(pid: number): string {
  return readlinkSync(`/proc/${pid}/fd/0`);
}
