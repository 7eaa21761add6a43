import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { addon } from "../../src/native/addon.js";
import type { HistoryMark } from "../../src/panes/pane-screen.js";
import { type ShellPane, ValidatedShell } from "../../src/panes/shell/validated-shell.js";
import type { ShellStep } from "../../src/shared/shell-step.js";

/**
 * ValidatedShell against a stand-in for the shell: the test reads the command stream and writes the report
 * channel itself (real pipes), and plays the pane. This is where a foreground group that changes between the
 * shell's report and ccmux's answer can be made to happen every time (the e2e tests drive real shells).
 */

/** The pane: what was pushed through scan, and a foreground group the test sets. */
class FakePane implements ShellPane {
  text = "";
  front = 100;
  async markSince(): Promise<HistoryMark> {
    return { row: this.text.length } as HistoryMark;
  }
  releaseSince(): void {}
  async textFrom(mark: HistoryMark | undefined): Promise<{ text: string }> {
    // As the emulator renders it: OSC sequences are consumed.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: OSC sequences are what is matched
    return { text: this.text.slice(mark?.row ?? 0).replace(/\u001b\][^\u0007]*\u0007/g, "") };
  }
  foregroundGroup(): number {
    return this.front;
  }
  flushInput(): void {}
  async quiet(): Promise<void> {}
}

const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
});

/** A shell started against `pane`, with the test holding the shell's ends of both pipes. */
async function startShell(pane: FakePane, dialect: "bash" | "zsh" = "bash", options = { ready: true }) {
  const shell = new ValidatedShell(pane, {
    dialect,
    cwd: "/ws",
    builtins: "/nonexistent",
    makePipe: (nonBlockingRead) => addon.makePipe(nonBlockingRead),
  });
  // The shell's ends, reopened before launched() closes ccmux's copies (as the child process would hold them).
  const script = openSync(
    `/proc/self/fd/${shell.childFds.script}`,
    constants.O_RDONLY | constants.O_NONBLOCK,
  );
  const back = openSync(`/proc/self/fd/${shell.childFds.back}`, constants.O_WRONLY);
  opened.push(script, back);
  shell.launched();
  let written = "";
  /** Everything ccmux wrote to the command stream so far. */
  const stream = async (): Promise<string> => {
    const buffer = Buffer.alloc(65536);
    for (;;) {
      let got = 0;
      try {
        got = readSync(script, buffer);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      }
      if (got === 0) return written;
      written += buffer.subarray(0, got).toString("latin1");
    }
  };
  const report = (...fields: string[]) => writeSync(back, Buffer.from(`${fields.join("\0")}\0`, "latin1"));
  const push = (text: string) =>
    shell.scan(Buffer.from(text, "latin1"), (part) => (pane.text += part.toString("latin1")));
  /** The shell reports that it is ready (startShell does unless told not to). */
  const becomeReady = async () => {
    report("ready", "/ws");
    await shell.ready();
  };
  if (options.ready) await becomeReady();
  const secret = /__ccmux_secret=([0-9A-F]+)/.exec(await stream())?.[1] as string;
  /** The nonce of the last command ccmux wrote, once the stream has it. */
  const nonce = async (count: number): Promise<string> => {
    await expect
      .poll(async () => [...(await stream()).matchAll(/__ccmux_start ([0-9A-F]+) /g)].length)
      .toBe(count);
    return [...(await stream()).matchAll(/__ccmux_start ([0-9A-F]+) /g)].at(-1)?.[1] as string;
  };
  const mark = (kind: "C" | "D", tag: string, id: string) => `\u001b]133;${kind};${tag};${id}\u0007`;
  return { shell, secret, nonce, report, push, mark, stream, becomeReady };
}

/** A command ccmux typed into the command stream (the start-up only defines the function). */
const STARTED = /__ccmux_start [0-9A-F]+ /;

const TRUE: ShellStep = { kind: "exec", argv: ["/bin/true"], input: "none", rule: "commands[1]" };

