// Six everyday agent jobs, driven over MCP stdio as an agent drives them: how many tool calls each takes and how
// many characters of results the agent reads (what it pays tokens for).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { serve, ToolError, textOf } from "../harness/mcp-server.mjs";
import { perRun, row } from "../harness/rows.mjs";
import { eachRun, now } from "../harness/sampling.mjs";
import { median } from "../harness/stats.mjs";
import { makeWorkspace } from "../harness/workspace.mjs";

const SCRIPTS = {
  // A test runner: progress for 200 tests, then a verdict line.
  "tests.sh":
    'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo "ok $i - test number $i passes"; done\necho "# tests 200, pass 199, fail 1"\nexit 1\n',
  // A dev server: some start-up noise, then a ready line, then it serves until stopped.
  "dev.sh":
    'echo "compiling..."; sleep 0.3; echo "  ➜  Local:   http://localhost:5173/"; echo "ready in 312 ms"; while :; do sleep 1; done\n',
  "ask.sh": 'printf "Overwrite config? [y/N] "; read answer; echo "answer=$answer"\n',
  // A program whose SIGINT handler tidies up for a second.
  "cleanup.py":
    "import signal, sys, time\ndef stop(*_):\n    time.sleep(1)\n    print('cleanup done', flush=True)\n    sys.exit(0)\nsignal.signal(signal.SIGINT, stop)\nprint('working', flush=True)\nwhile True:\n    time.sleep(0.1)\n",
  "big.sh":
    'yes "this is a line of output that an agent does not want to read all of" | head -c 5000000\necho END-OF-OUTPUT\n',
};

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
    expect: /^exitCode 0, signal null, cleanup ran$/,
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
  for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(ws.root, name), text);
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
