// The daemon (issue 12): `serve --daemon` is a stdio bridge to the policy's long-lived daemon. The same round trip
// and keystroke workloads through bridge and daemon, the embedded server, the SDK client straight on the daemon's
// socket (no bridge) and tmux, taking turns in blocks within each run.
import { realpathSync } from "node:fs";
import { COLS, ROWS } from "../harness/config.mjs";
import { connectDirect } from "../harness/daemon-direct.mjs";
import { ccmuxBash, tmuxBash } from "../harness/echo-keys.mjs";
import { fig } from "../harness/format.mjs";
import { readPane } from "../harness/mcp-server.mjs";
import { cpuMsOf } from "../harness/proc.mjs";
import { latency, peer, perRun, row } from "../harness/rows.mjs";
import { eachRun, interleave, samplesOf } from "../harness/sampling.mjs";
import { figure, median } from "../harness/stats.mjs";

/** The issue's target: a round trip through bridge and daemon within this of the embedded server's (median). */
const WITHIN_MS = 0.3;

/**
 * The daemon target on `daemon` against `embedded`: each run's median difference, summarized over runs.
 * @param {import("../harness/rows.mjs").Measure} daemon
 * @param {import("../harness/rows.mjs").Measure} embedded
 * @param {import("../harness/rows.mjs").Peer | null} tmux With a tmux peer: and ≥ 3× faster than tmux.
 * @returns {import("../harness/rows.mjs").Target}
 */
