#!/usr/bin/env node
// ccmux benchmark: drives the built CLI (`node dist/cli/main.js serve`) through the real MCP SDK client over
// stdio, the way an agent would, and compares pane ingest with raw node-pty and plain `cat`.
//
//   npm run bench                  build, then the full run; writes bench/results.json
//   node bench/run.mjs --quick     smoke run (fewer iterations, 10 MB file, 10 panes); writes no JSON
//   node bench/run.mjs --out FILE  write the JSON to FILE instead
//
// Progress goes to stderr (one line per result row); the Markdown table goes to stdout.
import { spawn as spawnChild } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as nodePty from "node-pty";
import {
  machineInfo,
  makeWorkspace,
  median,
  memoryOf,
  now,
  percentile,
  sample,
  serve,
  textOf,
  writeTextFile,
} from "./support.mjs";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const outIndex = argv.indexOf("--out");
const OUT =
  outIndex >= 0
    ? resolve(argv[outIndex + 1])
    : QUICK
      ? undefined
      : resolve(import.meta.dirname, "results.json");

const CONFIG = QUICK
  ? { readN: 100, sendN: 100, keyN: 50, ingestMB: 10, ingestReps: 3, memPanes: 10, warmup: 10, floodMB: 50 }
  : {
      readN: 500,
      sendN: 500,
      keyN: 200,
      ingestMB: 100,
      ingestReps: 3,
      memPanes: 50,
      warmup: 20,
      floodMB: 1000,
    };
const COLS = 120;
const ROWS = 40;
const SCROLLBACK = 10_000;
const MEM_LINES = 12_000;
const MEM_WIDTH = 80;
const INGEST_WIDTH = 100; // characters per line before the newline
const LONG_MS = 600_000;

const POLICY = {
  commands: [
    { command: "cat", args: [""], input: "raw", description: "bench: echo pane" },
    { command: "cat", args: ["{path}"], description: "bench: print a workspace file" },
    { command: "bash", args: ["--norc --noprofile"], input: "raw", description: "bench: shell" },
    { command: "node", args: ["{path} *"], description: "bench: flood writer" },
  ],
  env: { pass: ["PATH", "HOME", "LANG"], passSecrets: [], fromAgent: [] },
  limits: {
    maxPanes: 64,
    maxExitedPanes: 64,
    callsPerMinute: 100_000,
    burst: 100_000,
    scrollbackLines: SCROLLBACK,
    maxInputBytes: 4096,
    maxWaitMs: LONG_MS,
    maxWaiters: 64,
  },
  sandbox: { mode: "off" },
};

const results = [];
const log = (line) => process.stderr.write(`${line}\n`);
const rand = () => Math.random().toString(36).slice(2, 10);

function record(row) {
  const full = { ...row, notes: row.notes ?? "" };
  results.push(full);
  log(
    `  ${full.name}: median ${fmt(full.median)} ${full.unit}, p99 ${fmt(full.p99)}, n=${full.n}${full.notes ? ` (${full.notes})` : ""}`,
  );
}

function timingRow(name, samples, notes = "") {
  record({
    name,
    unit: "ms",
    median: round(median(samples), 3),
    p99: round(percentile(samples, 99), 3),
    n: samples.length,
    notes,
  });
}

