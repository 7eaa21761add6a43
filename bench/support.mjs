// Shared plumbing for bench/run.mjs: a temporary workspace + policy, the built CLI served over stdio with the
// real MCP SDK client, statistics, file generation and machine facts. Plain Node ESM, no test/ imports.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  chownSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { daemonFiles } from "../dist/daemon/daemon-files.js";

export const CLI = resolve(import.meta.dirname, "../dist/cli/main.js");

/** A temp dir holding `ws/` (the workspace root), `state/` (0700, audit log) and the policy file. */
export function makeWorkspace(policy) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-bench-")));
  const root = join(dir, "ws");
  mkdirSync(root);
  mkdirSync(join(dir, "state"), { mode: 0o700 });
  const auditPath = join(dir, "state", "audit.jsonl");
  const policyPath = join(dir, "ccmux.json");
  // A root server runs panes as `nobody` when root owns the workspace (README): give it the workspace.
  if (process.getuid?.() === 0) {
    chmodSync(dir, 0o711);
    chownSync(root, 65534, 65534);
  }
  // The bench drives thousands of calls a minute: the per-connection audit budget must not be what it measures.
  const audit = { path: auditPath, connectionBytesPerMinute: 1_000_000_000 };
  writeFileSync(policyPath, JSON.stringify({ workspace: ["ws"], audit, ...policy }, null, 2));
  return { dir, root, policyPath, auditPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A tool call that came back with isError, reported with the tool, its arguments and the error text. */
export class ToolError extends Error {
  constructor(tool, args, text) {
    super(`${tool} ${JSON.stringify(abbreviate(args))} -> isError: ${text}`);
    this.tool = tool;
    this.args = args;
    this.text = text;
  }
}

function abbreviate(args) {
  const out = {};
  for (const [key, value] of Object.entries(args ?? {})) {
    out[key] = typeof value === "string" && value.length > 80 ? `${value.slice(0, 77)}...` : value;
  }
  return out;
}

export function textOf(result) {
  const first = result?.content?.[0];
  return first && first.type === "text" ? first.text : "";
}

/** The environment every ccmux process of the bench gets: PATH, HOME, LANG and XDG directories inside ws.dir. */
export function cliEnv(ws) {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    LANG: "C.UTF-8",
    XDG_STATE_HOME: join(ws.dir, "xdg-state"),
    XDG_CONFIG_HOME: join(ws.dir, "xdg-config"),
  };
}

/**
 * Starts `node dist/cli/main.js serve --config <policy> [args]` and connects the SDK client over stdio.
 * `options.args`: more `serve` arguments (`--daemon --session S` bridges to the policy's daemon); `options.env`:
 * more environment (the daemon's XDG_RUNTIME_DIR); `options.listTools: false` skips the initial tools/list.
 */
export async function serve(ws, options = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, "serve", "--config", ws.policyPath, ...(options.args ?? [])],
    env: { ...cliEnv(ws), ...options.env },
    cwd: ws.dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "ccmux-bench", version: "0.0.0" });
  await client.connect(transport);
  // An agent lists tools first; this also makes the client validate structuredContent like a real agent's would.
  if (options.listTools !== false) await client.listTools();
  const panes = new Set();

  /** Raw call: resolves with the CallToolResult (isError included). */
  const call = (name, args = {}, options = {}) =>
    client.callTool({ name, arguments: args }, undefined, options);

  /** Call that must succeed; returns structuredContent, throws ToolError otherwise. */
  const ok = async (name, args = {}, options = {}) => {
    const result = await call(name, args, options);
    if (result.isError) throw new ToolError(name, args, textOf(result));
    if (!result.structuredContent) throw new ToolError(name, args, "no structuredContent in result");
    return result.structuredContent;
  };

  return {
    client,
    transport,
    pid: transport.pid,
    stderr: () => stderr,
    call,
    ok,
    panes,
    async spawn(args) {
      const result = await ok("spawn", args);
      panes.add(result.pane);
      return result;
    },
    async kill(pane) {
      panes.delete(pane);
      return ok("kill_pane", { pane, signal: "SIGKILL" });
    },
    /** Closes the client (which ends the server, or the bridge) and leaves the panes to the daemon's session. */
    async detach() {
      panes.clear();
      try {
        await client.close();
      } catch {
        // already closed
      }
    },
    /** Kills every pane this bench spawned (errors ignored), then closes the client (which ends the server). */
    async close() {
      for (const pane of [...panes]) {
        try {
          await call("kill_pane", { pane, signal: "SIGKILL" }, { timeout: 10_000 });
        } catch {
          // the server may already be gone
        }
        panes.delete(pane);
      }
      try {
        await client.close();
      } catch {
        // already closed
      }
    },
  };
}

