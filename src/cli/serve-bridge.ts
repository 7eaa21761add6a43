import { readFileSync, realpathSync } from "node:fs";
import type { Socket } from "node:net";
import { type DaemonInfo, enforcesBytes } from "../daemon/info-file.js";
import { ensureSocketDir, socketDirPath } from "../daemon/runtime-dir.js";
import type { CompiledPolicy } from "../validation/policy-compile.js";
import { workspaceRoots } from "../validation/workspace-roots.js";
import { askDaemon, reachDaemon } from "./daemon-client.js";
import { findPolicy, policyBaseDir } from "./policy-location.js";
import type { NotServing } from "./serve-refusals-only.js";
import { socketDirProblem } from "./socket-dir-place.js";

/** How long a bridge whose client has gone waits for the daemon to close the connection. */
const BRIDGE_LINGER_MS = 2000;

/** JSON-RPC's "internal error": what a request pending when the daemon went away is answered with. */
const JSONRPC_INTERNAL_ERROR = -32603;

/**
 * `ccmux serve --daemon [--session NAME]`: the MCP client's stdio, bridged to the daemon of the policy (started
 * when none runs). The bridge holds no policy of its own: it checks the policy only to report a broken one the
 * way `serve` does, then forwards JSON-RPC lines unchanged both ways; tools, validation, panes and audit live in
 * the daemon. Panes belong to the session, so a later bridge of the same session finds them. Returns the exit
 * code: 0 when the client goes away, 1 when the daemon went away first (pending requests get a JSON-RPC error
 * saying so), 2 when it served only refusals.
 */
export async function serveBridge(options: { config?: string; session: string }): Promise<number> {
  const reached = await daemonOfBytes(options.config);
  if (reached !== undefined && "socket" in reached) {
    // Needed only to audit a refusal: the policy is compiled then, not before.
    const unavailable = async (problem: string): Promise<number> => {
      const loaded = (await import("./served-policy.js")).loadServedPolicy(options.config);
      if ("code" in loaded) return serveRefusalsOnly(loaded);
      return serveRefusalsOnly(daemonUnavailable(reached.file, loaded.policy.audit, problem));
    };
    return joinSession(reached, options.session, unavailable);
  }
  const loaded = (await import("./served-policy.js")).loadServedPolicy(options.config);
  if ("code" in loaded) return serveRefusalsOnly(loaded);
  const file = realpathSync(loaded.file);
  const unavailable = (problem: string): Promise<number> =>
    serveRefusalsOnly(daemonUnavailable(file, loaded.policy.audit, problem));
  // The policy compiles, and the daemon it reached or started could not be used: the same daemon again would be.
  if (reached !== undefined) return unavailable(reached.unreachable);
  const dir = socketDirPath();
  const misplaced = socketDirProblem(dir, loaded.policy.workspace);
  if (misplaced !== undefined) return unavailable(misplaced);
  try {
    ensureSocketDir(dir);
  } catch (error) {
    return unavailable((error as Error).message);
  }
  const daemon = await reachDaemon(dir, file, true);
  if (!daemon.ok) return unavailable(daemon.reason);
  const { socket, info } = daemon;
  socket.on("error", () => {});
  if (loaded.sha256 !== info.policyHash) {
    console.error(
      `ccmux: warning: ${file} changed after the daemon (pid ${info.pid}) started on ${info.started}; it still enforces the policy as it was then. To apply the change: ccmux daemon stop --config ${file} (its panes end), then restart this MCP server.`,
    );
  }
  return joinSession({ file, socket, info }, options.session, unavailable);
}

/** A verified daemon connection of the policy file `file` (a real path). */
interface DaemonConnection {
  file: string;
  socket: Socket;
  info: DaemonInfo;
}

/**
 * The daemon serving exactly the bytes of the policy file now, reached (and started when none runs) without
 * compiling the policy: the policy compiler and zod would be most of a bridge's memory (issue 16). A daemon
 * compiles the policy itself when it starts, and refuses to start on one that does not validate, so the bytes it
 * serves are a valid policy. `unreachable`: the daemon could not be reached or started, and why (a policy that does
 * not validate is one reason: the caller compiles it to tell). undefined in every other case (no policy, a workspace
 * that names no directory, a misplaced socket directory, a daemon serving other bytes, …), which the compiled path
 * then handles and reports as `serve` does. Security: the socket directory is checked against the workspace roots
 * before it is trusted or a daemon is started, the roots read from the file the way the compiler reads them
 * (workspace-roots.ts).
 */
async function daemonOfBytes(
  config: string | undefined,
): Promise<DaemonConnection | { unreachable: string } | undefined> {
  const found = findPolicy(config);
  if (found.file === undefined) return undefined;
  let bytes: Buffer;
  let file: string;
  let raw: unknown;
  try {
    bytes = readFileSync(found.file);
    file = realpathSync(found.file);
    // A byte order mark some editors write is whitespace to the policy reader too.
    raw = JSON.parse(bytes.toString("utf8").replace(/^\uFEFF/, " "));
  } catch {
    return undefined;
  }
  const entries =
    raw !== null && typeof raw === "object" ? (raw as { workspace?: unknown }).workspace : undefined;
  if (!Array.isArray(entries) || entries.length === 0) return undefined;
  if (!entries.every((entry): entry is string => typeof entry === "string" && entry !== "")) return undefined;
  const { roots, problems } = workspaceRoots(entries, policyBaseDir(found.file));
  if (problems.length > 0) return undefined;
  const dir = socketDirPath();
  if (socketDirProblem(dir, roots) !== undefined) return undefined;
  try {
    ensureSocketDir(dir);
  } catch {
    return undefined;
  }
  const reached = await reachDaemon(dir, file, true);
  if (!reached.ok) return { unreachable: reached.reason };
  reached.socket.on("error", () => {});
  // Security: the bytes the daemon enforces are compared (its info file carries them); only a policy too big to be
  // carried is hashed, and node:crypto loaded for it.
  const same =
    enforcesBytes(reached.info, bytes) ??
    (await import("../daemon/policy-hash.js")).policyHash(bytes) === reached.info.policyHash;
  if (!same) {
    reached.socket.destroy();
    return undefined;
  }
  if (found.note !== undefined) console.error(`ccmux: ${found.note}.`);
  return { file, socket: reached.socket, info: reached.info };
}

