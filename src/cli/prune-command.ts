import { readdirSync } from "node:fs";
import { join } from "node:path";
import { discardJournals, journalRoot } from "./pane-journals-setup.js";

/** A policy's journal directory is named by its daemon's key: 16 hex digits (daemon-files.ts). */
const DAEMON_KEY = /^[0-9a-f]{16}$/;

/**
 * `ccmux prune [--json]`: crypto-shreds the pane journals (issue 15) of every daemon that is not running, and says
 * what it removed. Whether a daemon runs is asked of its journal directory's lock, which the daemon holds for its
 * life whatever runtime directory it uses; a running daemon's journals are its own and stay. Exit 0.
 */
export function pruneCommand(options: { json: boolean }): number {
  const root = journalRoot();
  let keys: string[];
  try {
    keys = readdirSync(root).filter((name) => DAEMON_KEY.test(name));
  } catch {
    keys = [];
  }
  const removed: Array<{ daemon: string; panes: string[] }> = [];
  const running: string[] = [];
  for (const key of keys) {
    const dir = join(root, key);
    const { running: busy, panes } = discardJournals(dir);
    if (busy) {
      running.push(key);
      continue;
    }
    // The directory and its lock file stay: removing the lock while a daemon starts could let two hold it.
    removed.push({ daemon: key, panes });
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ removed, running }, null, 2)}\n`);
    return 0;
  }
  const count = removed.reduce((sum, entry) => sum + entry.panes.length, 0);
  process.stdout.write(
    count === 0 && removed.length === 0
      ? "No pane journals of stopped daemons.\n"
      : `Shredded ${count} pane journal${count === 1 ? "" : "s"} of ${removed.length} stopped daemon${removed.length === 1 ? "" : "s"}.\n`,
  );
  if (running.length > 0) {
    process.stdout.write(
      `Kept the journals of ${running.length} running daemon${running.length === 1 ? "" : "s"} (stop it first: ccmux daemon stop --config FILE).\n`,
    );
  }
  return 0;
}
