// The restart half of the journal workload (issue 15): how long a daemon restart takes to bring back panes with
// their history.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { daemonFor } from "../harness/daemon.mjs";
import { processGone } from "../harness/proc.mjs";
import { now } from "../harness/sampling.mjs";
import { makeWorkspace, writeTextFile } from "../harness/workspace.mjs";

/**
 * The policy of the journal's servers: `cat` of a workspace file, history kept across restarts or not.
 * @param {boolean} scrollback
 * @param {Record<string, number>} [limits]
 */
export const journalPolicy = (scrollback, limits = {}) => ({
  commands: [{ command: "cat", args: ["{path}"] }],
  limits: { callsPerMinute: 100_000, burst: 100_000, ...limits },
  sandbox: { mode: "off" },
  persist: { scrollback, masterKey: "file" },
});

/**
 * A restart with `panes` panes of `lines` lines of history each: the daemon is killed with SIGKILL; the next
 * daemon's journal record says how long reading, opening and replaying them took, and the first list_panes and a
 * read_pane of every pane are timed from the new bridge's start.
 * @param {{ panes: number, lines: number }} options
 */
export async function journalRestart({ panes, lines }) {
  const ws = makeWorkspace(journalPolicy(true, { maxPanes: 64, maxExitedPanes: 64, scrollbackLines: lines }));
  const daemon = daemonFor(ws);
  try {
    await writeTextFile(join(ws.root, "history.txt"), { lines, width: 79, last: "HISTORY-END" });
    const first = await daemon.connect("bench");
    const ids = [];
    for (let i = 0; i < panes; i++) {
      const { pane } = await first.ok("spawn", { command: "cat history.txt", cols: 80, rows: 24 });
      await first.ok("wait_for", { pane, exit: true, timeout_ms: 60_000 });
      ids.push(pane);
    }
    // Each exited pane's journal is written as it exits, off the event loop; nothing reports the last write, so
    // this waits (untimed) a time the writes take many times over.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pid = daemon.pid();
    if (pid === undefined) throw new Error("journal: no daemon pid");
    process.kill(pid, "SIGKILL");
    while (!processGone(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    await first.close();
    const start = now();
    const again = await daemon.connect("bench");
    const listed = await again.ok("list_panes");
    const listMs = now() - start;
    for (const pane of ids) {
      const read = await again.ok("read_pane", { pane, mode: "scrollback", lines: 5 });
      if (!read.text.includes("HISTORY-END"))
        throw new Error(`journal: pane ${pane} came back without its history`);
    }
    const readMs = now() - start;
    const restored = listed.panes.filter((pane) => pane.reason === "daemon restarted").length;
    if (restored !== panes) throw new Error(`journal: ${restored} of ${panes} panes restored`);
    const record = readFileSync(ws.auditPath, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line))
      .find((r) => r.event === "journal" && r.reason === "daemon restarted");
    await again.close();
    return { restoreMs: Number(record?.detail?.elapsedMs), listMs, readMs };
  } finally {
    daemon.stop();
    ws.cleanup();
  }
}
