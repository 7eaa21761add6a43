#!/usr/bin/env node
// Pane history kept across daemon restarts (issue 15): what the journal costs ingest, and how long a restart
// takes to bring panes back.
// - ingest: `cat` of a big file in a pane until it exits, through `serve` over MCP stdio, with persist.scrollback
//   on and off; the two servers alternate round by round in one run, each timed by this client's clock from
//   spawn to wait_for's answer.
// - restart: a daemon with N panes of full history (limits.scrollbackLines lines of 80 columns each) is killed
//   with SIGKILL; the next daemon's journal record says how long reading, opening and replaying them took, and
//   the first list_panes + read_pane of every pane are timed from the new bridge's connect.
//
//   node bench/journal.mjs [--mb N] [--rounds N] [--panes N] [--lines N]   prints a JSON summary
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  daemonFor,
  machineInfo,
  makeWorkspace,
  median,
  now,
  processGone,
  serve,
  stopAllDaemons,
  writeTextFile,
} from "./support.mjs";

const COLS = 120;
const ROWS = 40;

/** Ingest MB/s with the journal on and off (median and spread of `rounds` each), and their ratio per round. */
export async function benchJournalIngest({ mb = 50, rounds = 5 } = {}) {
  const servers = {};
  const workspaces = [];
  const marker = "JOURNAL-BENCH-END";
  try {
    for (const kept of [true, false]) {
      const ws = makeWorkspace({
        commands: [{ command: "cat", args: ["{path}"] }],
        limits: { callsPerMinute: 100_000, burst: 100_000 },
        sandbox: { mode: "off" },
        persist: { scrollback: kept, masterKey: "file" },
      });
      workspaces.push(ws);
      const bytes = await writeTextFile(join(ws.root, "big.txt"), {
        lines: Math.round((mb * 1e6) / 76),
        width: 75,
        last: marker,
      });
      servers[kept ? "on" : "off"] = { srv: await serve(ws), bytes };
    }
    const rates = { on: [], off: [] };
    const ratios = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ["on", "off"] : ["off", "on"];
      const inRound = {};
      for (const way of order) {
        const { srv, bytes } = servers[way];
        const start = now();
        const { pane } = await srv.ok("spawn", { command: "cat big.txt", cols: COLS, rows: ROWS });
        const waited = await srv.ok(
          "wait_for",
          { pane, exit: true, timeout_ms: 300_000 },
          { timeout: 330_000 },
        );
        const ms = now() - start;
        if (waited.exitCode !== 0) throw new Error(`cat exited ${waited.exitCode}`);
        const shown = await srv.ok("read_pane", { pane });
        if (!shown.text.includes(marker)) throw new Error(`${way}: the end marker is not on the screen`);
        await srv.ok("kill_pane", { pane });
        inRound[way] = bytes / 1e6 / (ms / 1000);
        rates[way].push(inRound[way]);
      }
      ratios.push(inRound.on / inRound.off);
    }
    const stat = (values) => ({
      median: round2(median(values)),
      min: round2(Math.min(...values)),
      max: round2(Math.max(...values)),
    });
    return { mb, rounds, onMBs: stat(rates.on), offMBs: stat(rates.off), onOverOff: stat(ratios) };
  } finally {
    for (const { srv } of Object.values(servers)) await srv.close();
    for (const ws of workspaces) ws.cleanup();
  }
}

/** Restart time with `panes` panes of `lines` lines of history each. */
export async function benchJournalRestart({ panes = 16, lines = 10_000 } = {}) {
  const ws = makeWorkspace({
    commands: [{ command: "cat", args: ["{path}"] }],
    limits: {
      callsPerMinute: 100_000,
      burst: 100_000,
      maxPanes: 64,
      maxExitedPanes: 64,
      scrollbackLines: lines,
    },
    sandbox: { mode: "off" },
    persist: { scrollback: true, masterKey: "file" },
  });
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
    // Each exited pane's journal is written as it exits: wait for the last one to be on disk.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const pid = daemon.pid();
    process.kill(pid, "SIGKILL");
    while (!processGone(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    await first.close().catch(() => {});
    const start = now();
    const again = await daemon.connect("bench");
    const listed = await again.ok("list_panes");
    const connectAndList = now() - start;
    for (const pane of ids) {
      const read = await again.ok("read_pane", { pane, mode: "scrollback", lines: 5 });
      if (!read.text.includes("HISTORY-END")) throw new Error(`pane ${pane} came back without its history`);
    }
    const untilAllRead = now() - start;
    const restored = listed.panes.filter((pane) => pane.reason === "daemon restarted").length;
    const record = readFileSync(ws.auditPath, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line))
      .find((r) => r.event === "journal" && r.reason === "daemon restarted");
    await again.close();
    return {
      panes,
      linesPerPane: lines,
      restored,
      daemonRestoreMs: record?.detail?.elapsedMs,
      connectAndListMs: Math.round(connectAndList),
      untilEveryPaneReadMs: Math.round(untilAllRead),
    };
  } finally {
    stopAllDaemons();
    ws.cleanup();
  }
}

function round2(value) {
  return Math.round(value * 100) / 100;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      mb: { type: "string", default: "50" },
      rounds: { type: "string", default: "5" },
      panes: { type: "string", default: "16" },
      lines: { type: "string", default: "10000" },
    },
  });
  const ingest = await benchJournalIngest({ mb: Number(values.mb), rounds: Number(values.rounds) });
  const restart = await benchJournalRestart({ panes: Number(values.panes), lines: Number(values.lines) });
  process.stdout.write(`${JSON.stringify({ machine: machineInfo(), ingest, restart }, null, 2)}\n`);
}