/**
 * The daemon of `ws`'s policy (`ccmux serve --daemon` starts it), in a runtime directory of its own
 * (XDG_RUNTIME_DIR=<ws.dir>/run), so the bench never meets another daemon of this user. `connect(session)` is a
 * fresh bridge (serve's options apply); `pid()` reads the info file (undefined before a daemon wrote one);
 * `stop()` runs `ccmux daemon stop`, SIGKILLs the pid if it is still there, and waits until it is gone.
 */
export function daemonFor(ws) {
  const runtime = join(ws.dir, "run");
  mkdirSync(runtime, { mode: 0o700, recursive: true });
  const env = { XDG_RUNTIME_DIR: runtime };
  const socketDir = join(runtime, "ccmux");
  const files = daemonFiles(socketDir, ws.policyPath);
  const pid = () => {
    try {
      return JSON.parse(readFileSync(files.info, "utf8")).pid;
    } catch {
      return undefined;
    }
  };
  const cli = (...args) =>
    spawnSync(process.execPath, [CLI, ...args], {
      env: { ...cliEnv(ws), ...env },
      cwd: ws.dir,
      encoding: "utf8",
      timeout: 60_000,
    });
  const stop = () => {
    live.delete(stop);
    const running = pid();
    cli("daemon", "stop", "--config", ws.policyPath);
    if (running === undefined) return;
    if (!processGone(running)) {
      try {
        process.kill(running, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    // SIGKILL is not ignorable: the wait ends (spawnSync's clock keeps this synchronous for signal handlers).
    while (!processGone(running)) spawnSync("sleep", ["0.02"]);
  };
  return {
    env,
    socketDir,
    files,
    pid,
    cli,
    connect(session, options = {}) {
      live.add(stop);
      return serve(ws, {
        ...options,
        args: ["--daemon", "--session", session, ...(options.args ?? [])],
        env: { ...env, ...options.env },
      });
    },
    stop,
  };
}

/** Stop functions of the daemons started and not yet stopped. */
const live = new Set();

/** Stops every daemon this process started (for signal handlers and failures). */
export function stopAllDaemons() {
  for (const stop of [...live]) stop();
}

/** True once no process has this pid, or only its zombie is left (a detached daemon is not our child). */
export function processGone(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

/**
 * CPU time a process has run so far, in ms, summed over its threads (/proc/<pid>/task/<tid>/schedstat, first
 * field, ns), or from utime+stime in clock ticks when schedstat is missing (10 ms resolution).
 */
export function cpuMsOf(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    }
    return ns / 1e6;
  } catch {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }
}

/**
 * Memory of a process, in KiB: resident set size and its peak (VmRSS, VmHWM from /proc/<pid>/status), and the
 * proportional set size (Pss from /proc/<pid>/smaps_rollup: shared pages divided among their sharers; NaN where
 * the kernel has no smaps_rollup).
 */
export function memoryOf(pid) {
  const field = (text, name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) : Number.NaN;
  };
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  let pssKiB = Number.NaN;
  try {
    pssKiB = field(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"), "Pss");
  } catch {
    // no smaps_rollup (kernel before 4.14)
  }
  return { rssKiB: field(status, "VmRSS"), hwmKiB: field(status, "VmHWM"), pssKiB };
}

export const now = () => performance.now();

/** Times `fn` `n` times (after `warmup` unrecorded runs); returns the samples in ms. */
export async function sample(n, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const samples = new Array(n);
  for (let i = 0; i < n; i++) {
    const start = now();
    await fn(i);
    samples[i] = now() - start;
  }
  return samples;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * Writes `lines` lines of printable ASCII, each `width` characters before its newline, followed by an optional
 * last line (no newline after it when `finalNewline` is false). Returns the byte size.
 */
export async function writeTextFile(path, { lines, width, last, finalNewline = true }) {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_=+()[]{}<>/?!@#%&*";
  const pattern = alphabet.repeat(Math.ceil((width * 2) / alphabet.length) + 1);
  const out = createWriteStream(path);
  let size = 0;
  let chunk = "";
  for (let i = 0; i < lines; i++) {
    const head = `${String(i).padStart(9, "0")} `;
    const offset = i % alphabet.length;
    chunk += `${head}${pattern.slice(offset, offset + width - head.length)}\n`;
    if (chunk.length >= 1 << 20) {
      size += chunk.length;
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  if (last !== undefined) chunk += finalNewline ? `${last}\n` : last;
  size += chunk.length;
  out.end(chunk);
  await once(out, "finish");
  return size;
}

export function machineInfo() {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    node: process.version,
    platform: `${platform()} ${release()}`,
    totalMemMiB: Math.round(totalmem() / 2 ** 20),
  };
}
