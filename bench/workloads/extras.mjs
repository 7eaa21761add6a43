// ccmux-only rows kept from the first bench: the send_keys round trip, and the server's memory while one pane
// prints a flood (flow control keeps it flat).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COLS, LONG_MS, ROWS } from "../harness/config.mjs";
import { textOf, waitMatched } from "../harness/mcp-server.mjs";
import { memoryOf } from "../harness/proc.mjs";
import { latency, perRun, row } from "../harness/rows.mjs";
import { eachRun, now, sample } from "../harness/sampling.mjs";
import { median, round } from "../harness/stats.mjs";

const FLOOD = [
  "const total = Number(process.argv[2]);",
  'const chunk = Buffer.from(("z".repeat(99) + "\\n").repeat(10_000));',
  "for (let written = 0; written < total; written += chunk.length) process.stdout.write(chunk);",
  'process.stdout.write("FLOOD-DONE\\n");',
  "",
].join("\n");

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "extras",
  title: "send_keys, and memory under a flood",
  uses: ["server"],
  method: `\`send_keys\` of about 15 bytes + Enter to a \`cat\` pane, timed call by call (the last line sent must then
show). Then one pane prints a flood (a Node script writing 100-column lines as fast as the pane takes them, then
a last line that must show) while the server's RSS is read every 250 ms: the median and the peak of each run.`,
  async run(ctx) {
    const { config } = ctx;
    const { srv } = await ctx.server();
    writeFileSync(join(ctx.ws.root, "flood.mjs"), FLOOD);
    const runs = await eachRun(ctx.runs, async () => {
      const { pane } = await srv.spawn({ command: "cat", cols: COLS, rows: ROWS });
      const tag = Math.random().toString(36).slice(2, 10);
      const sends = await sample(config.sends, config.warmup, async (i) => {
        const args = { pane, text: `line ${i} ${tag}`, submit: true };
        const result = await srv.call("send_keys", args);
        if (result.isError)
          throw new Error(`send_keys ${JSON.stringify(args)} -> isError: ${textOf(result)}`);
      });
      await waitMatched(
        srv,
        { pane, text: `line ${config.sends - 1} ${tag}`, timeout_ms: 10_000 },
        "the last line sent",
      );
      await srv.kill(pane);

      const before = memoryOf(srv.pid).rss;
      /** @type {number[]} */
      const rss = [];
      const timer = setInterval(() => rss.push(memoryOf(srv.pid).rss), 250);
      const start = now();
      try {
        const flood = await srv.spawn({
          command: `node flood.mjs ${config.floodMB * 1e6}`,
          cols: COLS,
          rows: ROWS,
        });
        const waited = await srv.ok(
          "wait_for",
          { pane: flood.pane, exit: true, timeout_ms: LONG_MS },
          { timeout: LONG_MS + 30_000 },
        );
        if (waited.exitCode !== 0) throw new Error(`flood writer exited with ${waited.exitCode}`);
        if (!(await srv.ok("read_pane", { pane: flood.pane })).text.includes("FLOOD-DONE"))
          throw new Error("flood: the last line is missing");
        await srv.kill(flood.pane);
      } finally {
        clearInterval(timer);
      }
      const seconds = (now() - start) / 1000;
      const readings = rss.length > 0 ? rss : [before];
      return {
        sends,
        before,
        median: median(readings),
        peak: Math.max(before, ...readings),
        readings: readings.length,
        rate: config.floodMB / seconds,
      };
    });
    return [
      row({
        id: "send-keys",
        title: "send_keys round trip (cat, text + Enter)",
        unit: "ms",
        better: "lower",
        ccmux: latency(runs.map((r) => r.sends)),
      }),
      row({
        id: "flood-rss",
        title: `server RSS while one pane prints ${config.floodMB} MB (median of each run's readings)`,
        unit: "MiB",
        better: "lower",
        ccmux: perRun(
          runs.map((r) => r.median),
          `peak ${round(median(runs.map((r) => r.peak)), 1)} MiB, before ${round(median(runs.map((r) => r.before)), 1)} MiB (medians over runs); ${round(median(runs.map((r) => r.rate)), 1)} MB/s`,
          runs.reduce((sum, r) => sum + r.readings, 0),
        ),
      }),
    ];
  },
};
