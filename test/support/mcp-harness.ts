import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach } from "vitest";
import { readStat } from "../../src/panes/process-session.js";
import { oneSendAtATime } from "../../src/shared/one-send-at-a-time.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli/main.js");

/** A temporary workspace with a policy file and an audit log of its own. */
export interface TestWorkspace {
  /** Canonical workspace root (policy file lives beside it, outside the workspace). */
  root: string;
  dir: string;
  policyPath: string;
  auditPath: string;
  cleanup(): void;
}

/**
 * Anomaly thresholds out of reach for tests that refuse or roam on purpose (denials, limits, audit floods);
 * the anomaly tests set their own.
 */
const QUIET_ANOMALIES = {
  probing: { slowAfter: 99_999, blockAfter: 100_000 },
  lateral: { panes: 1024 },
};

/**
 * `options.busy`: the test makes calls far faster than an agent (hundreds a second) and then looks for its
 * refusals in the log, so the connection's audit budget is raised out of reach (otherwise refusals past half
 * a minute's bytes are folded into a summary written later).
 */
export function makeWorkspace(
  policy: Record<string, unknown>,
  options: { busy?: boolean } = {},
): TestWorkspace {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-e2e-")));
  const root = join(dir, "ws");
  mkdirSync(root);
  handToPaneUser(dir, root);
  mkdirSync(join(dir, "state"), { mode: 0o700 });
  const auditPath = join(dir, "state", "audit.jsonl");
  const policyPath = join(dir, "ccmux.json");
  writeFileSync(
    policyPath,
    JSON.stringify(
      {
        workspace: ["ws"],
        audit: { path: auditPath, ...(options.busy ? { connectionBytesPerMinute: 1 << 30 } : {}) },
        anomalies: QUIET_ANOMALIES,
        ...policy,
      },
      null,
      2,
    ),
  );
  return { root, dir, policyPath, auditPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The unprivileged account a root server runs panes as by default when root owns the workspace. */
export const NOBODY = { uid: 65534, gid: 65534 };

/** Whether this test process (and so the server it starts) runs as root. */
export const AS_ROOT = process.getuid?.() === 0;

/**
 * Under root, a server's panes run as an unprivileged user (the workspace root's owner, see README): give the
 * workspace to `nobody` and let it through the private temp directory, as a person would chown theirs.
 */
export function handToPaneUser(dir: string, root: string): void {
  if (!AS_ROOT) return;
  chmodSync(dir, 0o711);
  chownSync(root, NOBODY.uid, NOBODY.gid);
}

/**
 * The server's PATH for tests. Under root, entries inside root's private home (/root/.pyenv/shims, say) are
 * left out: panes run as `nobody`, who cannot reach them, and `python3` must resolve to what they can run.
 */
export function serverPath(): string {
  const path = process.env.PATH ?? "/usr/bin:/bin";
  if (!AS_ROOT) return path;
  const home = process.env.HOME ?? "/root";
  return path
    .split(":")
    .filter((entry) => entry !== home && !entry.startsWith(`${home}/`))
    .join(":");
}

/**
 * Under root, gives these trees to the pane user (`nobody`), as a person gives a root server's panes their
 * workspace: what a test plants there is then stopped by the sandbox alone, not by file ownership.
 */
export function giveToPanes(...paths: string[]): void {
  if (!AS_ROOT) return;
  for (const path of paths) chownTree(path);
}

function chownTree(path: string): void {
  chownSync(path, NOBODY.uid, NOBODY.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path, { recursive: true, encoding: "utf8" })) {
    lchownSync(join(path, entry), NOBODY.uid, NOBODY.gid);
  }
}

/**
 * A wrapper (for serveWorkspace) that runs the server itself as `nobody` when the tests run as root, so that
 * an unsandboxed control pane runs as the server's own user, as it does for everyone who does not run ccmux as
 * root (a root server's panes are `nobody` while the server is root, which would stop some controls by itself).
 * The test's directory and `homes` become nobody's. Empty when not root.
 */
export function unprivilegedServer(ws: TestWorkspace, ...homes: string[]): string[] {
  if (!AS_ROOT) return [];
  for (const path of [ws.dir, ...homes]) chownTree(path);
  return ["setpriv", `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, "--clear-groups", "--"];
}

export interface Served {
  client: Client;
  transport: StdioClientTransport;
  serverPid: number;
  stderr: () => string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  refused(name: string, args: Record<string, unknown>, code: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the built CLI as `ccmux serve` and connects the real SDK client over stdio. */
export async function serveWorkspace(
  ws: TestWorkspace,
  extraEnv: Record<string, string> = {},
  /** A command prefix such as ["prlimit", "--fsize=4096", "--"] to run the server under. */
  wrapper: string[] = [],
  /** More arguments for `serve`: ["--daemon", "--session", "a"] bridges to the policy's daemon. */
  serveArgs: string[] = [],
): Promise<Served> {
  const argv = [...wrapper, process.execPath, CLI, "serve", "--config", ws.policyPath, ...serveArgs];
  return connectServer(argv, { ...serverEnv(ws), ...extraEnv }, ws.dir);
}

/** The environment serveWorkspace gives the server: PATH, HOME, LANG and XDG directories inside the test's dir. */
export function serverEnv(ws: TestWorkspace): Record<string, string> {
  return {
    PATH: serverPath(),
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    XDG_STATE_HOME: join(ws.dir, "xdg-state"),
    XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
  };
}

/**
 * Starts `argv` (any command whose stdio speaks MCP: `ccmux serve`, or ssh running it on another host) with
 * `env` in `cwd`, and connects the real SDK client to it over stdio.
 */
export async function connectServer(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<Served> {
  // Calls go out one write at a time, as the server's answers do: tests that fire hundreds of calls at once
  // otherwise park a 'drain' listener per call on the server's stdin (MaxListenersExceededWarning).
  const transport = oneSendAtATime(
    new StdioClientTransport({ command: argv[0] as string, args: argv.slice(1), env, cwd, stderr: "pipe" }),
  );
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "ccmux-e2e", version: "0.0.0" });
  await client.connect(transport);
  const serverPid = transport.pid ?? -1;
  return {
    client,
    transport,
    serverPid,
    stderr: () => stderr,
    // A server that went away mid-call: say what it printed last (a crash's stack; nothing when it was killed).
    ...toolCalls(client, () => `the server's stderr ended with:\n${stderr.slice(-4000) || "(nothing)"}`),
    async close() {
      await client.close();
      // npm test prints no listener-leak warnings: a server that printed one fails the test that drove it.
      if (stderr.includes("MaxListenersExceededWarning")) {
        throw new Error(`the server warned of an EventEmitter listener leak:\n${stderr}`);
      }
    },
  };
}

/** A connected client's tool calls: `call` as it answers, `ok` that must succeed, `refused` that must be refused with a code. */
export function toolCalls(client: Client, lastWords?: () => string): Pick<Served, "call" | "ok" | "refused"> {
  const call = (name: string, args: Record<string, unknown> = {}) =>
    (client.callTool({ name, arguments: args }) as Promise<CallToolResult>).catch((error: unknown) => {
      if (lastWords && error instanceof Error && /Connection closed/.test(error.message))
        error.message = `${error.message} (${name}); ${lastWords()}`;
      throw error;
    });
  return {
    call,
    async ok(name, args) {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
      return result.structuredContent as never;
    },
    async refused(name, args, code) {
      const result = await call(name, args);
      const text = textOf(result);
      if (!result.isError || !text.startsWith(`${code}:`)) {
        throw new Error(
          `expected ${name} to be refused with ${code}, got: ${result.isError ? text : "success"}`,
        );
      }
      return text;
    },
  };
}

export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first && first.type === "text" ? first.text : "";
}

/**
 * The audit log's complete records. Every record ends with a newline, so text after the last newline is a record
 * the server is still writing (a test that polls the log can read it half-written) and is left out.
 */
export function readAudit(path: string): Array<Record<string, unknown>> {
  const text = readFileSync(path, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls a condition (for process-table facts that have no event to wait on). */
export async function eventually<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 25));
  }
}

/**
 * True once no process has this pid, or only its zombie is left (for waiting on a server to be gone; a detached
 * daemon's new parent may never reap it).
 */
export function processGone(pid: number): boolean {
  const entry = readStat(pid);
  return entry === undefined || entry.zombie;
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (cmdline.includes(marker) && state !== "Z") pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * For a suite whose tests each serve one workspace: `track(ws, mcp)` records them, and after each test the
 * client is closed and the workspace removed.
 */
export function servedPerTest(): { track(ws: TestWorkspace, mcp?: Served): void } {
  let current: { ws: TestWorkspace; mcp?: Served } | undefined;
  afterEach(async () => {
    const done = current;
    current = undefined;
    await done?.mcp?.close();
    done?.ws.cleanup();
  });
  return {
    track(ws, mcp) {
      current = { ws, ...(mcp ? { mcp } : {}) };
    },
  };
}
