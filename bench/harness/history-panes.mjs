// Panes holding a full history, for the memory rows: each printed mem.txt (MEM_LINES lines of 80 columns, more
// than the 10 000-line scrollback) and exited; ccmux and tmux both keep exited panes with their history.
import { MEM_COLS, MEM_ROWS, SCROLLBACK } from "./config.mjs";
import { pollUntil } from "./tmux-server.mjs";

/**
 * Spawns panes through `server` until `panes` (this server's history panes so far) holds `count`, waits for each
 * new one to exit, and checks list_panes still has them all; resolves with the lines the newest pane holds.
 * @param {import("./mcp-server.mjs").Server} server
 * @param {string[]} panes
 * @param {number} count
 */
export async function ccmuxHistoryPanes(server, panes, count) {
  const fresh = [];
  while (panes.length < count) {
    const { pane } = await server.spawn({ command: "cat mem.txt", cols: MEM_COLS, rows: MEM_ROWS });
    panes.push(pane);
    fresh.push(pane);
  }
  for (const pane of fresh) {
    const waited = await server.ok(
      "wait_for",
      { pane, exit: true, timeout_ms: 120_000 },
      { timeout: 150_000 },
    );
    if (waited.exitCode !== 0) throw new Error(`cat mem.txt in ${pane} ended: ${JSON.stringify(waited)}`);
  }
  const listed = await server.ok("list_panes");
  const kept = listed.panes.filter((p) => panes.includes(p.pane)).length;
  if (kept !== count) throw new Error(`list_panes shows ${kept} of ${count} exited history panes (evicted?)`);
  // A truncation marker counts the lines held beyond those returned (only the character cap cuts here).
  const history = await server.ok("read_pane", { pane: panes.at(-1), mode: "scrollback", lines: 1_000_000 });
  const lines = history.text.split("\n");
  const cut = /^\[… (\d+) earlier lines? truncated …\]$/.exec(lines[0] ?? "");
  return fullHistory(cut ? Number(cut[1]) + lines.length - 1 : lines.length, "ccmux");
}

/**
 * `held` when it is a full history: tmux trims a tenth of its history-limit at a time, so at least 90% of it.
 * @param {number} held
 * @param {string} who
 */
function fullHistory(held, who) {
  if (held < 0.9 * SCROLLBACK)
    throw new Error(`${who}: the newest history pane holds ${held} lines, not ~${SCROLLBACK}`);
  return held;
}

/**
 * The same in tmux: windows of session `session` (created with the first) until `panes` holds `count`, every one
 * exited; checks their number and geometry, and resolves with the lines the newest pane holds.
 * @param {import("./tmux-server.mjs").TmuxServer} tm
 * @param {string} session
 * @param {string[]} panes
 * @param {number} count
 * @param {string} cwd
 */
export async function tmuxHistoryPanes(tm, session, panes, count, cwd) {
  while (panes.length < count)
    panes.push(
      panes.length === 0
        ? await tm.newSession(session, { cols: MEM_COLS, rows: MEM_ROWS, cwd }, "cat", "mem.txt")
        : await tm.newWindow(session, cwd, "cat", "mem.txt"),
    );
  const dead = async () =>
    (await tm.run("list-panes", "-s", "-t", session, "-F", "#{pane_dead}")).trim().split("\n");
  await pollUntil(async () => (await dead()).every((d) => d === "1"), {
    timeoutMs: 120_000,
    intervalMs: 25,
    what: `every pane of tmux session ${session} to exit`,
  });
  const windows = (await dead()).length;
  if (windows !== count) throw new Error(`tmux session ${session} has ${windows} panes, expected ${count}`);
  const [history, size] = (
    await tm.run(
      "display-message",
      "-p",
      "-t",
      panes.at(-1) ?? "",
      "#{history_size} #{pane_width}x#{pane_height}",
    )
  )
    .trim()
    .split(" ");
  if (size !== `${MEM_COLS}x${MEM_ROWS}`)
    throw new Error(`tmux history pane is ${size}, not ${MEM_COLS}x${MEM_ROWS}`);
  return fullHistory(Number(history) + MEM_ROWS, "tmux");
}
