// Six everyday agent jobs, driven over MCP stdio as an agent drives them: how many tool calls each takes and how
// many characters of results the agent reads (what it pays tokens for).
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { serve, ToolError, textOf } from "../harness/mcp-server.mjs";
import { perRun, row } from "../harness/rows.mjs";
import { eachRun, now } from "../harness/sampling.mjs";
import { median } from "../harness/stats.mjs";
import { makeWorkspace } from "../harness/workspace.mjs";

/** The programs the jobs run: a test runner, a dev server, a question, a program with a cleanup, a flood. */
const FIXTURES = new URL("../fixtures/agent-jobs/", import.meta.url);

/**
 * @typedef {import("../harness/mcp-server.mjs").ToolResults} ToolResults
 * @typedef {<K extends keyof ToolResults>(tool: K, args: Record<string, unknown>) => Promise<ToolResults[K]>} Call
 * @type {Array<{ job: string, expect: RegExp, steps: (call: Call) => Promise<string> }>}
 */
const JOBS = [
  {
    job: "run the tests and read the verdict",
    expect: /^# tests 200, pass 199, fail 1, exitCode 1$/,
    async steps(call) {
      const ran = await call("run", { command: "sh tests.sh", lines: 5 });
      return `${ran.output.match(/# tests.*/)?.[0] ?? "(verdict not in the result)"}, exitCode ${ran.exitCode}`;
    },
  },
  {
    job: "start a dev server and wait until it is ready",
    expect: /^ready$/,
    async steps(call) {
      const { pane } = await call("spawn", { command: "sh dev.sh" });
      return (await call("wait_for", { pane, text: "ready in" })).matched ? "ready" : "not ready";
    },
  },
  {
    job: "define a variable in a REPL and read it back",
    expect: /^42$/,
    async steps(call) {
      const { pane } = await call("spawn", { command: "python3 -i" });
      await call("send_keys", { pane, text: "x = 6 * 7", submit: true, wait: { text: ">>> " } });
      const read = await call("send_keys", {
        pane,
        text: "print(x)",
        submit: true,
        wait: { regex: "^\\d+$" },
      });
      return read.wait?.text?.match(/^\d+$/m)?.[0] ?? "(value not in the result)";
    },
  },
  {
    job: "answer y/n",
    expect: /^answer=y$/,
    async steps(call) {
      const { pane } = await call("spawn", { command: "sh ask.sh" });
      await call("wait_for", { pane, text: "[y/N] " });
      const answered = await call("send_keys", { pane, text: "y", submit: true, wait: { exit: true } });
      return answered.wait?.text?.match(/answer=\w*/)?.[0] ?? "(answer not in the result)";
    },
  },
  {
    job: "stop a program with C-c and keep its cleanup",
    // The handler exits by itself (no signal); its exit status varies with where SIGINT found the program.
    expect: /^exitCode \d+, signal null, cleanup ran$/,
    async steps(call) {
      const { pane } = await call("spawn", { command: "python3 cleanup.py" });
      await call("wait_for", { pane, text: "working" });
      const stopped = await call("send_keys", { pane, keys: ["C-c"], wait: { exit: true } });
      const cleaned = /cleanup done/.test(stopped.wait?.text ?? "");
      return `exitCode ${stopped.wait?.exitCode}, signal ${stopped.wait?.signal}, cleanup ${cleaned ? "ran" : "missing"}`;
    },
  },
  {
    job: "print 5 MB and read the tail",
    expect: /^tail read$/,
    async steps(call) {
      const ran = await call("run", { command: "sh big.sh", lines: 5, timeout_ms: 120_000 });
      return ran.output.includes("END-OF-OUTPUT") ? "tail read" : "tail missing";
    },
  },
];

/**
 * Runs the six jobs in a fresh server with `sandbox.mode` `sandbox`: each job's tool calls, the characters of
 * their results, its outcome (checked against what the job must give) and its wall time.
 * @param {"required" | "off"} sandbox
 */
export async function agentJobs(sandbox) {
  const ws = makeWorkspace({
    commands: [
      { command: "sh", args: ["{path}"], input: "raw" },
      { command: "python3", args: ["{path}"], input: "raw" },
      { command: "python3", args: ["-i"], input: "raw" },
    ],
    sandbox: { mode: sandbox },
  });
  for (const name of readdirSync(FIXTURES)) copyFileSync(new URL(name, FIXTURES), join(ws.root, name));
  const srv = await serve(ws);
  try {
    const out = [];
    for (const { job, expect, steps } of JOBS) {
      let calls = 0;
      let chars = 0;
      /** @type {Call} */
      const call = async (tool, args) => {
        calls += 1;
        const result = await srv.call(tool, args);
        const text = textOf(result);
        chars += text.length;
        if (result.isError) throw new ToolError(tool, args, text);
        const structured = /** @type {ToolResults[typeof tool]} */ (result.structuredContent);
        if ("pane" in structured && (tool === "spawn" || tool === "run")) srv.panes.add(structured.pane);
        return structured;
      };
      const start = now();
      const outcome = await steps(call);
      const ms = now() - start;
      if (!expect.test(outcome)) throw new Error(`agent job "${job}": expected ${expect}, got ${outcome}`);
      out.push({ job, calls, chars, outcome, ms });
    }
    return out;
  } finally {
    await srv.close();
    ws.cleanup();
  }
}

/** @type {import("../harness/rows.mjs").Workload} */
export default {
  name: "agent-jobs",
  title: "Everyday agent jobs",
  uses: [],
  method: `Six jobs an agent does, each driven through \`serve\` (\`sandbox.mode: required\`) over MCP stdio as an
agent would: how many tool calls it takes and how many characters of results the agent reads (what it pays
tokens for), which is the figure; the outcome must be the job's right answer. A fresh server per run.`,
  async run(ctx) {
    const runs = await eachRun(ctx.runs, () => agentJobs("required"));
    return JOBS.map(({ job }, i) => {
      const of = runs.map(
        (r) => r[i] ?? { calls: Number.NaN, chars: Number.NaN, ms: Number.NaN, outcome: "" },
      );
      return row({
        id: `agent-job-${i + 1}`,
        title: job,
        unit: "characters",
        better: "lower",
        ccmux: perRun(
          of.map((r) => r.chars),
          `${median(of.map((r) => r.calls))} tool calls; ${Math.round(median(of.map((r) => r.ms)))} ms (median); outcome: ${of[0]?.outcome}`,
        ),
      });
    });
  },
};