describe("ValidatedShell: what a command's answer rests on", () => {
  it("a command whose end is reported while another process group holds the terminal is uncertain", async () => {
    const pane = new FakePane();
    const { shell, secret, nonce, report, push, mark } = await startShell(pane);
    const sure = shell.run(TRUE, "true");
    const first = await nonce(1);
    report("start", first, "");
    push(`$ true\r\n${mark("C", secret, first)}one\r\n${mark("D", secret, first)}`);
    report("done", first, "0", "/ws", "");
    expect(await sure).toMatchObject({ status: 0, output: "one\r\n", uncertain: false, stopped: false });

    const unsure = shell.run(TRUE, "true");
    const second = await nonce(2);
    report("start", second, "");
    push(`$ true\r\n${mark("C", secret, second)}two\r\n${mark("D", secret, second)}`);
    // A process the command left behind took the terminal between the shell's report and ccmux's answer.
    pane.front = 200;
    report("done", second, "0", "/ws", "");
    expect(await unsure).toMatchObject({ status: 0, output: "two\r\n", uncertain: true });
  });

  it("a forged end mark, with a guessed tag or another command's nonce, does not end the command's output", async () => {
    const pane = new FakePane();
    const { shell, secret, nonce, report, push, mark } = await startShell(pane, "zsh");
    const outcome = shell.run(TRUE, "true");
    const id = await nonce(1);
    report("start", id, "");
    push(`${mark("C", secret, id)}a${mark("D", "0".repeat(32), id)}b${mark("D", secret, "00000000")}c`);
    push(mark("D", secret, id));
    report("done", id, "3", "/ws/sub", "");
    const result = await outcome;
    expect(result).toMatchObject({ status: 3, cwd: "/ws/sub" });
    // The forged marks are consumed by the emulator like any OSC: the text after them is still the command's.
    expect(result.output).toBe("abc");
  });

  it("a command whose end mark never comes through the terminal ends on the shell's report, uncertain", async () => {
    const pane = new FakePane();
    const { shell, secret, nonce, report, push, mark } = await startShell(pane);
    const outcome = shell.run(TRUE, "true");
    const id = await nonce(1);
    report("start", id, "");
    // The program suspended the terminal's output (tcflow TCOOFF): the shell's D mark stays in the terminal.
    push(`${mark("C", secret, id)}partial`);
    report("done", id, "0", "/ws", "");
    expect(await outcome).toMatchObject({ status: 0, output: "partial", uncertain: true });
    // The next command runs as usual.
    const next = shell.run(TRUE, "true");
    const second = await nonce(2);
    report("start", second, "");
    push(`${mark("C", secret, second)}fine${mark("D", secret, second)}`);
    report("done", second, "0", "/ws", "");
    expect(await next).toMatchObject({ output: "fine", uncertain: false });
  });

  it("a report for a command ccmux did not send ends the shell: the command fails, and no other starts", async () => {
    const pane = new FakePane();
    const { shell, nonce, report } = await startShell(pane);
    const outcome = shell.run(TRUE, "true");
    await nonce(1);
    report("done", "0123456789ABCDEF", "0", "/", "");
    await expect(outcome).rejects.toMatchObject({ code: "PANE_EXITED" });
    await expect(shell.run(TRUE, "true")).rejects.toMatchObject({ code: "PANE_EXITED" });
  });
});

describe("ValidatedShell: a command taken before the shell is ready", () => {
  it("is offered by current() from the call on, starts once the shell is ready, and blocks a second run", async () => {
    const pane = new FakePane();
    const { shell, secret, nonce, report, push, mark, stream, becomeReady } = await startShell(pane, "bash", {
      ready: false,
    });
    const outcome = shell.run(TRUE, "true");
    // run with only `pane` (a wait that gave up, as on a busy machine) must find it, not "no command runs".
    expect(shell.current()).toBe(outcome);
    await expect(shell.run(TRUE, "true")).rejects.toMatchObject({ code: "PANE_BUSY" });
    expect(await stream()).not.toMatch(STARTED);
    expect(shell.typed(outcome)).toBe(false);
    await becomeReady();
    const id = await nonce(1);
    expect(shell.current()).toBe(outcome);
    expect(shell.typed(outcome)).toBe(true);
    report("start", id, "");
    push(`${mark("C", secret, id)}late${mark("D", secret, id)}`);
    report("done", id, "0", "/ws", "");
    expect(await outcome).toMatchObject({ status: 0, output: "late" });
    expect(shell.current()).toBe(outcome);
    shell.delivered(outcome);
    expect(shell.current()).toBeUndefined();
  });

  it("a run cancelled before the shell is ready types nothing, then and later", async () => {
    const pane = new FakePane();
    const { shell, secret, nonce, report, push, mark, stream, becomeReady } = await startShell(pane, "bash", {
      ready: false,
    });
    const cancel = new AbortController();
    const withdrawn = shell.run(TRUE, "true", cancel.signal);
    cancel.abort();
    await becomeReady();
    await expect(withdrawn).rejects.toMatchObject({ code: "CANCELLED" });
    // What the audit records of the aborted run: it was never typed.
    expect(shell.typed(withdrawn)).toBe(false);
    expect(await stream()).not.toMatch(STARTED);
    expect(shell.current()).toBeUndefined();
    const next = shell.run(TRUE, "true");
    const id = await nonce(1);
    report("start", id, "");
    push(`${mark("C", secret, id)}next${mark("D", secret, id)}`);
    report("done", id, "0", "/ws", "");
    expect(await next).toMatchObject({ output: "next" });
  });
});
