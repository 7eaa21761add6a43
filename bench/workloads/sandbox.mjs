// Typing inside the pane sandbox (issue 4): keystroke→visible in a sandboxed bash against an unsandboxed one.
import { COLS, ROWS } from "../harness/config.mjs";
import { ccmuxBash } from "../harness/echo-keys.mjs";
import { latency, peer, row } from "../harness/rows.mjs";
import { eachRun, interleave, samplesOf } from "../harness/sampling.mjs";

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "sandbox",
  title: "Typing in the sandbox",
  uses: ["server", "sandboxed"],
  method: `The keystroke workload (\`send_keys\` + \`wait_for\` of bash's echo, see there) in a bash running inside
bubblewrap (\`sandbox.mode: required\`), against the same in an unsandboxed bash of another server, taking turns
in blocks within each run. What the sandbox costs a spawn is in the spawn workload.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv } = await ctx.server();
    const sbx = await ctx.sandboxed();
    const shape = { cols: COLS, rows: ROWS };
    const inside = await ccmuxBash(sbx, shape);
    const outside = await ccmuxBash(srv, shape);
    try {
      const runs = await eachRun(ctx.runs, (turn) =>
        interleave(
          { inside: () => inside.type(), outside: () => outside.type() },
          { n: config.keys, block: config.block, warmup: config.warmup, turn },
        ),
      );
      const sandboxed = latency(samplesOf(runs, "inside"), "send_keys + wait_for, sandbox.mode required");
      return [
        row({
          id: "keystroke-sandboxed",
          title: "keystroke→visible in a sandboxed bash",
          unit: "ms",
          better: "lower",
          ccmux: sandboxed,
          peers: [
            peer("unsandboxed bash", latency(samplesOf(runs, "outside"), "sandbox.mode off"), sandboxed),
          ],
        }),
      ];
    } finally {
      await inside.close();
      await outside.close();
    }
  },
};
