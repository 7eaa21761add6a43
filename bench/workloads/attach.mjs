// Keystroke→visible through `ccmux attach --write` against `tmux attach` (issue 13), with the floor both include:
// see bench/harness/outer-terminal.mjs for how each keystroke is timed.

import { keystrokeToVisible, tmuxAttachPeer } from "../harness/outer-terminal.mjs";
import { latency, peer, ratioTarget, row } from "../harness/rows.mjs";
import { eachRun } from "../harness/sampling.mjs";
import { CLI, cliEnv } from "../harness/workspace.mjs";

const COLS = 120;
/** The outer terminal's rows: the pane's and a status line (ccmux's, and the peer tmux's own). */
const OUTER_ROWS = 40;

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "attach",
  title: "A person watching: `ccmux attach`",
  uses: ["daemon"],
  method: `One character typed into an outer tmux (standing for the person's terminal) until the attach program
writes it there, on a pane running \`cat\`: \`ccmux attach --write PANE\` (through the daemon) against \`tmux attach\`
to a second tmux server. Each keystroke is timed by the outer tmux's \`%output\` notification to a control-mode
client on the measured session: nothing polls. A capture afterwards, untimed, checks the character shows. Each run
gives each side a fresh attach (and a fresh \`cat\` pane) for its block of keystrokes; the floor both include is
\`cat\` straight in the outer terminal. Without tmux the workload has no rows.`,
  async run(ctx) {
    if (!ctx.tmuxAvailable) return [];
    const { ws, daemon } = await ctx.daemon();
    const agent = await daemon.connect("attach-bench");
    const env = { ...cliEnv(ws), ...daemon.env };
    const shape = { cols: COLS, rows: OUTER_ROWS, samples: ctx.config.attach };
    try {
      const runs = await eachRun(ctx.runs, async (run) => {
        const { pane } = await agent.spawn({ command: "cat", cols: COLS, rows: OUTER_ROWS - 1 });
        const argv = [
          process.execPath,
          CLI,
          "attach",
          "--config",
          ws.policyPath,
          "--session",
          "attach-bench",
          "--write",
          pane,
        ];
        const ccmux = await keystrokeToVisible({ attachArgv: argv, env, ...shape });
        await agent.kill(pane);
        const peerServer = await tmuxAttachPeer(shape);
        const tmux = await keystrokeToVisible({ attachArgv: peerServer.attachArgv, ...shape }).finally(
          peerServer.kill,
        );
        const floor = await keystrokeToVisible({ attachArgv: ["cat"], ...shape });
        ctx.log(`  attach run ${run + 1}: ${shape.samples} keystrokes a side`);
        return { ccmux, tmux, floor };
      });
      const ccmux = latency(
        runs.map((r) => r.ccmux),
        "daemon; drawn into the terminal by the daemon",
      );
      const tmux = peer(
        "tmux attach",
        latency(
          runs.map((r) => r.tmux),
          "a second tmux server",
        ),
        ccmux,
      );
      return [
        row({
          id: "attach-keystroke",
          title: "keystroke→visible through attach (ccmux attach --write)",
          unit: "ms",
          better: "lower",
          ccmux,
          peers: [tmux, peer("floor: cat in the outer terminal", latency(runs.map((r) => r.floor)), ccmux)],
          target: ratioTarget("within 2× of tmux attach (ratio ≤ 2)", tmux, (r) => r <= 2),
        }),
      ];
    } finally {
      await agent.close();
    }
  },
};
