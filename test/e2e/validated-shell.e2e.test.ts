import { chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it as vitestIt } from "vitest";
import {
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
  textOf,
} from "../support/mcp-harness.js";
import type { RunResult } from "../support/run-result.js";

/** A validated shell (issue 14, part 2), bash and zsh, through the real MCP client against the built CLI. */

/** zsh validated shells need zsh and ccmux's zsh module (built where zsh-dev is installed; CI installs both). */
const HAS_ZSH =
  existsSync("/usr/bin/zsh") &&
  existsSync(fileURLToPath(new URL("../../build/Release/zsh/ccmux_shell.so", import.meta.url)));

/** How each shell's rule and spawn line read, and the variables each acts on (env.fromAgent lists them). */
const DIALECTS = {
  bash: {
    args: "--norc --noprofile",
    ownVariables: [
      "export BASH_XTRACEFD=1",
      "unset BASH_XTRACEFD",
      "export TMOUT=1",
      "unset PWD",
      "export IFS=x",
      "export auto_resume=exact",
    ],
  },
  zsh: {
    args: "-f",
    ownVariables: [
      "export EUID=0",
      "export ARGV0=xz",
      "export RPROMPT=x",
      "export UID=0",
      "export STTY=raw",
      "export LINES=3",
      "export TMOUT=1",
      "unset PWD",
      "export IFS=x",
      "unset path",
    ],
  },
} as const;

const POLICY = {
  commands: [
    // The validated shell's rule comes first (the describe block puts bash's or zsh's here).
    // A reader whose rule takes no input (listed before the raw `bash {path}`: the first match decides).
    { command: "bash", args: ["rawread.sh"], input: "none" },
    { command: "python3", args: ["{path}"], input: "raw" },
    { command: "bash", args: ["{path}", "{path} *"], input: "raw" },
    { command: "echo", args: ["**"] },
    { command: "cat", args: ["", "{path}"], input: "raw" },
    { command: "ls", args: ["", "{path}"] },
    { command: "true" },
    { command: "sleep", args: ["*"] },
  ],
  env: {
    pass: ["PATH", "HOME", "LANG"],
    fromAgent: [
      "GREETING",
      "BASH_XTRACEFD",
      "TMOUT",
      "EUID",
      "UID",
      "STTY",
      "LINES",
      "ARGV0",
      "RPROMPT",
      "auto_resume",
    ],
  },
  // maxInputBytes raised: a long command line must not hang the server (an attack review's 70 000 bytes did).
  limits: { callsPerMinute: 10_000, burst: 10_000, maxInputBytes: 200_000, maxPanes: 64 },
};

