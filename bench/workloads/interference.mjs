// Interference: reads of a quiet pane, without and with `yes` flooding another pane of the same server.
import { COLS, ROWS } from "../harness/config.mjs";
import { fig } from "../harness/format.mjs";
import { readPane, waitMatched } from "../harness/mcp-server.mjs";
import { latency, peer, row } from "../harness/rows.mjs";
import { eachRun, sample } from "../harness/sampling.mjs";
import { pollUntil } from "../harness/tmux-server.mjs";

/** The issue's target: the other panes' read_pane p99 while one pane floods, in ms. */
const P99_TARGET = 20;

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "interference",
  title: "Interference: a flooding pane",
  uses: ["server", "tmux"],
  method: `Reads of a quiet pane (the full screen of the round trip workload): first with nothing else running, then
while \`yes\` floods another pane of the same server (started, seen flooding, and checked still alive after the
reads). ccmux reads with \`read_pane\`, tmux with \`capture-pane -p\` (what an agent calls); each side floods only
its own server. Within each run ccmux goes first or second in turn.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv, screenPane } = await ctx.server();
    const tmux = await ctx.tmux();
    const n = config.interference;
    const ccmuxSide = async () => {
      const quiet = await sample(n, config.warmup, () => readPane(srv, screenPane));
      const { pane } = await srv.spawn({ command: "yes", cols: COLS, rows: ROWS });
      try {
        await waitMatched(srv, { pane, text: "y\ny", timeout_ms: 10_000 }, "yes to flood");
        const flood = await sample(n, config.warmup, () => readPane(srv, screenPane));
        if (!(await srv.ok("read_pane", { pane })).alive)
          throw new Error("the yes pane exited during the reads");
        return { quiet, flood };
      } finally {
        await srv.kill(pane);
      }
    };
    const tmuxSide = async () => {
      if (!tmux) return null;
      const read = () => tmux.tm.capture(tmux.screenPane);
      const quiet = await sample(n, config.warmup, read);
      const pane = await tmux.tm.newWindow("bench", ctx.ws.root, "yes");
      try {
        await pollUntil(async () => (await tmux.tm.capture(pane)).includes("y\ny"), {
          timeoutMs: 10_000,
          what: "tmux yes to flood",
        });
        const flood = await sample(n, config.warmup, read);
        const dead = await tmux.tm.run("display-message", "-p", "-t", pane, "#{pane_dead}");
        if (dead.trim() !== "0") throw new Error("the tmux yes pane exited during the reads");
        return { quiet, flood };
      } finally {
        await tmux.tm.killPane(pane);
      }
    };
    const runs = await eachRun(ctx.runs, async (turn) => {
      if (turn % 2) {
        const t = await tmuxSide();
        return { c: await ccmuxSide(), t };
      }
      const c = await ccmuxSide();
      return { c, t: await tmuxSide() };
    });
    const tmuxRuns = runs.flatMap((r) => (r.t ? [r.t] : []));
    const quiet = latency(
      runs.map((r) => r.c.quiet),
      "read_pane",
    );
    const flood = latency(
      runs.map((r) => r.c.flood),
      "read_pane",
    );
    const floodP99 = flood.p99?.median ?? Number.NaN;
    return [
      row({
        id: "interference-quiet",
        title: "read of a quiet pane, nothing else running",
        unit: "ms",
        better: "lower",
        ccmux: quiet,
        peers: tmuxRuns.length
          ? [peer("tmux capture-pane -p", latency(tmuxRuns.map((t) => t.quiet)), quiet)]
          : [],
      }),
      row({
        id: "interference-yes",
        title: "read of a quiet pane while another pane runs `yes`",
        unit: "ms",
        better: "lower",
        ccmux: flood,
        peers: tmuxRuns.length
          ? [peer("tmux capture-pane -p", latency(tmuxRuns.map((t) => t.flood)), flood)]
          : [],
        target: {
          text: `read_pane p99 under ${P99_TARGET} ms`,
          met: floodP99 < P99_TARGET,
          detail: `p99 ${fig(flood.p99 ?? flood.median)} ms`,
        },
      }),
    ];
  },
};
