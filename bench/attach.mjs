// Keystroke→visible through `ccmux attach --write` against `tmux attach` (issue 13), in the same run, alternating
// blocks: see attach-latency.mjs for how each is measured (an outer tmux stands for the person's terminal; both
// sides pay the same send-keys and capture polling), and the floor (`cat` in the outer window, no attach) that
// both include.
import { keystrokeToVisible, tmuxAttachPeer } from "./attach-latency.mjs";
import { CLI, cliEnv } from "./support.mjs";

const COLS = 120;
/** The outer terminal's rows: the pane's and a status line (ccmux's, and the peer tmux's own). */
const OUTER_ROWS = 40;

/**
 * Measures `samples` keystrokes of each side in blocks of `block`, a fresh attach (and a fresh `cat` pane, so
 * every block starts on an empty line; a fresh tmux peer likewise) per block. `daemon` is daemonFor(ws); `record` receives
 * `{ ccmux, tmux, floor }`, each the samples in ms.
 */
export async function benchAttachLatency({ ws, daemon, samples, block, log, driver = "events" }) {
  const agent = await daemon.connect("attach-bench");
  const env = { ...cliEnv(ws), ...daemon.env };
  const out = { ccmux: [], tmux: [], floor: [] };
  try {
    const measure = async (attachArgv, n, extraEnv = {}) =>
      (
        await keystrokeToVisible({
          attachArgv,
          env: extraEnv,
          samples: n,
          cols: COLS,
          rows: OUTER_ROWS,
          driver,
        })
      ).samples;
    for (let done = 0; done < samples; done += block) {
      const n = Math.min(block, samples - done);
      const { pane } = await agent.spawn({ command: "cat", cols: COLS, rows: OUTER_ROWS - 1 });
      const { policyPath } = ws;
      const session = ["--session", "attach-bench"];
      out.ccmux.push(
        ...(await measure(
          [process.execPath, CLI, "attach", "--config", policyPath, ...session, "--write", pane],
          n,
          env,
        )),
      );
      await agent.kill(pane);
      const peer = await tmuxAttachPeer({ cols: COLS, rows: OUTER_ROWS });
      try {
        out.tmux.push(...(await measure(peer.attachArgv, n)));
      } finally {
        peer.kill();
      }
      out.floor.push(...(await measure(["cat"], n)));
      log(`  attach: ${done + n}/${samples} keystrokes a side`);
    }
  } finally {
    await agent.close();
  }
  return out;
}
