import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturePath } from "./fixture-path.js";
import {
  AS_ROOT,
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  unprivilegedServer,
} from "./mcp-harness.js";

/** One way of running the server for the signal tests: sandboxed or not, as root (when we are) or not. */
export interface SignalServer {
  mode: "required" | "off";
  /** Under root: the server itself runs as `nobody` (its sandbox then needs user namespaces). */
  unprivileged: boolean;
  label: string;
}

/**
 * Every server the signal tests run against: both sandbox modes; under root, each also with the server as an
 * unprivileged user, where bwrap runs without privileges and the panes as the server's own user.
 */
export const SIGNAL_SERVERS: SignalServer[] = (["required", "off"] as const).flatMap((mode) => [
  { mode, unprivileged: false, label: `sandbox.mode: ${mode}${AS_ROOT ? ", root server" : ""}` },
  ...(AS_ROOT ? [{ mode, unprivileged: true, label: `sandbox.mode: ${mode}, server as nobody` }] : []),
]);

export interface SignalWorkspace {
  ws: TestWorkspace;
  mcp: Served;
  /** The workspace copy of test/fixtures/signal-probe.py. */
  probe: string;
}

/**
 * A workspace whose policy allows `python3 -i` and the signal probe (raw input), with `policy` added, and a server
 * on it.
 */
export async function serveSignalWorkspace(
  server: SignalServer,
  policy: Record<string, unknown> = {},
): Promise<SignalWorkspace> {
  const ws = makeWorkspace({
    commands: [{ command: "python3", args: ["-i", "{path} **"], input: "raw" }],
    sandbox: { mode: server.mode },
    ...policy,
  });
  const probe = join(ws.root, "signal-probe.py");
  copyFileSync(fixturePath("signal-probe.py"), probe);
  giveToPanes(probe);
  const wrapper = server.unprivileged ? unprivilegedServer(ws) : [];
  const mcp = await serveWorkspace(ws, {}, wrapper);
  return { ws, mcp, probe };
}

/** Spawns a pane, checks it is sandboxed as the server's mode says, and waits for `ready` on its screen. */
export async function spawnReady(
  mcp: Served,
  server: SignalServer,
  command: string,
  ready = "READY",
): Promise<{ pane: string; pid: number }> {
  const spawned = await mcp.ok<{ pane: string; pid: number; sandboxed: boolean }>("spawn", { command });
  if (spawned.sandboxed !== (server.mode === "required")) throw new Error(`sandboxed: ${spawned.sandboxed}`);
  const waited = await mcp.ok<{ matched: boolean }>("wait_for", {
    pane: spawned.pane,
    text: ready,
    timeout_ms: 20_000,
  });
  if (!waited.matched) throw new Error(`${command} never printed ${ready}`);
  return { pane: spawned.pane, pid: spawned.pid };
}

/** How a pane ended, once it has: waits for the exit, then reads exitCode and signal. */
export async function paneEnd(
  mcp: Served,
  pane: string,
): Promise<{ exitCode: number | null; signal: number | null; text: string }> {
  const waited = await mcp.ok<{ reason: string }>("wait_for", { pane, exit: true, timeout_ms: 20_000 });
  if (waited.reason !== "exited") throw new Error(`the pane did not exit: ${waited.reason}`);
  const read = await mcp.ok<{ exitCode: number | null; signal: number | null; text: string }>("read_pane", {
    pane,
    mode: "scrollback",
  });
  return { exitCode: read.exitCode, signal: read.signal, text: read.text };
}

/** CPU time (clock ticks) a process has used, or undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime(14) + stime(15)
  } catch {
    return undefined;
  }
}

/** Live descendants of `root` (itself included) whose command line contains `marker`. */
export function descendantsWith(root: number, marker: string): number[] {
  const parent = new Map<number, number>();
  const cmdline = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      parent.set(Number(entry), Number(fields[1]));
      cmdline.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // gone
    }
  }
  const isUnder = (pid: number): boolean => {
    for (let at: number | undefined = pid, hops = 0; at !== undefined && hops < 64; hops++) {
      if (at === root) return true;
      at = parent.get(at);
    }
    return false;
  };
  return [...cmdline].filter(([pid, line]) => line.includes(marker) && isUnder(pid)).map(([pid]) => pid);
}

function isWrapper(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return line.includes("bwrap") || line.includes("pane-launcher") || line.includes("setpriv");
  } catch {
    return true;
  }
}

/** Resolves once the pane's program (a descendant of `root` matching `marker`) has burnt `ticks` of CPU. */
export async function busyFor(root: number, marker: string, ticks: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  let pid: number | undefined;
  let start: number | undefined;
  for (;;) {
    if (Date.now() > deadline) throw new Error("the program never ran its loop");
    // Not the sandbox's own processes, whose command lines hold the program's.
    pid ??= descendantsWith(root, marker).find((candidate) => !isWrapper(candidate));
    if (pid !== undefined) {
      const now = cpuTicks(pid);
      start ??= now;
      if (now !== undefined && start !== undefined && now - start >= ticks) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
