// Spawn → first output of `bash --norc --noprofile` (its prompt): ccmux with the sandbox required and off, in the
// same runs, against tmux new-window timed by tmux's own clock, the new pane's first %output.
import { COLS, ROWS } from "../harness/config.mjs";
import { fig } from "../harness/format.mjs";
import { waitMatched } from "../harness/mcp-server.mjs";
import { latency, peer, perRun, row } from "../harness/rows.mjs";
import { eachRun, interleave, now, OwnClock, samplesOf } from "../harness/sampling.mjs";
import { spawnSession } from "../harness/tmux-clocks.mjs";

const BASH = "bash --norc --noprofile";

/**
 * Spawns bash through `server` and waits (wait_for regex \S) for its first visible output; the pane is killed
 * after the sample. `sandboxed` is what the pane must say of itself.
 * @param {import("../harness/mcp-server.mjs").Server} server
 * @param {boolean} sandboxed
 */
async function ccmuxSpawn(server, sandboxed) {
  const start = now();
  const spawned = await server.spawn({ command: BASH, cols: COLS, rows: ROWS });
  await waitMatched(server, { pane: spawned.pane, regex: "\\S", timeout_ms: 10_000 }, "bash's first output");
  const ms = now() - start;
  await server.kill(spawned.pane);
  if (spawned.sandboxed !== sandboxed)
    throw new Error(`spawn: pane sandboxed=${spawned.sandboxed}, expected ${sandboxed}`);
  return new OwnClock(ms);
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "spawn",
  title: "Spawn → first output",
  uses: ["server", "sandboxed", "tmux"],
  method: `\`${BASH}\` started until its prompt shows. ccmux: \`spawn\` + \`wait_for {regex: "\\\\S"}\` (policy check,
audit record and, when required, the bubblewrap sandbox included), timed by the client; one server with
\`sandbox.mode: required\` and one with \`off\`, both in every run. tmux: \`new-window\` (one client process, as
tmux-mcp) until the new pane's first \`%output\` notification with a visible character, to a control-mode client
attached to the session (tmux's own clock); a reference row sends \`new-window\` over the control connection
itself. Each pane is killed after its sample, untimed. The four ways take turns within each run.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv } = await ctx.server();
    const sbx = await ctx.sandboxed();
    const tmux = await ctx.tmux();
    const control =
      tmux && (await spawnSession(tmux.tm, "spawn", { cols: COLS, rows: ROWS, cwd: ctx.ws.root }));
    try {
      const runs = await eachRun(ctx.runs, (turn) =>
        interleave(
          {
            sandboxed: () => ccmuxSpawn(sbx, true),
            unsandboxed: () => ccmuxSpawn(srv, false),
            ...(control
              ? {
                  tmux: () => control.newWindow(BASH.split(" ")),
                  control: () => control.newWindowControl(BASH.split(" ")),
                }
              : {}),
          },
          { n: config.spawns, block: 5, warmup: 2, turn },
        ),
      );
      const sandboxed = latency(samplesOf(runs, "sandboxed"), "sandbox.mode required");
      const unsandboxed = latency(samplesOf(runs, "unsandboxed"), "sandbox.mode off");
      const tmuxPeers = (/** @type {import("../harness/rows.mjs").Measure} */ ccmux) =>
        tmux
          ? [
              peer(
                "tmux new-window, %output",
                latency(samplesOf(runs, "tmux"), "one tmux process per new-window"),
                ccmux,
              ),
              peer("tmux new-window over the control connection", latency(samplesOf(runs, "control")), ccmux),
            ]
          : [];
      const sandboxedPeers = tmuxPeers(sandboxed);
      const exec = sandboxedPeers[0];
      const tail = sandboxed.p99?.median ?? Number.NaN;
      return [
        row({
          id: "spawn-sandboxed",
          title: "spawn → first output of bash, sandboxed (bwrap: namespaces, mounts, seccomp)",
          unit: "ms",
          better: "lower",
          ccmux: sandboxed,
          peers: sandboxedPeers,
          target: exec
            ? {
                text: "median ≤ 1.2× tmux new-window's, p99 ≤ 2× its own median",
                met: exec.ratio.median <= 1.2 && tail <= 2 * sandboxed.median.median,
                detail: `ccmux/tmux ${fig(exec.ratio)}, p99/median ${(tail / sandboxed.median.median).toFixed(2)}`,
              }
            : null,
        }),
        row({
          id: "spawn-unsandboxed",
          title: "spawn → first output of bash, unsandboxed",
          unit: "ms",
          better: "lower",
          ccmux: unsandboxed,
          peers: tmuxPeers(unsandboxed),
        }),
        row({
          id: "sandbox-cost",
          title: "the sandbox's cost per spawn (each run's sandboxed − unsandboxed median)",
          unit: "ms",
          better: "lower",
          ccmux: perRun(sandboxed.runs.map((ms, i) => ms - (unsandboxed.runs[i] ?? Number.NaN))),
        }),
      ];
    } finally {
      await control?.close();
    }
  },
};
