// The audit write path (issue 5): hash-chained records appended under flock, with and without an fdatasync per
// record, straight through the built AuditLog (what every tool call pays before it acts).
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { auditLogModule, redactModule } from "../harness/built.mjs";
import { perRun, row } from "../harness/rows.mjs";
import { eachRun, now } from "../harness/sampling.mjs";
import { median, round } from "../harness/stats.mjs";

/** @type {import("../../src/audit/audit-log.js").AuditRecord} */
const RECORD = {
  event: "call",
  decision: "deny",
  connection: "c-bench",
  tool: "spawn",
  args: { command: "rm -rf / --no-preserve-root and some more words to be typical" },
  code: "COMMAND_NOT_ALLOWED",
  reason: '"rm" is not in the policy',
};

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "audit-writes",
  title: "Audit log writes",
  uses: [],
  method: `A typical denial record appended through the built \`AuditLog\` (SHA-256 chained, under flock) into a fresh
log, back-to-back, with \`audit.sync: each\` (an fdatasync per record) and \`batched\` (the default: fdatasync within
100 ms); records per second is the count over the wall time of each run's writes. The two modes alternate runs.`,
  async run(ctx) {
    const { AuditLog } = await auditLogModule();
    const { Redactor } = await redactModule();
    const redactor = new Redactor({ secretValues: [], isSecretName: () => false });
    const n = ctx.config.auditRecords;
    const modes = /** @type {const} */ (["each", "batched"]);
    const runs = await eachRun(ctx.runs, async (run) => {
      /** @type {Record<string, { perSecond: number, bytes: number }>} */
      const out = {};
      for (const sync of run % 2 ? [...modes].reverse() : modes) {
        const dir = join(ctx.ws.dir, `audit-${sync}-${run}`);
        mkdirSync(dir, { mode: 0o700 });
        const path = join(dir, "audit.jsonl");
        const log = AuditLog.open(path, "s-bench", redactor, {
          maxBytes: 2 ** 30,
          keep: 2,
          sync,
          redactInput: false,
        });
        const start = now();
        for (let i = 0; i < n; i++) log.write(RECORD);
        const seconds = (now() - start) / 1000;
        log.close();
        out[sync] = { perSecond: n / seconds, bytes: statSync(path).size / n };
      }
      return out;
    });
    return modes.map((sync) => {
      const values = runs.map((r) => r[sync] ?? { perSecond: Number.NaN, bytes: Number.NaN });
      const perSecond = values.map((v) => v.perSecond);
      return row({
        id: `audit-${sync}`,
        title: `audit records appended per second, audit.sync: ${sync === "each" ? "each (fdatasync per record)" : "batched (the default)"}`,
        unit: "records/s",
        better: "higher",
        ccmux: perRun(
          perSecond,
          `${round(1000 / median(perSecond), 3)} ms per record, ${Math.round(median(values.map((v) => v.bytes)))} bytes each`,
          n * ctx.runs,
        ),
      });
    });
  },
};
