// What the workloads of one run share: the configuration, the workspace and the files panes print, and the
// servers several workloads measure, each started on first use and released once no later workload uses it.
import { join } from "node:path";
import { benchPolicy, COLS, MEM_COLS, MEM_LINES, ROWS, SCREEN_LAST, SCROLLBACK } from "./config.mjs";
import { daemonFor } from "./daemon.mjs";
import { serve } from "./mcp-server.mjs";
import { pollUntil, startTmux } from "./tmux-server.mjs";
import { makeWorkspace, writeTextFile } from "./workspace.mjs";

/**
 * @typedef {import("./config.mjs").Config} Config
 * @typedef {"server" | "sandboxed" | "tmux" | "daemon"} Resource
 * @typedef {import("./workspace.mjs").Workspace} Workspace
 * @typedef {{ path: string, bytes: number, lines: number }} TextFile
 */

export class BenchContext {
  /** @param {{ config: Config, log: (line: string) => void, tmux: boolean }} options */
  constructor({ config, log, tmux }) {
    this.config = config;
    this.runs = config.runs;
    this.log = log;
    this.tmuxAvailable = tmux;
    /** The workspace of the shared servers (and of the tmux peer's panes). */
    this.ws = makeWorkspace(benchPolicy());
    /** The end marker of big.txt. */
    this.marker = `CCMUX-BENCH-END-${Math.random().toString(36).slice(2, 12)}`;
    /** @type {Map<string, Promise<TextFile>>} */
    this.files = new Map();
    /** @type {Map<Resource, { value: Promise<unknown>, release: () => Promise<void> }>} */
    this.started = new Map();
    /** @type {() => string} The shared server's stderr so far, for a failure's report. */
    this.serverStderr = () => "";
  }

  /**
   * A file in `ws`'s root, written on first use: `screen.txt` (a full 120×40 screen ending in SCREEN_LAST),
   * `mem.txt` (MEM_LINES lines of 80 columns) or `big.txt` (config.ingestMB MB of 75-column lines, then the marker).
   * @param {"screen.txt" | "mem.txt" | "big.txt"} name
   * @param {Workspace} [ws]
   * @returns {Promise<TextFile>}
   */
  file(name, ws = this.ws) {
    const path = join(ws.root, name);
    let written = this.files.get(path);
    if (!written) {
      /** @type {Record<typeof name, { lines: number, width: number, last?: string, finalNewline?: boolean }>} */
      const shapes = {
        "screen.txt": { lines: ROWS - 1, width: COLS, last: SCREEN_LAST, finalNewline: false },
        "mem.txt": { lines: MEM_LINES, width: MEM_COLS },
        "big.txt": { lines: Math.round((this.config.ingestMB * 1e6) / 76), width: 75, last: this.marker },
      };
      const shape = shapes[name];
      const lines = shape.lines + (shape.last !== undefined && shape.finalNewline !== false ? 1 : 0);
      written = writeTextFile(path, shape).then((bytes) => ({ path, bytes, lines }));
      this.files.set(path, written);
    }
    return written;
  }

  /**
   * @template T
   * @param {Resource} resource
   * @param {() => Promise<{ value: T, release: () => Promise<void> }>} start
   * @returns {Promise<T>}
   */
  async shared(resource, start) {
    let entry = this.started.get(resource);
    if (!entry) {
      const starting = start();
      entry = {
        value: starting.then((s) => s.value),
        release: async () => (await starting).release(),
      };
      this.started.set(resource, entry);
    }
    return /** @type {Promise<T>} */ (entry.value);
  }

  /** The embedded `serve` (sandbox off) and a pane showing a full screen of screen.txt. */
  server() {
    return this.shared("server", async () => {
      await this.file("screen.txt");
      const srv = await serve(this.ws);
      this.serverStderr = srv.stderr;
      const { pane } = await srv.spawn({ command: "cat screen.txt", cols: COLS, rows: ROWS });
      await srv.ok("wait_for", { pane, exit: true, timeout_ms: 30_000 });
      return { value: { srv, screenPane: pane }, release: () => srv.close() };
    });
  }

  /** An embedded `serve` whose policy requires the sandbox (the default policy of `ccmux init`). */
  sandboxed() {
    return this.shared("sandboxed", async () => {
      const ws = makeWorkspace(benchPolicy("required"));
      const srv = await serve(ws);
      const release = async () => {
        await srv.close();
        ws.cleanup();
      };
      return { value: srv, release };
    });
  }

  /**
   * The tmux peer: a private server whose session `bench` (120×40) shows screen.txt in its first pane; null when
   * tmux is not measured.
   * @returns {Promise<{ tm: import("./tmux-server.mjs").TmuxServer, screenPane: string } | null>}
   */
  async tmux() {
    if (!this.tmuxAvailable) return null;
    return this.shared("tmux", async () => {
      await this.file("screen.txt");
      const tm = await startTmux(this.ws.dir, { historyLimit: SCROLLBACK });
      // Kept alive by the shell, so no "Pane is dead" line scrolls the screen (and tmux discards nothing).
      const shape = { cols: COLS, rows: ROWS, cwd: this.ws.root };
      const screenPane = await tm.newSession("bench", shape, "sh", "-c", "cat screen.txt; exec sleep 3600");
      await pollUntil(async () => (await tm.capture(screenPane)).includes("SCREEN-LAST-LINE"), {
        timeoutMs: 10_000,
        intervalMs: 25,
        what: "screen.txt in tmux",
      });
      return { value: { tm, screenPane }, release: async () => tm.kill() };
    });
  }

  /** A daemon of its own policy file, workspace and runtime directory, started by its first bridge. */
  daemon() {
    return this.shared("daemon", async () => {
      const ws = makeWorkspace(benchPolicy());
      const daemon = daemonFor(ws);
      const release = async () => {
        daemon.stop();
        ws.cleanup();
      };
      return { value: { ws, daemon }, release };
    });
  }

  /** Stops `resource` if it was started. @param {Resource} resource */
  async release(resource) {
    const entry = this.started.get(resource);
    this.started.delete(resource);
    await entry?.release();
  }

  /** Releases everything and removes the workspace. */
  async close() {
    for (const resource of [...this.started.keys()]) await this.release(resource).catch(() => {});
    this.ws.cleanup();
  }
}
