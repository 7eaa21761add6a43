// Ingest: `cat` of a big file (config.ingestMB MB of 75-column lines) in a 120×40 pane, each peer timed by its
// own clock, the variants taking turns within each run.
import { COLS, LONG_MS, ROWS, SCROLLBACK } from "../harness/config.mjs";
import { fig } from "../harness/format.mjs";
import { ptyRun, ptyToXterm, scriptRun } from "../harness/pty-readers.mjs";
import { peer, perRun, row } from "../harness/rows.mjs";
import { eachRun, now, settleHeap } from "../harness/sampling.mjs";
import { untilSignalled } from "../harness/tmux-clocks.mjs";
import { pollUntil } from "../harness/tmux-server.mjs";

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "ingest",
  title: "Ingest: `cat` of a big file",
  uses: ["server", "tmux"],
  method: `\`cat\` of a file of 75-column lines ending in a marker line, in a 120×40 pane; MB/s is the file's size
over the time. Each peer is timed by its own clock, none by a polling client: (a) **the pty's limit**: \`script -qec
"cat big.txt" /dev/null > /dev/null\` (a C reader), until \`script\` exits; (b) **raw node-pty**: \`cat\` in node-pty in
the bench process, counting bytes until node-pty's exit event (every byte must arrive: the file plus a CR per
line); (c) **tmux**: \`new-window\` running \`sh -c 'cat big.txt; tmux wait-for -S CHANNEL; exec sleep 3600'\` while
the bench waits in \`tmux wait-for CHANNEL\`, from the new-window call until that returns (afterwards, untimed, the
marker must be on tmux's screen); (d) **ccmux until exit**: \`spawn\` + \`wait_for {exit: true}\`, then the marker
must be in \`read_pane\`; (e) **ccmux until the marker**: \`spawn\` + \`wait_for {text: marker}\`, as an agent waits.
A reference row parses the output with @xterm/headless in the bench process (no server). Each run takes every
variant once, in an order that rotates; ratios are taken within each run.`,
  async run(ctx) {
    const { srv } = await ctx.server();
    const tmux = await ctx.tmux();
    const big = await ctx.file("big.txt");
    const mb = big.bytes / 1e6;
    const { marker } = ctx;
    const cwd = ctx.ws.root;
    const shape = { cwd, cols: COLS, rows: ROWS };
    /** @param {{ exit: true } | { text: string }} wait */
    const ccmux = (wait) => async () => {
      const start = now();
      const { pane } = await srv.spawn({ command: "cat big.txt", cols: COLS, rows: ROWS });
      const waited = await srv.ok(
        "wait_for",
        { pane, ...wait, timeout_ms: LONG_MS },
        { timeout: LONG_MS + 30_000 },
      );
      const ms = now() - start;
      if (!waited.matched) throw new Error(`ingest: wait_for ended with reason=${waited.reason}`);
      const screen = await srv.ok("read_pane", { pane });
      await srv.kill(pane);
      if (!screen.text.includes(marker))
        throw new Error(
          `ingest: read_pane lacks the end marker; screen tail: ${JSON.stringify(screen.text.slice(-300))}`,
        );
      return ms;
    };
    const tmuxWaitFor = async () => {
      if (!tmux) throw new Error("ingest: no tmux");
      const { ms, pane } = await untilSignalled(tmux.tm, "bench", cwd, "cat big.txt");
      await pollUntil(async () => (await tmux.tm.capture(pane)).includes(marker), {
        timeoutMs: 30_000,
        what: "the end marker in tmux",
      });
      await tmux.tm.killPane(pane);
      return ms;
    };
    const script = async () => (await scriptRun("cat big.txt", cwd)).ms;
    const raw = async () => {
      const run = await ptyRun(["cat", big.path], shape);
      // The pty turns each LF into CR LF.
      if (run.bytes !== big.bytes + big.lines)
        throw new Error(`ingest: node-pty read ${run.bytes} bytes, expected ${big.bytes + big.lines}`);
      return run.ms;
    };
    const xterm = async () => {
      const run = await ptyToXterm(["cat", big.path], { ...shape, scrollback: SCROLLBACK });
      if (!run.screen.includes(marker))
        throw new Error("ingest: @xterm/headless's screen lacks the end marker");
      return run.ms;
    };
    const variants = Object.entries({
      script,
      raw,
      ...(tmux ? { tmux: tmuxWaitFor } : {}),
      exit: ccmux({ exit: true }),
      marker: ccmux({ text: marker }),
      xterm,
    });
    const runs = await eachRun(ctx.runs, async (turn) => {
      /** @type {Record<string, number>} */
      const rates = {};
      for (const [name, variant] of [
        ...variants.slice(turn % variants.length),
        ...variants.slice(0, turn % variants.length),
      ]) {
        settleHeap();
        rates[name] = mb / ((await variant()) / 1000);
      }
      ctx.log(
        `  ingest run ${turn + 1}: ${variants.map(([name]) => `${name} ${Math.round(rates[name] ?? 0)}`).join(", ")} MB/s`,
      );
      return rates;
    });
    /** @param {string} name @param {string} notes */
    const rate = (name, notes) =>
      perRun(
        runs.map((r) => r[name] ?? Number.NaN),
        notes,
      );
    const limits = [
      ...(tmux
        ? [{ name: "tmux (wait-for)", measure: rate("tmux", "new-window until `tmux wait-for` returns") }]
        : []),
      { name: "raw node-pty", measure: rate("raw", "bytes counted until exit") },
      { name: "the pty's limit (script)", measure: rate("script", "until script exits") },
    ];
    const exit = rate("exit", "spawn + wait_for {exit: true}; marker checked after");
    const marked = rate("marker", "spawn + wait_for {text: marker}");
    const exitPeers = limits.map((p) => peer(p.name, p.measure, exit));
    const tmuxRatio = exitPeers.find((p) => p.name.startsWith("tmux"))?.ratio;
    const rawRatio = exitPeers.find((p) => p.name === "raw node-pty")?.ratio;
    return [
      row({
        id: "ingest-exit",
        title: `ingest: \`cat\` of ${Math.round(mb)} MB until it exits`,
        unit: "MB/s",
        better: "higher",
        ccmux: exit,
        peers: exitPeers,
        target:
          tmuxRatio && rawRatio
            ? {
                text: "≥ 1.2× tmux (by its clock) and ≥ 0.9× raw node-pty",
                met: tmuxRatio.median >= 1.2 && rawRatio.median >= 0.9,
                detail: `ccmux/tmux ${fig(tmuxRatio)}, ccmux/raw node-pty ${fig(rawRatio)}`,
              }
            : null,
      }),
      row({
        id: "ingest-marker",
        title: `ingest: \`cat\` of ${Math.round(mb)} MB until the end marker shows (as an agent waits)`,
        unit: "MB/s",
        better: "higher",
        ccmux: marked,
        peers: limits.map((p) => peer(p.name, p.measure, marked)),
      }),
      row({
        id: "ingest-xterm",
        title: "ingest: node-pty → @xterm/headless in the bench process (no server)",
        unit: "MB/s",
        better: "higher",
        ccmux: rate("xterm", "until exit and everything parsed; the marker must be on its screen"),
      }),
    ];
  },
};
