// Round trip: a read of a full 120×40 screen, read_pane over MCP against one `tmux capture-pane -p` process (what
// an agent driving tmux calls), with the building blocks of each: an empty MCP round trip and the cheapest tmux
// client call.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readPane } from "../harness/mcp-server.mjs";
import { latency, peer, perRun, ratioTarget, row } from "../harness/rows.mjs";
import { eachRun, interleave, now, samplesOf } from "../harness/sampling.mjs";
import { PANE_ENV } from "../harness/workspace.mjs";

/**
 * Runs `tmux display-message -p` `loops` times from a `sh` loop: what a tmux call costs without forking Node.
 * @param {string} sock
 * @param {number} loops
 */
async function shellLoopMs(sock, loops) {
  const script =
    'i=0; while [ $i -lt "$1" ]; do tmux -S "$2" display-message -p "#{pid}" >/dev/null || exit 1; i=$((i+1)); done';
  const start = now();
  const shell = spawn("sh", ["-c", script, "sh", String(loops), sock], { stdio: "inherit", env: PANE_ENV });
  const [code] = await once(shell, "exit");
  if (code !== 0) throw new Error(`sh loop of tmux display-message exited ${code}`);
  return (now() - start) / loops;
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "round-trip",
  title: "Round trip: read a full screen",
  uses: ["server", "tmux"],
  method: `A read of a full 120×40 screen (a pane that printed screen.txt): ccmux's \`read_pane\` over the open MCP
stdio connection against one \`tmux capture-pane -p\` client process, which is what an agent driving tmux calls,
so timing each call from start to answer is the right clock on both sides. The two take turns in blocks within
each run; the first read of each must show the screen's last line. Reference rows: an MCP \`ping\` (the protocol's
share of a read) and the cheapest tmux call, \`display-message -p\`, from Node and from a \`sh\` loop.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv, screenPane } = await ctx.server();
    const tmux = await ctx.tmux();
    const first = await srv.ok("read_pane", { pane: screenPane });
    if (!first.text.includes("SCREEN-LAST-LINE"))
      throw new Error(`read_pane lacks screen.txt's last line: ${JSON.stringify(first.text.slice(-200))}`);
    const captured = tmux ? await tmux.tm.capture(tmux.screenPane) : "";
    if (tmux && !captured.includes("SCREEN-LAST-LINE"))
      throw new Error(`capture-pane lacks screen.txt's last line: ${JSON.stringify(captured.slice(-200))}`);
    const options = { n: config.reads, block: config.block, warmup: config.warmup };
    const runs = await eachRun(ctx.runs, (turn) =>
      interleave(
        {
          read: () => readPane(srv, screenPane),
          ping: () => srv.client.ping(),
          ...(tmux
            ? {
                capture: () => tmux.tm.capture(tmux.screenPane),
                call: () => tmux.tm.run("display-message", "-p", "#{pid}"),
              }
            : {}),
        },
        { ...options, turn },
      ),
    );
    const read = latency(samplesOf(runs, "read"), `${first.text.length} characters returned`);
    const capture =
      tmux &&
      peer(
        "tmux capture-pane -p",
        latency(samplesOf(runs, "capture"), `${captured.length} characters returned`),
        read,
      );
    const rows = [
      row({
        id: "round-trip",
        title: "read_pane of a full 120×40 screen",
        unit: "ms",
        better: "lower",
        ccmux: read,
        peers: capture ? [capture] : [],
        target: capture && ratioTarget("≥ 3× faster than tmux (ratio ≤ 0.33)", capture, (r) => r <= 1 / 3),
      }),
    ];
    rows.push(
      row({
        id: "mcp-ping",
        title: "MCP ping over stdio (SDK client ↔ ccmux)",
        unit: "ms",
        better: "lower",
        ccmux: latency(samplesOf(runs, "ping")),
      }),
    );
    if (tmux) {
      const call = latency(samplesOf(runs, "call"), "execFile from this Node process");
      rows.push(
        row({
          id: "tmux-call",
          title: "tmux: one `display-message -p` client call",
          unit: "ms",
          better: "lower",
          ccmux: call,
        }),
      );
      const loop = await eachRun(ctx.runs, () => shellLoopMs(tmux.tm.sock, config.reads));
      rows.push(
        row({
          id: "tmux-call-shell",
          title: "tmux: the same call from a `sh` loop",
          unit: "ms",
          better: "lower",
          ccmux: perRun(
            loop,
            "mean of each run's loop (no per-call timing): fork+exec from a small shell",
            config.reads * ctx.runs,
          ),
        }),
      );
    }
    return rows;
  },
};
