// Keystroke→visible: bash echoes a token; ccmux waits with wait_for, tmux by its control-mode client's %output.
import { COLS, ROWS } from "../harness/config.mjs";
import { ccmuxBash, tmuxBash } from "../harness/echo-keys.mjs";
import { latency, peer, row } from "../harness/rows.mjs";
import { eachRun, interleave, samplesOf } from "../harness/sampling.mjs";
import { median } from "../harness/stats.mjs";

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "keystroke",
  title: "Keystroke → visible",
  uses: ["server", "tmux"],
  method: `\`echo K…''Q\` + Enter typed into \`bash --norc --noprofile\` until bash's output line \`K…Q\` shows (the
typed line shows \`K…''Q\`, so only bash's output matches). ccmux: \`send_keys\` then \`wait_for {text}\`, timed
by the client from the first request to the last answer; a second ccmux row polls \`read_pane\` back-to-back
instead, the pattern an agent uses with tmux. tmux: \`send-keys\` as one client process (as tmux-mcp), timed until
the output line arrives in a \`%output\` notification to a control-mode client attached to the pane's session
(tmux's own clock: nothing polls); a capture afterwards, untimed, checks the line is on the screen. A reference
row sends the keys over the control connection itself (no process per call): tmux's floor. The ways take turns
in blocks within each run.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv } = await ctx.server();
    const tmux = await ctx.tmux();
    const bash = await ccmuxBash(srv, { cols: COLS, rows: ROWS });
    const tbash = tmux ? await tmuxBash(tmux.tm, "keys", { cols: COLS, rows: ROWS, cwd: ctx.ws.root }) : null;
    /** @type {number[]} */
    const polls = [];
    try {
      const runs = await eachRun(ctx.runs, (turn) =>
        interleave(
          {
            wait: () => bash.type(),
            poll: async (i) => {
              const reads = await bash.poll();
              if (i >= 0) polls.push(reads);
            },
            ...(tbash ? { tmux: () => tbash.type(), control: () => tbash.typeControl() } : {}),
          },
          { n: config.keys, block: config.block, warmup: config.warmup, turn },
        ),
      );
      const wait = latency(samplesOf(runs, "wait"), "send_keys + wait_for");
      const tmuxPeers = tbash
        ? [
            peer(
              "tmux send-keys, %output",
              latency(samplesOf(runs, "tmux"), "one tmux process per send-keys"),
              wait,
            ),
            peer(
              "tmux over the control connection, %output",
              latency(samplesOf(runs, "control"), "send-keys written to the control client: tmux's floor"),
              wait,
            ),
          ]
        : [];
      return [
        row({
          id: "keystroke",
          title: "keystroke→visible: bash echo",
          unit: "ms",
          better: "lower",
          ccmux: wait,
          peers: tmuxPeers,
        }),
        row({
          id: "keystroke-poll",
          title: "keystroke→visible: send_keys + read_pane polled back-to-back (the tmux pattern, on ccmux)",
          unit: "ms",
          better: "lower",
          ccmux: latency(samplesOf(runs, "poll"), `${median(polls)} read_pane calls per keystroke (median)`),
        }),
      ];
    } finally {
      await bash.close();
      await tbash?.close();
    }
  },
};
