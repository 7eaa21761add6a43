// The ccmux side of the bench: the built CLI's `serve`, driven over stdio by the real MCP SDK client, the way an
// agent drives it; typed tool calls; and the waits and reads every workload makes.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CLI, cliEnv } from "./workspace.mjs";

/**
 * @typedef {import("@modelcontextprotocol/sdk/shared/protocol.js").RequestOptions} RequestOptions
 * @typedef {{ matched: boolean, reason: string, elapsedMs: number, alive: boolean, exitCode: number | null,
 *   signal: number | null, text: string }} WaitResult
 * @typedef {object} ToolResults What the bench reads of each tool's structured result (a subset of its output
 *   schema, which the SDK client checks once it has listed the tools).
 * @property {{ pane: string, sandboxed: boolean }} spawn
 * @property {WaitResult} wait_for
 * @property {{ text: string, alive: boolean }} read_pane
 * @property {{ panes: Array<{ pane: string, alive: boolean, reason?: string }> }} list_panes
 * @property {{ pane: string }} kill_pane
 * @property {{ pane: string, wait?: WaitResult }} send_keys
 * @property {{ pane: string, exitCode: number | null, output: string }} run
 * @typedef {ReturnType<typeof toolCalls>} ToolCaller
 * @typedef {Awaited<ReturnType<typeof serve>>} Server
 */

/** A tool call that came back with isError: the tool, its arguments (long strings cut) and the error text. */
export class ToolError extends Error {
  /** @param {string} tool @param {Record<string, unknown>} args @param {string} text */
  constructor(tool, args, text) {
    const short = Object.fromEntries(
      Object.entries(args).map(([k, v]) => [
        k,
        typeof v === "string" && v.length > 80 ? `${v.slice(0, 77)}...` : v,
      ]),
    );
    super(`${tool} ${JSON.stringify(short)} -> isError: ${text}`);
    this.tool = tool;
    this.text = text;
  }
}

/** @param {unknown} result The text of a tool result's first content block, or "". */
export function textOf(result) {
  const content =
    typeof result === "object" && result !== null && "content" in result ? result.content : undefined;
  const first = Array.isArray(content) ? content[0] : undefined;
  return first?.type === "text" && typeof first.text === "string" ? first.text : "";
}

/**
 * `call` resolves with the raw CallToolResult (isError included); `ok` with the structured result of a call that
 * must succeed (ToolError otherwise).
 * @param {Client} client
 */
export function toolCalls(client) {
  /** @param {string} name @param {Record<string, unknown>} [args] @param {RequestOptions} [options] */
  const call = (name, args = {}, options = {}) =>
    client.callTool({ name, arguments: args }, undefined, options);
  /**
   * @template {keyof ToolResults} K
   * @param {K} name
   * @param {Record<string, unknown>} [args]
   * @param {RequestOptions} [options]
   * @returns {Promise<ToolResults[K]>}
   */
  const ok = async (name, args = {}, options = {}) => {
    const result = await call(name, args, options);
    if (result.isError) throw new ToolError(name, args, textOf(result));
    if (!result.structuredContent) throw new ToolError(name, args, "no structuredContent in the result");
    return /** @type {ToolResults[K]} */ (/** @type {unknown} */ (result.structuredContent));
  };
  return { client, call, ok };
}

/**
 * Starts `node dist/cli/main.js serve --config <policy> [args]` and connects the SDK client over stdio. `args`:
 * more `serve` arguments (`--daemon --session S` bridges to the policy's daemon); `env`: more environment;
 * `listTools: false` skips the tools/list an agent makes first (which also makes the client check results);
 * `execArgv`: node's own options for the server (`--cpu-prof` to profile it: NODE_OPTIONS may not carry those).
 * @param {import("./workspace.mjs").Workspace} ws
 * @param {{ args?: string[], env?: Record<string, string>, listTools?: boolean, execArgv?: string[] }} [options]
 */
export async function serve(ws, options = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(options.execArgv ?? []), CLI, "serve", "--config", ws.policyPath, ...(options.args ?? [])],
    env: { ...cliEnv(ws), ...options.env },
    cwd: ws.dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client({ name: "ccmux-bench", version: "0.0.0" });
  await client.connect(transport);
  if (options.listTools !== false) await client.listTools();
  const { call, ok } = toolCalls(client);
  /** Panes this bench spawned and has not killed: close() kills them. */
  const panes = new Set();
  const pid = transport.pid;
  if (pid === null) throw new Error("serve: the server process has no pid");
  const closeClient = () => client.close().catch(() => {});
  return {
    client,
    pid,
    panes,
    call,
    ok,
    stderr: () => stderr,
    /** @param {Record<string, unknown>} args */
    async spawn(args) {
      const result = await ok("spawn", args);
      panes.add(result.pane);
      return result;
    },
    /** @param {string} pane */
    async kill(pane) {
      panes.delete(pane);
      return ok("kill_pane", { pane, signal: "SIGKILL" });
    },
    /** Closes the client (which ends the server, or the bridge), leaving the panes to the daemon's session. */
    async detach() {
      panes.clear();
      await closeClient();
    },
    /** Kills the panes this bench spawned (errors ignored), then closes the client, which ends the server. */
    async close() {
      for (const pane of panes)
        await call("kill_pane", { pane, signal: "SIGKILL" }, { timeout: 10_000 }).catch(() => {});
      panes.clear();
      await closeClient();
    },
  };
}

/**
 * wait_for that must end with reason "matched"; the error says what was awaited and shows the screen's tail.
 * @param {ToolCaller} server
 * @param {{ pane: string, text?: string, regex?: string, exit?: boolean, timeout_ms?: number }} args
 * @param {string} what
 */
export async function waitMatched(server, args, what) {
  const result = await server.ok("wait_for", args, { timeout: (args.timeout_ms ?? 30_000) + 30_000 });
  if (!result.matched)
    throw new Error(
      `wait_for ${JSON.stringify(args)} for ${what} ended with reason=${result.reason} after ${result.elapsedMs} ms (alive=${result.alive}, exitCode=${result.exitCode}); screen tail: ${JSON.stringify(result.text.slice(-300))}`,
    );
  return result;
}

/**
 * read_pane that must succeed, as a raw call (no copy of the structured result beyond what the SDK makes).
 * @param {ToolCaller} server
 * @param {string} pane
 */
export async function readPane(server, pane) {
  const result = await server.call("read_pane", { pane });
  if (result.isError) throw new ToolError("read_pane", { pane }, textOf(result));
  return result;
}