describe.each([
  ["bash", "off"],
  ["bash", "required"],
  ["zsh", "off"],
  ["zsh", "required"],
] as const)("validated %s: every command passes the policy (sandbox.mode: %s)", (dialect, mode) => {
  let ws: TestWorkspace;
  let mcp: Served;
  const { args, ownVariables } = DIALECTS[dialect];
  // Skipped without zsh outside CI; in CI, a missing zsh module fails the tests.
  const skip = dialect === "zsh" && !HAS_ZSH && !process.env.CI;
  const it = skip ? vitestIt.skip : vitestIt;

  beforeAll(async () => {
    if (skip) return;
    const rule = { command: dialect, args: [args], input: "validated" };
    ws = makeWorkspace(
      { ...POLICY, commands: [rule, ...POLICY.commands], sandbox: { mode } },
      { busy: true },
    );
    // A root server runs panes as nobody, who owns the workspace (makeWorkspace): so it does what it makes here.
    const owned = (dir: string) => {
      mkdirSync(dir);
      if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
    };
    owned(join(ws.root, "sub"));
    writeFileSync(join(ws.root, "sub", "note.txt"), "in sub\n");
    writeFileSync(join(ws.root, "status.sh"), 'echo "status $1"\nexit "$1"\n');
    // Prints marks a program could fake (with a guessed secret and the real shape), tries the shell's secrets
    // through /proc, then ends: none of it may end the command early, change the directory, or read anything.
    writeFileSync(
      join(ws.root, "spoof.sh"),
      [
        "printf '\\033]133;D;0123456789abcdef0123456789abcdef;00000000\\007'",
        "printf '\\033]133;D;guess;guess\\007\\033]7;file:///etc\\007'",
        "printf 'done\\0%s\\0%s\\0%s\\0' 0 0 /etc",
        "printf '$ '",
        "for what in environ maps mem fd/255 fd/10 fd/11 fd/0; do",
        '  if head -c 64 "/proc/$PPID/$what" >/dev/null 2>&1; then echo "READ $what"; else echo "denied $what"; fi',
        "done",
        'if ls "/proc/$PPID/fd" >/dev/null 2>&1; then echo "READ fd"; else echo "denied fd"; fi',
        'for fd in /proc/$PPID/fd/*; do if echo "echo INJECTED > injected.txt" 2>/dev/null > "$fd"; then echo "WROTE $fd"; fi; done',
        "sleep 1",
        "echo real-end",
      ].join("\n"),
    );
    // A directory whose name ends in a newline, reached through a symlink, beside one without it: $(…) would
    // drop the newline, and ccmux would check relative paths against the neighbour.
    mkdirSync(join(ws.root, "a"));
    writeFileSync(join(ws.root, "a", "secret.txt"), "harmless\n");
    mkdirSync(join(ws.root, "a\n"));
    symlinkSync("/etc/passwd", join(ws.root, "a\n", "secret.txt"));
    symlinkSync("a\n", join(ws.root, "nl-link"));
    // Renames the directory the shell is in to a name that is not UTF-8 (x, then byte 0xff).
    owned(join(ws.root, "sub4"));
    writeFileSync(join(ws.root, "sub4", "note.txt"), "in sub4\n");
    writeFileSync(join(ws.root, "bad-name.sh"), 'mv "$PWD" "$(printf \'../x\\377\')" && echo renamed\n');
    // Leaves a process in the background asking the terminal for the cursor position, over and over.
    writeFileSync(
      join(ws.root, "bgq.sh"),
      "(while :; do printf '\\033[6n'; sleep 0.02; done) </dev/null >/dev/tty 2>&1 &\necho querying\n",
    );
    // Reads one byte in raw mode, and shows it.
    writeFileSync(join(ws.root, "rawread.sh"), "stty raw -echo\ndd bs=1 count=1 2>/dev/null | od -c\n");
    // Leaves a child that takes the terminal once the command has ended, then ends itself.
    writeFileSync(
      join(ws.root, "grab.py"),
      [
        "import os, signal, time",
        "if os.fork() == 0:",
        "    os.setpgid(0, 0)",
        "    signal.signal(signal.SIGTTOU, signal.SIG_IGN)",
        "    time.sleep(0.3)",
        "    os.tcsetpgrp(0, os.getpgrp())",
        "    open('grab.done', 'w').close()",
        "    os._exit(0)",
        "print('grabbing')",
      ].join("\n"),
    );
    // Lists the descriptors it inherited, and where each leads.
    writeFileSync(join(ws.root, "fds.sh"), 'ls -l "/proc/$$/fd"\n');
    // Suspends the terminal's output (tcflow TCOOFF) and exits: the shell's end mark would stay in the terminal.
    writeFileSync(
      join(ws.root, "tcoff.py"),
      "import sys, termios\nprint('suspending', flush=True)\ntermios.tcflow(1, termios.TCOOFF)\n",
    );
    // Leaves a process that turns on OLCUC (output uppercased) once the command has ended, then ends.
    writeFileSync(
      join(ws.root, "olcuc.py"),
      [
        "import os, signal, termios, time",
        "if os.fork() == 0:",
        "    signal.signal(signal.SIGTTOU, signal.SIG_IGN)",
        "    time.sleep(0.3)",
        "    attrs = termios.tcgetattr(1)",
        "    attrs[1] |= termios.OLCUC",
        "    termios.tcsetattr(1, termios.TCSANOW, attrs)",
        "    open('olcuc.done', 'w').close()",
        "    os._exit(0)",
        "print('leaving')",
      ].join("\n"),
    );
    // Leaves the terminal in the line-drawing character set, concealed text, no autowrap, the alternate screen.
    writeFileSync(join(ws.root, "mess.sh"), "printf '\\033(0\\033[8m\\033[?7l\\033[?1049h'\n");
    // Prints a table whose columns a TAB separates.
    writeFileSync(join(ws.root, "tabs.sh"), "printf 'col0\\tvalue0\\ncol1\\tvalue1\\n'\n");
    writeFileSync(join(ws.root, "hello-slow.sh"), "echo hello-before-timeout\nsleep 2\n");
    // Runs long enough for a resize to land while it runs, however loaded the machine.
    writeFileSync(join(ws.root, "resize-slow.sh"), "echo resize-me\nsleep 6\n");
    // Reads nothing for a while.
    writeFileSync(join(ws.root, "busy.sh"), "sleep 3\necho busy-done\n");
    // Removes the directory the shell is in.
    writeFileSync(join(ws.root, "rmself.sh"), 'rmdir "$PWD" && echo removed\n');
    owned(join(ws.root, "sub3"));
    // Reads one line and says so.
    writeFileSync(join(ws.root, "readline.sh"), 'read -r line\necho "got $line"\n');
    // Makes sub/link point out of the workspace after the shell went into sub.
    writeFileSync(join(ws.root, "plant.sh"), "ln -s /etc link\n");
    // Moves the shell's directory away and puts a symlink out of the workspace in its place.
    writeFileSync(join(ws.root, "swap.sh"), "cd .. && mv sub2 moved && ln -s /etc sub2 && echo swapped\n");
    owned(join(ws.root, "sub2"));
    mcp = await serveWorkspace(ws);
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  async function shell(): Promise<string> {
    const { pane, input } = await mcp.ok<{ pane: string; input: string }>("spawn", {
      command: `${dialect} ${args}`,
    });
    expect(input).toBe("validated");
    return pane;
  }

  /** Waits until the command a run started holds the terminal (on a busy machine, a moment after it started). */
  async function commandInFront(pane: string): Promise<void> {
    await expect
      .poll(
        async () => {
          const { panes } = await mcp.ok<{ panes: Array<{ pane: string; shell?: { front: string } }> }>(
            "list_panes",
          );
          return panes.find((entry) => entry.pane === pane)?.shell?.front;
        },
        { timeout: 10_000 },
      )
      .toBe("command");
  }

  it("runs commands with their exit status and output, and keeps its directory and variables", async () => {
    const { tools } = await mcp.client.listTools();
    // The agent learns from spawn's description how to drive the shell.
    expect(tools.find((tool) => tool.name === "spawn")?.description).toContain(
      "input validated: a shell whose commands go through run {pane, command}",
    );
    const pane = await shell();
    const echo = await mcp.ok<RunResult>("run", {
      pane,
      command: "echo hello from the shell",
      timeout_ms: 20_000,
    });
    expect(echo).toMatchObject({
      exitCode: 0,
      alive: false,
      reason: "exited",
      output: "hello from the shell",
    });
    const failed = await mcp.ok<RunResult>("run", { pane, command: "bash status.sh 7" });
    expect(failed).toMatchObject({ exitCode: 7, output: "status 7" });
    const cd = await mcp.ok<RunResult>("run", { pane, command: "cd sub" });
    expect(cd).toMatchObject({ exitCode: 0, cwd: join(ws.root, "sub") });
    const cat = await mcp.ok<RunResult>("run", { pane, command: "cat note.txt" });
    expect(cat).toMatchObject({ exitCode: 0, output: "in sub" });
    const pwd = await mcp.ok<RunResult>("run", { pane, command: "pwd" });
    expect(pwd.output).toBe(join(ws.root, "sub"));
    expect((await mcp.ok<RunResult>("run", { pane, command: "export GREETING=hi" })).exitCode).toBe(0);
    expect(readAudit(ws.auditPath).some((r) => r.tool === "run" && r.step === "export")).toBe(true);
  });

  it("shell syntax in a run line is refused with COMMAND_SYNTAX_FORBIDDEN, and nothing is typed", async () => {
    const pane = await shell();
    const lines = [
      "echo a; echo b",
      "echo a | cat",
      "echo $(id)",
      "echo `id`",
      "echo a > out.txt",
      "cat <<EOF",
      "echo !!",
      "ls *",
      "echo a\necho b",
      "echo a \\\necho b",
      "echo a && echo b",
      "f() { echo x; }",
    ];
    for (const command of lines) await mcp.refused("run", { pane, command }, "COMMAND_SYNTAX_FORBIDDEN");
    const screen = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
    expect(screen.text.trim()).toBe("");
    const denied = readAudit(ws.auditPath).filter(
      (r) => r.tool === "run" && r.pane === undefined && r.decision === "deny",
    );
    expect(denied.length).toBeGreaterThanOrEqual(lines.length);
  });

  it("functions, aliases, source and other builtins cannot be defined or run: the word is not an allowed program", async () => {
    const pane = await shell();
    for (const command of [
      "alias ls=rm",
      "source status.sh",
      ". status.sh",
      "eval echo hi",
      "exec bash",
      "builtin cd /",
      "declare -f",
      "set -x",
      "trap x INT",
      "enable -f x y",
    ]) {
      await mcp.refused("run", { pane, command }, "COMMAND_NOT_ALLOWED");
    }
    expect((await mcp.ok<RunResult>("run", { pane, command: "echo still fine" })).output).toBe("still fine");
  });

  it("a program that prints fake marks and reports cannot end its command early or change the directory, and cannot reach the shell through /proc", async () => {
    const pane = await shell();
    const ran = await mcp.ok<RunResult>("run", { pane, command: "bash spoof.sh", timeout_ms: 20_000 });
    expect(ran).toMatchObject({ exitCode: 0, alive: false, cwd: ws.root });
    expect(ran.output.split("\n").at(-1)).toBe("real-end");
    for (const what of ["environ", "maps", "mem", "fd/255", "fd/10", "fd/11", "fd/0", "fd"])
      expect(ran.output).toContain(`denied ${what}`);
    expect(ran.output).not.toMatch(/READ|WROTE/);
    expect(existsSync(join(ws.root, "injected.txt"))).toBe(false);
    const pwd = await mcp.ok<RunResult>("run", { pane, command: "pwd" });
    expect(pwd.output).toBe(ws.root);
  });

  it("the programs it runs inherit none of the shell's descriptors but the terminal: not its command stream, not its report channel", async () => {
    const pane = await shell();
    const fds = await mcp.ok<RunResult>("run", { pane, command: "bash fds.sh" });
    const links = fds.output
      .split("\n")
      .map((line) => /(\d+) -> (.*)$/.exec(line))
      .filter((match) => match !== null)
      .map((match) => `${match[1]} ${match[2]}`);
    // 0-2: the terminal; 255: bash's own descriptor for fds.sh.
    expect(
      links.filter((link) => !/^[012] \/dev\/pts\/\d+$/.test(link) && !/^255 .*fds\.sh$/.test(link)),
    ).toEqual([]);
    expect(links.length).toBe(4);
  });

  it("send_keys at the prompt: text, Enter and Up are refused with INPUT_NOT_ALLOWED and nothing is typed; C-c is harmless", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "true" });
    const before = (await mcp.ok<{ text: string }>("read_pane", { pane })).text;
    await mcp.refused("send_keys", { pane, text: "echo typed" }, "INPUT_NOT_ALLOWED");
    await mcp.refused("send_keys", { pane, keys: ["Enter"] }, "INPUT_NOT_ALLOWED");
    await mcp.refused("send_keys", { pane, keys: ["Up"] }, "INPUT_NOT_ALLOWED");
    await mcp.refused("send_keys", { pane, text: "x", submit: true }, "INPUT_NOT_ALLOWED");
    expect((await mcp.ok<{ text: string }>("read_pane", { pane })).text).toBe(before);
    // C-c, C-z and C-\ at the prompt reach only the shell, which ignores them.
    await mcp.ok("send_keys", { pane, keys: ["C-c", "C-z", "C-\\"] });
    expect((await mcp.ok<RunResult>("run", { pane, command: "echo after" })).output).toBe("after");
  });

  it("while a command holds the terminal, keys follow its own rule; C-c ends it; at the prompt again, text is refused", async () => {
    const pane = await shell();
    const started = await mcp.ok<RunResult>("run", { pane, command: "cat", timeout_ms: 300 });
    expect(started).toMatchObject({ alive: true, reason: "timeout" });
    await commandInFront(pane);
    await mcp.refused("run", { pane, command: "echo busy" }, "PANE_BUSY");
    const typed = await mcp.ok<{ wait: { matched: boolean } }>("send_keys", {
      pane,
      text: "to cat",
      submit: true,
      wait: { text: "to cat\nto cat" },
    });
    expect(typed.wait.matched).toBe(true);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    const ended = await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 });
    expect(ended).toMatchObject({ exitCode: 130, alive: false });
    expect(ended.output).toContain("to cat");
    await mcp.refused("send_keys", { pane, text: "late" }, "INPUT_NOT_ALLOWED");
    await mcp.refused("run", { pane }, "INVALID_ARGUMENT");
  });

  it("keystrokes the last program left unread are discarded: the next command never reads them", async () => {
    const pane = await shell();
    const first = await mcp.ok<RunResult>("run", { pane, command: "bash readline.sh", timeout_ms: 300 });
    expect(first).toMatchObject({ alive: true, reason: "timeout" });
    await commandInFront(pane);
    // Two lines in one write: the script reads the first and exits; the second stays in the terminal's input.
    await mcp.ok("send_keys", { pane, text: "first\rleftover-line\r" });
    const done = await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 });
    expect(done).toMatchObject({ exitCode: 0, output: expect.stringContaining("got first") });
    const next = await mcp.ok<RunResult>("run", { pane, command: "bash readline.sh", timeout_ms: 500 });
    expect(next).toMatchObject({ alive: true, reason: "timeout" });
    await commandInFront(pane);
    await mcp.ok("send_keys", { pane, text: "typed-now", submit: true });
    const read = await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 });
    expect(read.output).toContain("got typed-now");
    expect(read.output).not.toContain("got leftover");
  });

  it("a flood of keys to a program that does not read is refused once the terminal is full, and none of it reaches the next command", async () => {
    const pane = await shell();
    const busy = await mcp.ok<RunResult>("run", { pane, command: "bash busy.sh", timeout_ms: 100 });
    expect(busy.alive).toBe(true);
    await commandInFront(pane);
    const line = `${"x".repeat(98)}\r`;
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const sent = await mcp.call("send_keys", { pane, text: line.repeat(40) });
      codes.push(
        sent.isError ? String((sent.content as Array<{ text: string }>)[0]?.text.split(":")[0]) : "ok",
      );
    }
    expect(codes).toContain("LIMIT_EXCEEDED");
    expect((await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 })).output).toContain("busy-done");
    const next = await mcp.ok<RunResult>("run", { pane, command: "bash readline.sh", timeout_ms: 500 });
    expect(next).toMatchObject({ alive: true, reason: "timeout" });
    await commandInFront(pane);
    await mcp.ok("send_keys", { pane, keys: ["C-c"] });
    expect((await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 })).exitCode).toBe(130);
  });

  it("a 70 000-byte command line runs and the server keeps answering (no blocking write to the shell)", async () => {
    const pane = await shell();
    const other = await shell();
    const long = `echo ${"a".repeat(60_000)} ${"b".repeat(10_000)}`;
    const ran = mcp.ok<RunResult>("run", { pane, command: long, timeout_ms: 20_000 });
    expect((await mcp.ok<{ panes: unknown[] }>("list_panes")).panes.length).toBeGreaterThan(0);
    expect((await mcp.ok<RunResult>("run", { pane: other, command: "echo other" })).output).toBe("other");
    const result = await ran;
    expect(result).toMatchObject({ exitCode: 0, alive: false });
    expect(result.output.replaceAll("\n", "")).toContain("b".repeat(10_000));
  });

  it("C-z stops a command: run says stopped (alive), not exited", async () => {
    const pane = await shell();
    const started = await mcp.ok<RunResult>("run", { pane, command: "cat", timeout_ms: 200 });
    expect(started.alive).toBe(true);
    await commandInFront(pane);
    await mcp.ok("send_keys", { pane, keys: ["C-z"] });
    const stopped = await mcp.ok<RunResult>("run", { pane, timeout_ms: 10_000 });
    expect(stopped).toMatchObject({ alive: true, reason: "stopped" });
    // Only the command that was stopped says so: the stopped job stays, later commands end as usual.
    const next = await mcp.ok<RunResult>("run", { pane, command: "echo next" });
    expect(next).toMatchObject({ output: "next", reason: "exited", alive: false, exitCode: 0 });
  });

  it("after the shell's directory is removed, relative paths are refused and cd to an absolute workspace directory gets out", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "cd sub3" });
    const removed = await mcp.ok<RunResult>("run", { pane, command: "bash ../rmself.sh" });
    expect(removed.output).toBe("removed");
    await mcp.refused("run", { pane, command: "cat note.txt" }, "PATH_OUTSIDE_WORKSPACE");
    expect((await mcp.ok<RunResult>("run", { pane, command: `cd ${join(ws.root, "sub")}` })).cwd).toBe(
      join(ws.root, "sub"),
    );
    expect((await mcp.ok<RunResult>("run", { pane, command: "cat note.txt" })).output).toBe("in sub");
  });

  it("a directory named with a trailing newline is believed exactly: its neighbour without one never stands in for it", async () => {
    const pane = await shell();
    const cd = await mcp.ok<RunResult>("run", { pane, command: "cd nl-link" });
    expect(cd.cwd).not.toBe(join(ws.root, "a"));
    await mcp.refused("run", { pane, command: "cat secret.txt" }, "PATH_OUTSIDE_WORKSPACE");
  });

  it("a directory renamed to a name that is not UTF-8 is unknown: relative paths are refused until cd", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "cd sub4" });
    expect((await mcp.ok<RunResult>("run", { pane, command: "cat note.txt" })).output).toBe("in sub4");
    const renamed = await mcp.ok<RunResult>("run", { pane, command: "bash ../bad-name.sh" });
    expect(renamed).toMatchObject({ output: "renamed", cwd: "" });
    await mcp.refused("run", { pane, command: "cat note.txt" }, "PATH_OUTSIDE_WORKSPACE");
    expect((await mcp.ok<RunResult>("run", { pane, command: `cd ${ws.root}` })).cwd).toBe(ws.root);
  });

  it("the terminal's answers to a background process's queries never reach a command whose rule takes no input", async () => {
    const pane = await shell();
    expect((await mcp.ok<RunResult>("run", { pane, command: "bash bgq.sh" })).output).toContain("querying");
    const read = await mcp.ok<RunResult>("run", { pane, command: "bash rawread.sh", timeout_ms: 1500 });
    expect(read).toMatchObject({ alive: true, reason: "timeout" });
    await mcp.ok("kill_pane", { pane });
  });

  it("a group that took the terminal and ended does not keep the shell busy", async () => {
    const pane = await shell();
    expect((await mcp.ok<RunResult>("run", { pane, command: "python3 grab.py" })).output).toBe("grabbing");
    await expect.poll(() => existsSync(join(ws.root, "grab.done")), { timeout: 10_000 }).toBe(true);
    // PANE_BUSY only while the grabbing process lives (it ends right after the file): never for good.
    let after: RunResult | undefined;
    await expect
      .poll(
        async () => {
          const result = await mcp.call("run", { pane, command: "echo after" });
          if (!result.isError) after = result.structuredContent as unknown as RunResult;
          return result.isError === true;
        },
        { timeout: 10_000 },
      )
      .toBe(false);
    expect(after).toMatchObject({ exitCode: 0, output: "after" });
  });

  it("variables the shell itself acts on cannot be exported or unset, even when env.fromAgent lists them", async () => {
    const pane = await shell();
    for (const command of ownVariables) {
      await mcp.refused("run", { pane, command }, "ENV_NOT_ALLOWED");
    }
    expect((await mcp.ok<RunResult>("run", { pane, command: "echo fine" })).output).toBe("fine");
  });

  it("a program that suspends the terminal's output, or leaves it uppercasing, cannot keep a command running for ccmux", async () => {
    const pane = await shell();
    const suspended = await mcp.ok<RunResult>("run", {
      pane,
      command: "python3 tcoff.py",
      timeout_ms: 20_000,
    });
    expect(suspended).toMatchObject({ exitCode: 0, alive: false, reason: "exited" });
    expect(suspended.output).toContain("suspending");
    expect((await mcp.ok<RunResult>("run", { pane, command: "echo after-tcoff" })).output).toBe(
      "after-tcoff",
    );
    expect((await mcp.ok<RunResult>("run", { pane, command: "python3 olcuc.py" })).output).toBe("leaving");
    await expect.poll(() => existsSync(join(ws.root, "olcuc.done")), { timeout: 10_000 }).toBe(true);
    const after = await mcp.ok<RunResult>("run", { pane, command: "echo lower-case", timeout_ms: 20_000 });
    // Its modes were put back before the command: its output is as printed, and its marks came through.
    expect(after).toMatchObject({ exitCode: 0, alive: false, output: "lower-case" });
    expect(after.uncertain ?? false).toBe(false);
  });

  it("a storm of C-c and C-\\ as a command ends cannot leave the shell busy for good", async () => {
    const pane = await shell();
    for (let round = 0; round < 8; round++) {
      const started = await mcp.ok<RunResult>("run", { pane, command: "cat", timeout_ms: 100 });
      expect(started.alive).toBe(true);
      await commandInFront(pane);
      // The first key ends cat; the rest arrive while the shell takes the terminal back and reports.
      await mcp.call("send_keys", { pane, keys: Array(40).fill(round % 2 === 0 ? "C-c" : "C-\\") });
      const ended = await mcp.ok<RunResult>("run", { pane, timeout_ms: 20_000 });
      expect(ended).toMatchObject({ alive: false, reason: "exited" });
    }
    expect((await mcp.ok<RunResult>("run", { pane, command: "echo still-answering" })).output).toBe(
      "still-answering",
    );
  });

  it("what a program left in the emulator (character set, concealed text, alternate screen) does not garble the next command's output", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "bash mess.sh" });
    const after = await mcp.ok<RunResult>("run", { pane, command: "echo tests passed: 0 failed" });
    expect(after.output).toBe("tests passed: 0 failed");
  });

  it("a resize while a command runs makes its answer uncertain (the emulator re-wrapped its rows)", async () => {
    const pane = await shell();
    const started = await mcp.ok<RunResult>("run", { pane, command: "bash resize-slow.sh", timeout_ms: 100 });
    expect(started.alive).toBe(true);
    // Running, not still queued for a shell that was not ready yet (a loaded CI run resized before the start).
    await mcp.ok("wait_for", { pane, text: "resize-me", timeout_ms: 20_000 });
    await mcp.ok("resize_pane", { pane, cols: 60, rows: 20 });
    const ended = await mcp.ok<RunResult>("run", { pane, timeout_ms: 20_000 });
    expect(ended).toMatchObject({ exitCode: 0, uncertain: true });
    const next = await mcp.ok<RunResult>("run", { pane, command: "echo steady" });
    expect(next.output).toBe("steady");
    expect(next.uncertain ?? false).toBe(false);
  });

  it("a run whose wait ends before the shell is ready still starts, and run {pane} gets its answer", async () => {
    const pane = await shell();
    // timeout_ms 0 gives up before the new shell reports ready (a busy machine made 100 ms do the same).
    const early = await mcp.ok<RunResult>("run", { pane, command: "echo early", timeout_ms: 0 });
    expect(early).toMatchObject({ alive: true, reason: "timeout" });
    const ended = await mcp.ok<RunResult>("run", { pane, timeout_ms: 20_000 });
    expect(ended).toMatchObject({ exitCode: 0, output: "early" });
  });

  it("C-c and C-z sent before the shell is ready type nothing, and the shell lives on", async () => {
    const pane = await shell();
    // Before its start-up ran, these killed or stopped the shell (an attack review); refused now, or, once the
    // shell is ready, sent to a prompt where they do nothing.
    for (const key of ["C-c", "C-z", "C-\\"]) {
      const sent = await mcp.call("send_keys", { pane, keys: [key] });
      if (sent.isError) expect(textOf(sent)).toMatch(/^PANE_BUSY: The validated shell is still starting/);
    }
    const ran = await mcp.ok<RunResult>("run", { pane, command: "echo alive", timeout_ms: 20_000 });
    expect(ran).toMatchObject({ exitCode: 0, output: "alive" });
  });

  it("a run taken before the shell is ready shows the shell busy", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "bash hello-slow.sh", timeout_ms: 0 });
    const { panes } = await mcp.ok<{ panes: Array<{ pane: string; shell?: { busy: boolean } }> }>(
      "list_panes",
    );
    expect(panes.find((each) => each.pane === pane)?.shell?.busy).toBe(true);
    await mcp.ok("kill_pane", { pane, signal: "SIGKILL" });
  });

  it("output with TABs reads as the lines the terminal shows, not one line per column", async () => {
    const pane = await shell();
    const ran = await mcp.ok<RunResult>("run", { pane, command: "bash tabs.sh" });
    expect(ran.output).toBe("col0    value0\ncol1    value1");
  });

  it("a command still running at the timeout returns what it printed so far", async () => {
    const pane = await shell();
    const ran = await mcp.ok<RunResult>("run", { pane, command: "bash hello-slow.sh", timeout_ms: 800 });
    expect(ran).toMatchObject({ alive: true, reason: "timeout", output: "hello-before-timeout" });
  });

  it("terminal modes a command set are put back before the next one", async () => {
    const pane = await shell();
    await mcp.ok<RunResult>("run", { pane, command: "bash rawread.sh", timeout_ms: 300 });
    await mcp.ok("kill_pane", { pane });
    const next = await shell();
    const started = await mcp.ok<RunResult>("run", { pane: next, command: "cat", timeout_ms: 300 });
    expect(started.alive).toBe(true);
    await commandInFront(next);
    // cat in raw mode would echo nothing and get no line; with the modes put back, a line comes back twice.
    const typed = await mcp.ok<{ wait: { matched: boolean } }>("send_keys", {
      pane: next,
      text: "line",
      submit: true,
      wait: { text: "line\nline" },
    });
    expect(typed.wait.matched).toBe(true);
  });

  it("cd outside the workspace is refused; a symlink planted after a cd, or the directory swapped for one, carries no relative path outside", async () => {
    const pane = await shell();
    for (const target of ["/", "..", "/etc", "~"]) {
      const refused = await mcp.call("run", { pane, command: `cd ${target}` });
      expect(refused.isError).toBe(true);
    }
    expect((await mcp.ok<RunResult>("run", { pane, command: "cd sub" })).cwd).toBe(join(ws.root, "sub"));
    expect((await mcp.ok<RunResult>("run", { pane, command: "bash ../plant.sh" })).exitCode).toBe(0);
    await mcp.refused("run", { pane, command: "cat link/passwd" }, "PATH_OUTSIDE_WORKSPACE");
    await mcp.refused("run", { pane, command: "cd link" }, "PATH_OUTSIDE_WORKSPACE");
    // The shell's directory itself moves and a symlink out of the workspace takes its name: ccmux follows the
    // directory the shell reports (pwd -P), never the name.
    expect((await mcp.ok<RunResult>("run", { pane, command: "cd ../sub2" })).cwd).toBe(join(ws.root, "sub2"));
    const swapped = await mcp.ok<RunResult>("run", { pane, command: "bash ../swap.sh" });
    expect(swapped).toMatchObject({ output: "swapped", cwd: join(ws.root, "moved") });
    await mcp.refused("run", { pane, command: "cat ../sub2/passwd" }, "PATH_OUTSIDE_WORKSPACE");
    const here = await mcp.ok<RunResult>("run", { pane, command: "pwd" });
    expect(here.output).toBe(join(ws.root, "moved"));
  });

  it("run {pane} refuses what is not a validated shell and spawn-only fields", async () => {
    const pane = await shell();
    await mcp.refused("run", { pane, command: "true", cwd: "sub" }, "INVALID_ARGUMENT");
    const { pane: plain } = await mcp.ok<{ pane: string }>("spawn", { command: "cat" });
    await mcp.refused("run", { pane: plain, command: "true" }, "INVALID_ARGUMENT");
  });
});
