import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LEAVE_ATTACH } from "../../src/cli/attach/terminal-sequences.js";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import { hostileCommand, receivedLines } from "../support/hostile-terminal.js";
import { CLI, makeWorkspace, processGone, type Served, type TestWorkspace } from "../support/mcp-harness.js";
import { grammarViolation } from "../support/painter-grammar.js";
import { TmuxTerminal } from "../support/tmux-terminal.js";

/**
 * `ccmux attach` in a real terminal (issue 13): tmux is the person's terminal, `send-keys` is the person typing
 * and `capture-pane` is what they see. The agent drives the same daemon through the real MCP client.
 */
const BASH = "bash --norc --noprofile";
const PANE = { cols: 80, rows: 20 };
const OUTER = { cols: 100, rows: 30 };
/** What bash in the outer terminal shows as its prompt. */
const PROMPT = "outer$ ";

describe.each([
  ["sandbox.mode: off", "off"],
  ["sandbox.mode: required", "required"],
] as const)("ccmux attach in a real terminal (%s)", (_label, mode) => {
  let ws: TestWorkspace | undefined;
  let daemons: TestDaemons | undefined;
  const clients: Served[] = [];
  const terminals: TmuxTerminal[] = [];
  afterEach(async () => {
    for (const terminal of terminals.splice(0)) terminal.kill();
    for (const client of clients.splice(0)) await client.close().catch(() => {});
    await daemons?.stopAll();
    ws?.cleanup();
    ws = undefined;
    daemons = undefined;
  });

  /** A daemon whose agent session "work" runs bash in a pane named "work". */
  async function agentShell(): Promise<{ agent: Served; pane: string }> {
    ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      sandbox: { mode },
    });
    daemons = testDaemons(ws);
    const agent = await daemons.connect("work");
    clients.push(agent);
    const { pane } = await agent.ok<{ pane: string }>("spawn", { command: BASH, name: "work", ...PANE });
    await agent.ok("send_keys", { pane, text: "PS1='agent''$ '", submit: true, wait: { text: "agent$ " } });
    return { agent, pane };
  }

  function attachArgv(...options: string[]): string[] {
    const { policyPath } = ws as TestWorkspace;
    return [process.execPath, CLI, "attach", "--config", policyPath, "--session", "work", ...options, "work"];
  }

  /** The file the next attach's stderr goes to (personAttaches), or none. */
  let attachStderr: string | undefined;

  /** The person's terminal: a shell, in which they run `ccmux attach`. */
  async function personAttaches(...options: string[]): Promise<TmuxTerminal> {
    const terminal = await TmuxTerminal.start({
      command: ["bash", "--norc", "--noprofile"],
      ...OUTER,
      env: { ...(daemons as TestDaemons).env, PS1: PROMPT },
      cwd: (ws as TestWorkspace).dir,
    });
    terminals.push(terminal);
    await terminal.waitFor(PROMPT.trimEnd(), { what: "the outer shell's prompt" });
    const command = attachArgv(...options)
      .map(quote)
      .join(" ");
    await terminal.sendText(attachStderr ? `${command} 2>${quote(attachStderr)}` : command);
    await terminal.sendKeys("Enter");
    await terminal.waitFor(/│ agent work │/, { what: "the attach status line" });
    return terminal;
  }

  /** The pane's rows as the person sees them (the `·` fill right of the pane and trailing blanks cut). */
  function paneRows(screen: string): string[] {
    return screen
      .split("\n")
      .slice(0, PANE.rows)
      .map((row) => row.replace(/[· ]+$/, ""));
  }

  it("the person sees what read_pane gives the agent, with a status line naming the pane", async () => {
    const { agent, pane } = await agentShell();
    await agent.ok("send_keys", {
      pane,
      text: "printf '\\e[31mred\\e[0m \\e[1mbold\\e[0m 漢字 ok \\u202eevil\\n'",
      submit: true,
      wait: { text: "ok" },
    });
    const terminal = await personAttaches();
    const screen = await terminal.waitFor("ok ⟨U+202E⟩evil", { what: "the pane's output" });
    const read = await agent.ok<{ text: string }>("read_pane", { pane });
    const agentRows = read.text.split("\n").map((row) => row.trimEnd());
    expect(paneRows(screen).slice(0, agentRows.length)).toEqual(agentRows);
    const status = screen.split("\n")[OUTER.rows - 1] as string;
    expect(status).toMatch(/^ read-only │ agent work │ work │ C-\] d detach/);
    expect(status).toContain("bash --norc --noprofile");
    // Colours arrive as SGR (drawn from the emulator's cells).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the SGR is what is checked.
    expect(await terminal.capture({ escapes: true })).toMatch(/\x1b\[31m(?:\x1b\[49m)?red/);
    // Live: what the agent makes the pane print next appears too.
    await agent.ok("send_keys", { pane, text: "echo second-line", submit: true });
    await terminal.waitFor("\nsecond-line", { what: "live output" });
  });

  it("text after characters the person's terminal draws wider than ccmux (U+3248) stays in its columns (width drift)", async () => {
    const { agent, pane } = await agentShell();
    await agent.ok("send_keys", { pane, text: "clear", submit: true });
    await agent.ok("send_keys", {
      pane,
      // The quotes keep the echoed command line from matching the wait: only the output says AGENT-TEXT.
      text: "printf '\\u3248%.0s' $(seq 60); echo AGENT-TEX''T",
      submit: true,
      wait: { text: "AGENT-TEXT\n" },
    });
    const read = await agent.ok<{ text: string }>("read_pane", { pane });
    const row = read.text
      .split("\n")
      .findIndex((line) => line.endsWith("AGENT-TEXT") && line.startsWith("\u3248"));
    expect(row).toBeGreaterThanOrEqual(0);
    const terminal = await personAttaches();
    // tmux counts U+3248 as two columns, ccmux (as xterm.js) as one: the text still starts at column 60.
    await terminal.waitFor((shown) => /AGENT-TEXT/.test(shown.split("\n")[row] ?? ""), {
      what: "the text after the circled numbers",
    });
    const cells = await terminal.tmux(
      "capture-pane",
      "-p",
      "-t",
      "main:0.0",
      "-S",
      String(row),
      "-E",
      String(row),
    );
    expect(cells).toContain("AGENT-TEXT");
  });

  it("read-only: what the person types changes nothing in the pane", async () => {
    const { agent, pane } = await agentShell();
    const terminal = await personAttaches();
    await terminal.sendText("echo typed-read-only");
    await terminal.sendKeys("Enter");
    await terminal.waitFor("read-only", { what: "the read-only note" });
    await agent.ok("send_keys", {
      pane,
      text: "echo from-agent",
      submit: true,
      wait: { text: "from-agent\n" },
    });
    await terminal.waitFor("\nfrom-agent", { what: "the agent's line" });
    const read = await agent.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(read.text).not.toContain("typed-read-only");
    expect(await terminal.capture()).not.toContain("typed-read-only");
  });

  it("with --write the person types into the pane and the agent gets PANE_BUSY until they release it", async () => {
    const { agent, pane } = await agentShell();
    const terminal = await personAttaches("--write");
    await terminal.waitFor("READ-WRITE", { what: "write held" });
    await terminal.sendText("echo person-$((6*7))");
    await terminal.sendKeys("Enter");
    await terminal.waitFor("person-42", { what: "the person's command's output" });
    const read = await agent.ok<{ text: string; personTyping: boolean; viewers: number }>("read_pane", {
      pane,
    });
    expect(read.text).toContain("person-42");
    expect(read).toMatchObject({ personTyping: true, viewers: 1 });
    await agent.refused("send_keys", { pane, text: "echo agent", submit: true }, "PANE_BUSY");
    // The escape key then w releases write: the agent may type again, the person no longer.
    await terminal.sendKeys("C-]", "w");
    await terminal.waitFor(/ read-only │ /, { what: "write released" });
    await agent.ok("send_keys", {
      pane,
      text: "echo agent-again",
      submit: true,
      wait: { text: "agent-again\n" },
    });
    await terminal.waitFor("\nagent-again", { what: "the agent's line" });
  });

  it("detaching returns to the shell prompt and the pane keeps running", async () => {
    const { agent, pane } = await agentShell();
    const terminal = await personAttaches("--write");
    await terminal.sendKeys("C-]", "d");
    const screen = await terminal.waitFor(/ccmux attach: detached\.\n(.*\n)*outer\$\s*$/, {
      what: "the prompt",
    });
    expect(screen).not.toContain("│ agent work │");
    const listed = await agent.ok<{ panes: Array<Record<string, unknown>> }>("list_panes");
    expect(listed.panes).toEqual([
      expect.objectContaining({ pane, alive: true, viewers: 0, personTyping: false }),
    ]);
    await agent.ok("send_keys", {
      pane,
      text: "echo still-here",
      submit: true,
      wait: { text: "still-here\n" },
    });
  });

  it("closing the person's terminal releases write and ends attach quietly (no EIO, no abort); the pane exiting returns the person to their shell", async () => {
    const { agent, pane } = await agentShell();
    const stderr = join((ws as TestWorkspace).dir, "attach-stderr.txt");
    attachStderr = stderr;
    const closing = await personAttaches("--write");
    attachStderr = undefined;
    await closing.waitFor("READ-WRITE", { what: "write held" });
    const attachPid = Number(
      execFileSync("pgrep", ["-f", "-n", `attach --config ${(ws as TestWorkspace).policyPath}`], {
        encoding: "utf8",
      }).trim(),
    );
    closing.kill();
    // The attach ends when its terminal hangs up, and says nothing: no write EIO thrown, no node assertion
    // abort restoring a terminal that is gone (both seen before the fix).
    await expect.poll(() => processGone(attachPid), { timeout: 10_000 }).toBe(true);
    expect(readFileSync(stderr, "utf8")).toBe("");
    await expect
      .poll(
        async () =>
          (await agent.ok<{ personTyping: boolean; viewers: number }>("read_pane", { pane })).viewers,
        {
          timeout: 10_000,
        },
      )
      .toBe(0);
    await agent.ok("send_keys", {
      pane,
      text: "echo agent-types",
      submit: true,
      wait: { text: "agent-types\n" },
    });
    const watching = await personAttaches();
    await agent.ok("send_keys", { pane, text: "exit 7", submit: true });
    await watching.waitFor(/ccmux attach: the pane exited \(code 7\)\.\n(.*\n)*outer\$\s*$/, {
      what: "the prompt after the pane exited",
    });
  });

  it("a pane printing titles, OSC 52, OSC 8, DCS and mode changes leaves the person's terminal as it was", async () => {
    const { agent, pane } = await agentShell();
    const before = await (async () => {
      const probe = await TmuxTerminal.start({ command: ["sleep", "60"], ...OUTER });
      terminals.push(probe);
      return probe.state();
    })();
    // The person's terminal runs attach alone, so that everything it receives is attach's output.
    const terminal = await TmuxTerminal.start({
      command: attachArgv(),
      ...OUTER,
      env: (daemons as TestDaemons).env,
      cwd: (ws as TestWorkspace).dir,
    });
    terminals.push(terminal);
    await terminal.waitFor(/│ agent work │/, { what: "the attach status line" });
    await agent.ok("send_keys", {
      pane,
      text: hostileCommand().map(quote).join(" "),
      submit: true,
      wait: { text: "HOSTILE-DONE", timeout_ms: 20_000 },
    });
    await terminal.waitFor("HOSTILE-DONE", { what: "the hostile output through attach", timeoutMs: 20_000 });
    const after = await terminal.state();
    expect(after.title).toBe(before.title);
    expect(after.windowName).toBe(before.windowName);
    expect(after.buffers).toEqual([]);
    expect(after.modes).toEqual({
      ...before.modes,
      alternate_on: true,
      wrap_flag: false,
      cursor_flag: after.modes.cursor_flag,
    });
    // Nothing the person's terminal answered reached the pane's input. The pane's own emulator answers device
    // queries (ccmux's, as any terminal does: xterm.js's DA2 is 0;276;0); tmux, the person's, would have said
    // 84;0;0 to DA2 and "tmux 3.3a" to XTVERSION.
    await agent.ok("send_keys", { pane, text: "after", submit: true, wait: { text: "GOT:" } });
    const read = await agent.ok<{ text: string }>("read_pane", { pane });
    const [received, ...more] = receivedLines(read.text);
    expect(more).toEqual([]);
    expect(received).toMatch(/after$/);
    expect(received).toContain("[>0;276;0c");
    expect(received).not.toContain("84;0;0c");
    expect(received).not.toContain("tmux");
    // Every byte attach wrote is in the allowed grammar (after its own entry sequences).
    const output = terminal.output().toString("utf8");
    const body = output.slice(output.indexOf("\x1b[?25l") + "\x1b[?25l".length).replace(LEAVE_ATTACH, "");
    expect(grammarViolation(body, OUTER)).toBeNull();
    expect(output).not.toContain("HOSTILE-TITLE");
    expect(output).not.toContain("\x1b]");
    expect(output).not.toContain("\x1bP");
  });

  it("a person's terminal that stops reading (stalled ssh, stopped terminal) stalls neither the daemon nor the agent; it is drawn again once it reads", async () => {
    const { agent, pane } = await agentShell();
    const terminal = await personAttaches();
    const lastLine = (text: string): number =>
      Math.max(0, ...[...text.matchAll(/line-(\d+)-/g)].map((match) => Number(match[1])));
    await agent.ok("send_keys", {
      pane,
      text: "for ((i = 1; i <= 3000000; i++)); do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done",
      submit: true,
      wait: { regex: "line-[0-9]+-" },
    });
    // The daemon draws this pane into the stopped terminal: its buffer (tens of KB) fills within the first second,
    // and a blocking write would stop the daemon's one thread. Every read below must answer while the pane prints
    // another 5 000 lines (about 300 KB, drawn as frames of a full screen each). Paced below the policy's
    // callsPerMinute: a slow sandboxed pane takes a while to print them.
    process.kill(terminal.pid, "SIGSTOP");
    let reached = 0;
    try {
      const from = lastLine((await agent.ok<{ text: string }>("read_pane", { pane })).text);
      while (reached < from + 5_000) {
        await new Promise((resolve) => setTimeout(resolve, 700));
        reached = lastLine((await agent.ok<{ text: string }>("read_pane", { pane })).text);
      }
    } finally {
      process.kill(terminal.pid, "SIGCONT");
    }
    // Once the terminal reads again it shows the pane as it is now, not a frame from when it stopped.
    await terminal.waitFor((screen) => lastLine(screen) > reached, { what: "lines printed after the stop" });
  });

  it("--resize: the pane follows the person's terminal while they hold write; a smaller terminal clips", async () => {
    const { agent, pane } = await agentShell();
    const terminal = await personAttaches("--write", "--resize");
    await terminal.sendText("stty size");
    await terminal.sendKeys("Enter");
    await terminal.waitFor(`\n${OUTER.rows - 1} ${OUTER.cols}`, { what: "the pane at the terminal's size" });
    await terminal.resize(60, 15);
    await terminal.sendText("stty size");
    await terminal.sendKeys("Enter");
    await terminal.waitFor("\n14 60", { what: "the pane at the new size" });
    // Released write: the pane keeps its size, and a larger pane than the terminal is clipped, with a notice.
    await terminal.sendKeys("C-]", "w");
    await terminal.waitFor(/ read-only │ /, { what: "write released" });
    await agent.ok("resize_pane", { pane, cols: 120, rows: 40 });
    await terminal.waitFor(/\[pane 120x40, view 60x14\]|\[clipped\]/, { what: "the clipping notice" });
  });
});

/** Quotes one word for bash. */
function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