/** Joins agent session `session` on a verified daemon connection and bridges stdio to it. */
async function joinSession(
  { file, socket, info }: DaemonConnection,
  session: string,
  unavailable: (problem: string) => Promise<number>,
): Promise<number> {
  let reply: Awaited<ReturnType<typeof askDaemon>>;
  try {
    reply = await askDaemon(socket, { ccmux: 1, op: "connect", session });
  } catch (error) {
    socket.destroy();
    return unavailable(`the daemon did not answer: ${(error as Error).message}`);
  }
  if (!reply.ok) {
    socket.destroy();
    return unavailable(`the daemon refused the connection: ${reply.code}: ${reply.message}`);
  }
  console.error(
    `ccmux: serving MCP on stdio through the daemon (pid ${info.pid}, policy ${file}, session ${session}).`,
  );
  return bridge(socket, info.pid);
}

/** serve-refusals-only, loaded only when needed: it brings the MCP server and the tools' result types. */
async function serveRefusalsOnly(broken: NotServing): Promise<number> {
  return (await import("./serve-refusals-only.js")).serveRefusalsOnly(broken);
}

function daemonUnavailable(file: string, audit: CompiledPolicy["audit"], problem: string): NotServing {
  const { path, ...options } = audit;
  return {
    code: "DAEMON_UNAVAILABLE",
    what: "the ccmux daemon cannot be reached safely",
    file,
    problems: [problem],
    warnings: [],
    audit: { path, options },
  };
}

/**
 * Forwards stdin to the daemon and the daemon to stdout, byte for byte, with backpressure both ways. It reads
 * the request ids going in and the answers coming back only to know which requests are pending when the daemon
 * goes away, so that each gets an answer instead of hanging the client.
 */
function bridge(socket: Socket, daemonPid: number): Promise<number> {
  const pending = new Set<string | number>();
  const requests = new LineIds((message) => {
    // Only what the daemon will answer by id: a malformed frame is answered with id null.
    if (message.jsonrpc === "2.0" && typeof message.method === "string" && message.id !== undefined)
      pending.add(message.id);
  });
  const answers = new LineIds((message) => {
    if (message.method === undefined && message.id !== undefined) pending.delete(message.id);
  });
  return new Promise<number>((resolve) => {
    let clientGone = false;
    process.stdin.on("data", (chunk: Buffer) => {
      requests.push(chunk);
      if (!socket.write(chunk)) {
        process.stdin.pause();
        socket.once("drain", () => process.stdin.resume());
      }
    });
    // The client is gone: the daemon gets an orderly end, and BRIDGE_LINGER_MS to take it, then the bridge goes
    // anyway (a daemon that stopped reading must not keep it alive; an attack review found it could).
    const leave = (): void => {
      clientGone = true;
      socket.end();
      setTimeout(() => {
        socket.destroy();
        resolve(0);
      }, BRIDGE_LINGER_MS).unref();
    };
    process.stdin.once("end", leave);
    socket.on("data", (chunk: Buffer) => {
      answers.push(chunk);
      if (!process.stdout.write(chunk)) {
        socket.pause();
        process.stdout.once("drain", () => socket.resume());
      }
    });
    // The reply's reader paused the socket: forwarding starts from the byte after the reply.
    socket.resume();
    socket.once("close", () => {
      if (clientGone) return resolve(0);
      console.error(
        `ccmux: the ccmux daemon (pid ${daemonPid}) went away; ${pending.size} pending request(s) failed. Restart this MCP server: a new daemon starts (panes of the old one are gone).`,
      );
      for (const id of pending) {
        const message = `DAEMON_UNAVAILABLE: the ccmux daemon (pid ${daemonPid}) went away before answering; restart the MCP server.`;
        process.stdout.write(
          `${JSON.stringify({ jsonrpc: "2.0", id, error: { code: JSONRPC_INTERNAL_ERROR, message, data: { code: "DAEMON_UNAVAILABLE" } } })}\n`,
        );
      }
      resolve(1);
    });
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, leave);
  });
}

/** Splits a byte stream into JSON-RPC lines and hands each parsed message (or nothing, if not JSON) to `seen`. */
class LineIds {
  private partial = "";

  constructor(
    private readonly seen: (message: { jsonrpc?: unknown; id?: string | number; method?: unknown }) => void,
  ) {}

  push(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString("utf8")).split("\n");
    this.partial = lines.pop() ?? "";
    // A line too long to be a request worth tracking is dropped from tracking, never from the stream.
    if (this.partial.length > 1 << 20) this.partial = "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        const message = JSON.parse(line) as unknown;
        if (message !== null && typeof message === "object") this.seen(message as { id?: string | number });
      } catch {
        // not JSON: the daemon answers it (or drops it); nothing to track
      }
    }
  }
}
