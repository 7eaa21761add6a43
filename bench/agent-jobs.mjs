#!/usr/bin/env node
// Six everyday agent jobs on their own: see bench/workloads/agent-jobs.mjs; the full bench runs them as
// `node bench/run.mjs --only agent-jobs`.
//
//   npm run build && node bench/agent-jobs.mjs [--sandbox off|required]   prints a Markdown table
import { parseArgs } from "node:util";
import { agentJobs } from "./workloads/agent-jobs.mjs";

const { values } = parseArgs({ options: { sandbox: { type: "string", default: "required" } } });
if (values.sandbox !== "required" && values.sandbox !== "off")
  throw new Error(`--sandbox: expected required or off, got ${values.sandbox}`);
const rows = await agentJobs(values.sandbox);
console.log(`sandbox: ${values.sandbox}`);
console.log("| job | tool calls | characters returned | outcome |");
console.log("|---|---|---|---|");
for (const row of rows) console.log(`| ${row.job} | ${row.calls} | ${row.chars} | ${row.outcome} |`);