function round(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function fmt(value) {
  return value === null || value === undefined ? "—" : String(value);
}

/** wait_for that must end with reason "matched". */
async function waitMatched(srv, args, what) {
  const result = await srv.ok("wait_for", args, { timeout: (args.timeout_ms ?? 30_000) + 30_000 });
  if (!result.matched) {
    throw new Error(
      `wait_for ${JSON.stringify({ ...args, text: args.text })} for ${what} ended with reason=${result.reason} after ${result.elapsedMs} ms (alive=${result.alive}, exitCode=${result.exitCode}); screen tail: ${JSON.stringify(result.text.slice(-300))}`,
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// 1. read_pane round trip on a full 120x40 screen.
async function benchReadPane(srv) {
  log("read_pane round trip (screen, full 120x40 screen)...");
  const { pane } = await srv.spawn({ command: "cat screen.txt", cols: COLS, rows: ROWS });
  await srv.ok("wait_for", { pane, exit: true, timeout_ms: 30_000 });
  const first = await srv.ok("read_pane", { pane });
  const lines = first.text.split("\n");
  const full = lines.filter((line) => line.length === COLS).length;
  if (!first.text.includes("SCREEN-LAST-LINE")) {
    throw new Error(
      `read_pane screen does not show the last line of screen.txt: ${JSON.stringify(first.text.slice(-200))}`,
    );
  }
  const samples = await sample(CONFIG.readN, CONFIG.warmup, async () => {
    const result = await srv.call("read_pane", { pane });
    if (result.isError) throw new Error(`read_pane ${pane} -> isError: ${textOf(result)}`);
  });
  timingRow(
    "read_pane round trip (screen 120x40)",
    samples,
    `${first.text.length} chars, ${lines.length} rows (${full} of ${COLS} cols)`,
  );
  await srv.kill(pane);
}

// 2. send_keys round trip to a `cat` pane (input raw).
async function benchSendKeys(srv) {
  log("send_keys round trip (cat, input raw)...");
  const { pane } = await srv.spawn({ command: "cat", cols: COLS, rows: ROWS });
  const tag = rand();
  const samples = await sample(CONFIG.sendN, CONFIG.warmup, async (i) => {
    const args = { pane, text: `line ${i} ${tag}`, submit: true };
    const result = await srv.call("send_keys", args);
    if (result.isError) throw new Error(`send_keys ${JSON.stringify(args)} -> isError: ${textOf(result)}`);
  });
  // Everything typed arrived: cat echoed the last line back (tty echo + cat's own output).
  await waitMatched(
    srv,
    { pane, text: `line ${CONFIG.sendN - 1} ${tag}`, timeout_ms: 10_000 },
    "the last line sent",
  );
  timingRow("send_keys round trip (cat, text+Enter)", samples, "~15 bytes per call");
  await srv.kill(pane);
}

// 3. keystroke-to-visible in bash: send_keys + wait_for, and send_keys + polling read_pane.
async function benchKeystroke(srv) {
  log("keystroke-to-visible (bash --norc --noprofile)...");
  const { pane } = await srv.spawn({ command: "bash --norc --noprofile", cols: COLS, rows: ROWS });
  await srv.ok("send_keys", { pane, text: "echo READY$((40+2))", submit: true });
  await waitMatched(srv, { pane, text: "READY42", timeout_ms: 10_000 }, "bash to start");
  // Random per iteration, bracketed by letters rand() never yields: no token is a substring of another.
  const token = () => `K${rand()}${rand()}Q`;

  // The token is typed as a shell comment: bash echoes it on the command line and runs nothing.
  const serverElapsed = [];
  const viaWait = await sample(CONFIG.keyN, CONFIG.warmup, async (i) => {
    const t = token();
    await srv.ok("send_keys", { pane, text: `#${t}`, submit: true });
    const waited = await waitMatched(srv, { pane, text: t, timeout_ms: 10_000 }, "the typed token");
    if (i >= 0) serverElapsed.push(waited.elapsedMs);
  });
  timingRow(
    "keystroke→visible: send_keys + wait_for",
    viaWait,
    `bash echo of '#token' + Enter; wait_for's own elapsedMs median ${median(serverElapsed)}`,
  );

  let polls = 0;
  const viaPoll = await sample(CONFIG.keyN, CONFIG.warmup, async (i) => {
    const t = token();
    await srv.ok("send_keys", { pane, text: `#${t}`, submit: true });
    for (let attempt = 0; ; attempt++) {
      if (attempt > 100_000) throw new Error(`read_pane never showed token ${t}`);
      const screen = await srv.ok("read_pane", { pane });
      if (i >= 0) polls++;
      if (screen.text.includes(t)) break;
    }
  });
  timingRow(
    "keystroke→visible: send_keys + polling read_pane",
    viaPoll,
    `${(polls / CONFIG.keyN).toFixed(2)} read_pane calls per iteration`,
  );
  await srv.kill(pane);
}

// 4. ingest throughput: ccmux pane vs raw node-pty vs cat to a pipe vs cat to /dev/null.
async function benchIngest(srv, ws, bigPath, bigBytes, marker) {
  const mb = bigBytes / 1e6;
  const mbps = (ms) => mb / (ms / 1000);
  const throughputRow = (name, times, notes) => {
    const rates = times.map(mbps);
    record({
      name,
      unit: "MB/s",
      median: round(median(rates), 1),
      p99: null,
      n: rates.length,
      notes: `${notes}; median ${round(median(times) / 1000, 3)} s for ${round(mb, 1)} MB`,
    });
  };

  // Two ways an agent waits for a big output: for the exit (pure ingest), or for a text (each new line is searched).
  const variants = [
    ["ingest: ccmux pane (spawn → wait_for exit, then read_pane)", { exit: true }],
    ["ingest: ccmux pane (spawn → wait_for end-marker text)", { text: marker }],
  ];
  for (const [name, waitArgs] of variants) {
    log(`${name}: cat of ${round(mb, 1)} MB...`);
    const times = [];
    const reasons = [];
    for (let rep = 0; rep < CONFIG.ingestReps; rep++) {
      const start = now();
      const { pane } = await srv.spawn({ command: "cat big.txt", cols: COLS, rows: ROWS });
      const waited = await srv.ok(
        "wait_for",
        { pane, ...waitArgs, timeout_ms: LONG_MS },
        { timeout: LONG_MS + 30_000 },
      );
      const elapsed = now() - start;
      reasons.push(waited.reason);
      const screen = await srv.ok("read_pane", { pane });
      if (!screen.text.includes(marker)) {
        throw new Error(
          `after wait_for (reason=${waited.reason}, exitCode=${waited.exitCode}) read_pane does not show the end marker; screen tail: ${JSON.stringify(screen.text.slice(-300))}`,
        );
      }
      times.push(elapsed);
      log(
        `  rep ${rep + 1}: ${round(elapsed / 1000, 2)} s, ${round(mbps(elapsed), 1)} MB/s (${waited.reason})`,
      );
      await srv.kill(pane);
    }
    throughputRow(name, times, `wait_for reasons: ${[...new Set(reasons)].join(",")}`);
  }

  log("ingest: raw node-pty, no emulator...");
  const ptyTimes = [];
  const ptyBytes = [];
  for (let rep = 0; rep < CONFIG.ingestReps; rep++) {
    const start = now();
    let bytes = 0;
    const child = nodePty.spawn("cat", [bigPath], {
      name: "xterm-256color",
      cols: COLS,
      rows: ROWS,
      cwd: ws.root,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/", LANG: "C.UTF-8" },
      encoding: null,
    });
    child.onData((chunk) => {
      bytes += chunk.length;
    });
    const exit = await new Promise((resolveExit) => child.onExit(resolveExit));
    const elapsed = now() - start;
    if (exit.exitCode !== 0) throw new Error(`node-pty cat exited ${JSON.stringify(exit)}`);
    ptyTimes.push(elapsed);
    ptyBytes.push(bytes);
    log(
      `  rep ${rep + 1}: ${round(elapsed / 1000, 2)} s, ${round(mbps(elapsed), 1)} MB/s, ${bytes} bytes seen by exit`,
    );
  }
  const lineCount = Math.ceil(bigBytes / (INGEST_WIDTH + 1));
  throughputRow(
    "ingest: raw node-pty (no emulator)",
    ptyTimes,
    `bytes seen by onExit: median ${round((median(ptyBytes) / (bigBytes + lineCount)) * 100, 2)}% of file+CRs`,
  );

  log("ingest: cat to a pipe (node reads it)...");
  const pipeTimes = [];
  for (let rep = 0; rep < CONFIG.ingestReps; rep++) {
    const start = now();
    const child = spawnChild("cat", [bigPath], { stdio: ["ignore", "pipe", "inherit"] });
    let bytes = 0;
    child.stdout.on("data", (chunk) => {
      bytes += chunk.length;
    });
    const [code] = await once(child, "close");
    const elapsed = now() - start;
    if (code !== 0 || bytes !== bigBytes)
      throw new Error(`cat | pipe: exit ${code}, ${bytes} of ${bigBytes} bytes`);
    pipeTimes.push(elapsed);
  }
  throughputRow("ingest: cat → pipe read by node", pipeTimes, "child_process, stdout pipe");

  log("ingest: cat > /dev/null...");
  const nullTimes = [];
  for (let rep = 0; rep < CONFIG.ingestReps; rep++) {
    const devNull = openSync("/dev/null", "w");
    try {
      const start = now();
      const child = spawnChild("cat", [bigPath], { stdio: ["ignore", devNull, "inherit"] });
      const [code] = await once(child, "exit");
      const elapsed = now() - start;
      if (code !== 0) throw new Error(`cat > /dev/null exited ${code}`);
      nullTimes.push(elapsed);
    } finally {
      closeSync(devNull);
    }
  }
  throughputRow("ingest: cat > /dev/null", nullTimes, "machine limit incl. process start");
}

// 4b. flood: one pane prints CONFIG.floodMB of output; the server's memory must stay flat (flow control).
async function benchFlood(srv, ws) {
  const script = join(ws.root, "flood.mjs");
  writeFileSync(
    script,
    [
      "const total = Number(process.argv[2]);",
      'const chunk = Buffer.from(`${"z".repeat(99)}\\n`.repeat(10_000));',
      "for (let written = 0; written < total; written += chunk.length) process.stdout.write(chunk);",
      'process.stdout.write("FLOOD-DONE\\n");',
      "",
    ].join("\n"),
  );
  const bytes = CONFIG.floodMB * 1e6;
  log(`flood: ${CONFIG.floodMB} MB through one pane, sampling server RSS...`);
  const before = memoryOf(srv.pid).rssKiB;
  const samples = [];
  const timer = setInterval(() => samples.push(memoryOf(srv.pid).rssKiB), 250);
  const start = now();
  try {
    const { pane } = await srv.spawn({ command: `node flood.mjs ${bytes}`, cols: COLS, rows: ROWS });
    const waited = await srv.ok(
      "wait_for",
      { pane, exit: true, timeout_ms: LONG_MS },
      { timeout: LONG_MS + 30_000 },
    );
    if (waited.exitCode !== 0) throw new Error(`flood writer exited with ${waited.exitCode}`);
    const screen = await srv.ok("read_pane", { pane });
    if (!screen.text.includes("FLOOD-DONE")) throw new Error("flood: the final line is missing");
    await srv.kill(pane);
  } finally {
    clearInterval(timer);
  }
  const seconds = (now() - start) / 1000;
  const peak = Math.max(before, ...samples);
  const mib = (kib) => round(kib / 1024, 1);
  record({
    name: `flood: server RSS while one pane prints ${CONFIG.floodMB} MB`,
    unit: "MiB",
    median: mib(median(samples.length > 0 ? samples : [before])),
    p99: mib(peak),
    n: samples.length,
    notes: `RSS before ${mib(before)} MiB, peak ${mib(peak)} MiB (p99 column); ${round(CONFIG.floodMB / seconds, 1)} MB/s, final line read`,
  });
}

// 5. memory: server RSS with N exited panes each holding a full scrollback (fresh server).
async function benchMemory(ws) {
  const count = CONFIG.memPanes;
  log(
    `memory: fresh server, ${count} panes × cat of ${MEM_LINES} lines × ${MEM_WIDTH} chars (scrollback ${SCROLLBACK})...`,
  );
  const srv = await serve(ws);
  try {
    await srv.ok("list_panes");
    const idle = memoryOf(srv.pid);
    const panes = [];
    for (let i = 0; i < count; i++) {
      const { pane } = await srv.spawn({ command: "cat mem.txt", cols: COLS, rows: ROWS, name: `mem${i}` });
      panes.push(pane);
    }
    for (const pane of panes) {
      const waited = await srv.ok(
        "wait_for",
        { pane, exit: true, timeout_ms: 120_000 },
        { timeout: 150_000 },
      );
      if (waited.exitCode !== 0) throw new Error(`cat mem.txt in ${pane} ended: ${JSON.stringify(waited)}`);
    }
    // One pane's history: the truncation marker of a scrollback read counts the lines held.
    const history = await srv.ok("read_pane", { pane: panes[0], mode: "scrollback" });
    const historyLines = history.text.split("\n");
    const marker = /^\[… (\d+) earlier lines? truncated …\]$/.exec(historyLines[0] ?? "");
    const held = marker ? Number(marker[1]) + historyLines.length - 1 : historyLines.length;
    const listed = await srv.ok("list_panes");
    const retained = listed.panes.filter((p) => panes.includes(p.pane)).length;
    if (retained !== count)
      throw new Error(`list_panes shows ${retained} of ${count} exited bench panes (evicted?)`);
    const loaded = memoryOf(srv.pid);
    const mib = (kib) => round(kib / 1024, 1);
    const common = `${count} exited panes retained, pane 0 holds ${held} lines (scrollback ${SCROLLBACK} + ${ROWS} rows)`;
    record({
      name: "server RSS, idle",
      unit: "MiB",
      median: mib(idle.rssKiB),
      p99: null,
      n: 1,
      notes: "fresh server after list_panes",
    });
    record({
      name: `server RSS, ${count} panes full scrollback`,
      unit: "MiB",
      median: mib(loaded.rssKiB),
      p99: null,
      n: 1,
      notes: `${common}; peak (VmHWM) ${mib(loaded.hwmKiB)} MiB`,
    });
    record({
      name: "server RSS per pane ((loaded − idle) / panes)",
      unit: "MiB",
      median: round((loaded.rssKiB - idle.rssKiB) / 1024 / count, 2),
      p99: null,
      n: count,
      notes: `${COLS}x${ROWS}, ${MEM_LINES} lines of ${MEM_WIDTH} chars each`,
    });
  } catch (error) {
    error.serverStderr = srv.stderr();
    throw error;
  } finally {
    await srv.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
function markdownTable(rows) {
  const header = "| benchmark | unit | median | p99 | n | notes |\n|---|---|---:|---:|---:|---|";
  const body = rows.map(
    (r) =>
      `| ${r.name} | ${r.unit} | ${fmt(r.median)} | ${fmt(r.p99)} | ${r.n} | ${r.notes.replaceAll("|", "\\|")} |`,
  );
  return [header, ...body].join("\n");
}

async function main() {
  const started = now();
  const machine = machineInfo();
  log(
    `ccmux bench${QUICK ? " (--quick)" : ""}: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, ${machine.totalMemMiB} MiB`,
  );
  const ws = makeWorkspace(POLICY);
  let srv;
  try {
    // Workspace files (cat {path} reads them; relative to the default cwd, the workspace root).
    const lastScreenLine = `SCREEN-LAST-LINE ${"=".repeat(COLS)}`.slice(0, COLS);
    await writeTextFile(join(ws.root, "screen.txt"), {
      lines: ROWS - 1,
      width: COLS,
      last: lastScreenLine,
      finalNewline: false,
    });
    await writeTextFile(join(ws.root, "mem.txt"), { lines: MEM_LINES, width: MEM_WIDTH });
    const marker = `CCMUX-BENCH-END-${rand()}${rand()}`;
    const bigPath = join(ws.root, "big.txt");
    log(`generating ${CONFIG.ingestMB} MB file...`);
    const bigLines = Math.ceil((CONFIG.ingestMB * 1e6 - marker.length - 1) / (INGEST_WIDTH + 1));
    const bigBytes = await writeTextFile(bigPath, { lines: bigLines, width: INGEST_WIDTH, last: marker });
    if (statSync(bigPath).size !== bigBytes) throw new Error("generated file size mismatch");

    srv = await serve(ws);
    log(`server pid ${srv.pid}`);
    await benchReadPane(srv);
    await benchSendKeys(srv);
    await benchKeystroke(srv);
    await benchIngest(srv, ws, bigPath, bigBytes, marker);
    await benchFlood(srv, ws);
    await srv.close();
    srv = undefined;
    await benchMemory(ws);

    const table = markdownTable(results);
    const seconds = round((now() - started) / 1000, 1);
    process.stdout.write(
      `\n${table}\n\n${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, ${machine.totalMemMiB} MiB RAM, ${machine.platform}; ${seconds} s${QUICK ? " (--quick)" : ""}\n`,
    );
    if (OUT) {
      const json = { generated: new Date().toISOString(), quick: QUICK, seconds, machine, results };
      writeFileSync(OUT, `${JSON.stringify(json, null, 2)}\n`);
      log(`wrote ${OUT}`);
    }
  } catch (error) {
    const stderr = error.serverStderr ?? srv?.stderr();
    log(`\nBENCH FAILED: ${error?.stack ?? error}`);
    if (stderr) log(`--- server stderr (tail) ---\n${stderr.slice(-4000)}`);
    process.exitCode = 1;
  } finally {
    if (srv) await srv.close();
    ws.cleanup();
  }
}

await main();
