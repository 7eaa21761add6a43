// Six everyday agent jobs, driven through the built CLI over MCP stdio as an agent would drive them: how many
// tool calls each takes and how many characters of results the agent reads (what it pays tokens for).
// Usage: npm run build && node bench/agent-jobs.mjs [--sandbox off|required]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeWorkspace, serve, ToolError, textOf } from "./support.mjs";

const sandbox = process.argv.includes("--sandbox")
  ? process.argv[process.argv.indexOf("--sandbox") + 1]
  : "required";

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
const rows = [];

/** Runs one job; every call goes through `call`, which counts it and the characters of its result. */
async function job(name, steps) {
  let calls = 0;
  let chars = 0;
  const call = async (tool, args) => {
    calls += 1;
    const result = await srv.call(tool, args);
    const text = textOf(result);
    chars += text.length;
    if (result.isError) throw new ToolError(tool, args, text);
    if (tool === "spawn" || tool === "run") srv.panes.add(result.structuredContent.pane);
    return result.structuredContent;
  };
  const outcome = await steps(call);
  rows.push({ job: name, calls, chars, outcome });
}

await job("run the tests and read the verdict", async (call) => {
  // run (issue 14): spawn, wait for the exit and read the output's tail in one call. Before: spawn, then
  // wait_for {regex, exit: true}.
  const ran = await call("run", { command: "sh tests.sh", lines: 5 });
  return `${ran.output.match(/# tests.*/)?.[0] ?? "(verdict not in the result)"}, exitCode ${ran.exitCode}`;
});

await job("start a dev server and wait until it is ready", async (call) => {
  const { pane } = await call("spawn", { command: "sh dev.sh" });
  const waited = await call("wait_for", { pane, text: "ready in" });
  return waited.matched ? "ready" : "not ready";
});

await job("define a variable in a REPL and read it back", async (call) => {
  const { pane } = await call("spawn", { command: "python3 -i" });
  await call("send_keys", { pane, text: "x = 6 * 7", submit: true, wait: { text: ">>> " } });
  const read = await call("send_keys", { pane, text: "print(x)", submit: true, wait: { regex: "^\\d+$" } });
  return read.wait?.text?.match(/^\d+$/m)?.[0] ?? "(value not in the result)";
});

await job("answer y/n", async (call) => {
  const { pane } = await call("spawn", { command: "sh ask.sh" });
  await call("wait_for", { pane, text: "[y/N] " });
  const answered = await call("send_keys", { pane, text: "y", submit: true, wait: { exit: true } });
  return answered.wait?.text?.match(/answer=\w*/)?.[0] ?? "(answer not in the result)";
});

await job("stop a program with C-c and keep its cleanup", async (call) => {
  const { pane } = await call("spawn", { command: "python3 cleanup.py" });
  await call("wait_for", { pane, text: "working" });
  const stopped = await call("send_keys", { pane, keys: ["C-c"], wait: { exit: true } });
  const cleaned = /cleanup done/.test(stopped.wait?.text ?? "");
  return `exitCode ${stopped.wait?.exitCode}, signal ${stopped.wait?.signal}, cleanup ${cleaned ? "ran" : "missing"}`;
});

await job("print 5 MB and read the tail", async (call) => {
  // Before: spawn, wait_for {exit: true}, read_pane {mode: "scrollback", lines: 5}.
  const ran = await call("run", { command: "sh big.sh", lines: 5, timeout_ms: 120_000 });
  return ran.output.includes("END-OF-OUTPUT") ? "tail read" : "tail missing";
});

await srv.close();
ws.cleanup();
console.log(`sandbox: ${sandbox}`);
console.log("| job | tool calls | characters returned | outcome |");
console.log("|---|---|---|---|");
for (const row of rows) console.log(`| ${row.job} | ${row.calls} | ${row.chars} | ${row.outcome} |`);