function daemonTarget(daemon, embedded, tmux) {
  const gap = figure(daemon.runs.map((ms, i) => ms - (embedded.runs[i] ?? Number.NaN)));
  const text = `within ${WITHIN_MS} ms of embedded serve (median)${tmux ? " and ≥ 3× faster than tmux" : ""}`;
  const met = gap.median <= WITHIN_MS && (!tmux || tmux.ratio.median <= 1 / 3);
  return {
    text,
    met,
    detail: `daemon − embedded ${fig(gap)} ms${tmux ? `, ccmux/tmux ${fig(tmux.ratio)}` : ""}`,
  };
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "daemon",
  title: "Through the daemon (`serve --daemon`)",
  uses: ["server", "tmux", "daemon"],
  method: `The round trip and keystroke workloads (see those) through \`ccmux serve --daemon\`: the SDK client
talks to the bridge over stdio, the bridge to the daemon over its Unix socket. Peers in the same runs, taking turns
in blocks: the embedded \`serve\`, the SDK client straight on the daemon's socket (no bridge: the
daemon's own share), and tmux (\`capture-pane -p\`; keystrokes timed by \`%output\`). The bridge's CPU per read
comes from /proc schedstat over the reads.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv, screenPane } = await ctx.server();
    const tmux = await ctx.tmux();
    const { ws: dws, daemon } = await ctx.daemon();
    await ctx.file("screen.txt", dws);
    const dsrv = await daemon.connect("bench");
    const daemonPid = daemon.pid();
    if (daemonPid === undefined) throw new Error("daemon: no pid after the first bridge connected");
    const direct = await connectDirect(daemon.socketDir, realpathSync(dws.policyPath), "bench");
    const shape = { cols: COLS, rows: ROWS };
    // Panes die with their servers: the shared server's at its release, the daemon's with the bridge's close.
    const embeddedBash = await ccmuxBash(srv, shape);
    const daemonBash = await ccmuxBash(dsrv, shape);
    const directBash = await ccmuxBash(dsrv, shape);
    const tbash = tmux ? await tmuxBash(tmux.tm, "daemon-keys", { ...shape, cwd: ctx.ws.root }) : null;
    try {
      const { pane } = await dsrv.spawn({ command: "cat screen.txt", ...shape });
      await dsrv.ok("wait_for", { pane, exit: true, timeout_ms: 30_000 });
      if (!(await dsrv.ok("read_pane", { pane })).text.includes("SCREEN-LAST-LINE"))
        throw new Error("daemon: read_pane lacks screen.txt's last line");
      const options = { n: config.reads, block: config.block, warmup: config.warmup, blockWarmup: 2 };
      /** @param {number} pid @param {number} before @param {number} n CPU µs per call since `before`. */
      const perCall = (pid, before, n) => Math.round(((cpuMsOf(pid) - before) * 1000) / n);
      /** @type {Array<{ embedded: number, daemon: number, bridge: number }>} */
      const cpu = [];
      const reads = await eachRun(ctx.runs, async (turn) => {
        const calls = { embedded: 0, daemon: 0, direct: 0 };
        /** @param {keyof typeof calls} side @param {() => Promise<unknown>} read */
        const counted = (side, read) => () => {
          calls[side]++;
          return read();
        };
        const before = { embedded: cpuMsOf(srv.pid), daemon: cpuMsOf(daemonPid), bridge: cpuMsOf(dsrv.pid) };
        const run = await interleave(
          {
            embedded: counted("embedded", () => readPane(srv, screenPane)),
            daemon: counted("daemon", () => readPane(dsrv, pane)),
            direct: counted("direct", () => readPane(direct, pane)),
            ...(tmux ? { tmux: () => tmux.tm.capture(tmux.screenPane) } : {}),
          },
          { ...options, turn },
        );
        cpu.push({
          embedded: perCall(srv.pid, before.embedded, calls.embedded),
          daemon: perCall(daemonPid, before.daemon, calls.daemon + calls.direct),
          bridge: perCall(dsrv.pid, before.bridge, calls.daemon),
        });
        return run;
      });
      const pings = await eachRun(ctx.runs, (turn) =>
        interleave(
          {
            embedded: () => srv.client.ping(),
            daemon: () => dsrv.client.ping(),
            direct: () => direct.client.ping(),
          },
          { ...options, turn },
        ),
      );
      const keys = await eachRun(ctx.runs, (turn) =>
        interleave(
          {
            embedded: () => embeddedBash.type(),
            daemon: () => daemonBash.type(),
            direct: () => directBash.type(direct),
            ...(tbash ? { tmux: () => tbash.type() } : {}),
          },
          { ...options, n: config.keys, turn },
        ),
      );
      /**
       * The daemon's row of `runs` with its peers; `target` gets the daemon and embedded measures and tmux's peer.
       * @param {typeof reads} runs
       * @param {{ id: string, title: string, tmuxTarget?: boolean, judged?: boolean }} what
       */
      const daemonRow = (runs, { id, title, tmuxTarget = false, judged = true }) => {
        const ccmux = latency(samplesOf(runs, "daemon"), "SDK client → bridge → daemon socket → back");
        const embedded = peer("embedded serve", latency(samplesOf(runs, "embedded")), ccmux);
        const peers = [embedded, peer("daemon socket, no bridge", latency(samplesOf(runs, "direct")), ccmux)];
        const tmuxPeer = runs[0]?.tmux ? peer("tmux", latency(samplesOf(runs, "tmux")), ccmux) : null;
        if (tmuxPeer) peers.push(tmuxPeer);
        const target = judged ? daemonTarget(ccmux, embedded.measure, tmuxTarget ? tmuxPeer : null) : null;
        return row({ id, title, unit: "ms", better: "lower", ccmux, peers, target });
      };
      return [
        daemonRow(reads, {
          id: "round-trip-daemon",
          title: "daemon round trip: read_pane of a full 120×40 screen",
          tmuxTarget: true,
        }),
        daemonRow(keys, { id: "keystroke-daemon", title: "daemon keystroke→visible: bash echo" }),
        daemonRow(pings, { id: "ping-daemon", title: "daemon MCP ping", judged: false }),
        row({
          id: "cpu-per-read",
          title: "CPU of the bridge process per read_pane through it",
          unit: "µs",
          better: "lower",
          ccmux: perRun(
            cpu.map((c) => c.bridge),
            `from /proc schedstat over each run's reads; per read the embedded server ${median(cpu.map((c) => c.embedded))} µs, the daemon ${median(cpu.map((c) => c.daemon))} µs (medians over runs, all threads)`,
          ),
        }),
      ];
    } finally {
      await embeddedBash.close();
      await tbash?.close();
      await direct.close();
      await dsrv.close();
    }
  },
};
