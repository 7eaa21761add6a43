import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it as vitestIt } from "vitest";
import { type TestDaemons, testDaemons } from "../support/daemon-harness.js";
import { CLI, makeWorkspace, type Served, type TestWorkspace } from "../support/mcp-harness.js";
import type { RunResult } from "../support/run-result.js";
import { TmuxTerminal } from "../support/tmux-terminal.js";

/**
 * A person attached with `--write` to a validated shell (issues 13 and 14): what they type reaches the program
 * in front, as in any pane, but a validated shell never reads a command from its terminal, so text typed at its
 * prompt runs nothing; and while they hold write, the agent's `run` waits (PANE_BUSY) as its send_keys does.
 */
const HAS_ZSH =
  existsSync("/usr/bin/zsh") &&
  existsSync(fileURLToPath(new URL("../../build/Release/zsh/ccmux_shell.so", import.meta.url)));
const SHELLS = { bash: "--norc --noprofile", zsh: "-f" } as const;
const PROMPT = "outer$ ";

describe.each(["bash", "zsh"] as const)("a person holding write on a validated %s", (dialect) => {
  const it = dialect === "zsh" && !HAS_ZSH && !process.env.CI ? vitestIt.skip : vitestIt;
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

  it("types to the program in front; at the shell's prompt what they type runs nothing, and the agent's run waits until they release write", async () => {
    ws = makeWorkspace({
      commands: [
        { command: dialect, args: [SHELLS[dialect]], input: "validated" },
        { command: "cat", input: "raw" },
        { command: "echo", args: ["**"] },
        { command: "ls" },
      ],
      sandbox: { mode: "off" },
    });
    // What the person types at the prompt would create this file if a shell ran it.
    writeFileSync(join(ws.root, "marker.txt"), "");
    daemons = testDaemons(ws);
    const agent = await daemons.connect("work");
    clients.push(agent);
    const { pane } = await agent.ok<{ pane: string }>("spawn", {
      command: `${dialect} ${SHELLS[dialect]}`,
      name: "work",
    });
    expect((await agent.ok<RunResult>("run", { pane, command: "echo agent-first" })).output).toBe(
      "agent-first",
    );

    const terminal = await TmuxTerminal.start({
      command: ["bash", "--norc", "--noprofile"],
      cols: 100,
      rows: 30,
      env: { ...daemons.env, PS1: PROMPT },
      cwd: ws.dir,
    });
    terminals.push(terminal);
    await terminal.waitFor(PROMPT.trimEnd(), { what: "the outer shell's prompt" });
    const attach = [
      process.execPath,
      CLI,
      "attach",
      "--config",
      ws.policyPath,
      "--session",
      "work",
      "--write",
      "work",
    ];
    await terminal.sendText(attach.map((word) => `'${word}'`).join(" "));
    await terminal.sendKeys("Enter");
    await terminal.waitFor("READ-WRITE", { what: "write held" });

    // At the shell's prompt: the shell reads no command from its terminal.
    await terminal.sendText("mv marker.txt moved.txt");
    await terminal.sendKeys("Enter");
    await agent.refused("run", { pane, command: "echo agent-meanwhile" }, "PANE_BUSY");
    // The escape key then w releases write.
    await terminal.sendKeys("C-]", "w");
    await terminal.waitFor(/ read-only │ /, { what: "write released" });
    const after = await agent.ok<RunResult>("run", { pane, command: "ls" });
    expect(after.output.split("\n")).toContain("marker.txt");
    expect(existsSync(join(ws.root, "moved.txt"))).toBe(false);

    // A program in front reads what the person types, as in any pane.
    const cat = await agent.ok<RunResult>("run", { pane, command: "cat", timeout_ms: 300 });
    expect(cat).toMatchObject({ alive: true, reason: "timeout" });
    await terminal.sendKeys("C-]", "w");
    await terminal.waitFor("READ-WRITE", { what: "write held again" });
    await terminal.sendText("typed-by-person");
    await terminal.sendKeys("Enter");
    await terminal.waitFor(/typed-by-person\n.*typed-by-person/, { what: "cat echoing the person's line" });
    await terminal.sendKeys("C-c");
    await terminal.sendKeys("C-]", "w");
    await terminal.waitFor(/ read-only │ /, { what: "write released again" });
    const ended = await agent.ok<RunResult>("run", { pane, timeout_ms: 10_000 });
    expect(ended).toMatchObject({ exitCode: 130, alive: false });
    expect(ended.output).toContain("typed-by-person");
  });
});
