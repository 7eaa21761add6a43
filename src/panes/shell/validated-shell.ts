import { randomBytes } from "node:crypto";
import { closeSync, writeSync } from "node:fs";
import { Socket } from "node:net";
import { CcmuxError } from "../../errors.js";
import type { InputMode } from "../../shared/pane-words.js";
import type { ShellStep } from "../../shared/shell-step.js";
import type { ShellDialect } from "../../shared/shell-variables.js";
import type { HistoryMark } from "../pane-screen.js";
import { bashArgv, bashCommand, bashStartup } from "./bash-text.js";
import { type ShellReport, ShellReportReader } from "./shell-reports.js";
import { type ShellFds, type StartupOptions, shellMark } from "./shell-text.js";
import { zshArgv, zshCommand, zshStartup } from "./zsh-text.js";

/** How each dialect is started and told a command (bash-text.ts, zsh-text.ts). */
const DIALECTS: Record<
  ShellDialect,
  {
    argv: (shell: string, fds: ShellFds) => string[];
    startup: (options: StartupOptions) => string;
    command: (step: ShellStep, nonce: string, display: string, fds: ShellFds) => string;
  }
> = {
  bash: { argv: bashArgv, startup: bashStartup, command: bashCommand },
  zsh: { argv: zshArgv, startup: zshStartup, command: zshCommand },
};

/** What a validated shell needs from its pane. */
export interface ShellPane {
  /** A mark for output parsed after this call (Pane.markSince): must reach the screen before later output. */
  markSince(): Promise<HistoryMark | undefined>;
  releaseSince(mark: HistoryMark | undefined): void;
  /** The text from a mark to the last line, as rendered once everything pushed before the call is parsed. */
  textFrom(mark: HistoryMark | undefined): Promise<{ text: string }>;
  /** The terminal's foreground process group (tcgetpgrp on the master); -1 when unknown. */
  foregroundGroup(): number;
  /** Discards keystrokes written to the terminal that no program has read. */
  flushInput(): void;
  /** Resolves once all output read so far is parsed and none came for `ms` milliseconds (or the pane is gone). */
  quiet(ms: number): Promise<void>;
}

/**
 * How long the pane's output must stay quiet, after the shell reported a command's end, before ccmux stops
 * waiting for the end mark (ms).
 */
const MARK_GRACE_MS = 300;

/**
 * Fed to the emulator at a command's start mark, none of it moving the cursor: back to the normal screen (DECRST
 * 1047: 1049 would restore a cursor never saved, the top left), autowrap on (DECSET 7), insert mode off (IRM), G0
 * and G1 ASCII with G0 shifted in (SI, SCS), SGR 0. (Not DECSTR: xterm.js's soft reset also homes the cursor.)
 */
const EMULATOR_RESET = Buffer.from(
  "\u001b[?1047l\u001b[?7h\u001b[4l\u000f\u001b(B\u001b)B\u001b[0m",
  "latin1",
);

/** How a command ended, as the shell reported it. */
export interface ShellOutcome {
  /** `$?` as the shell reports it (128+N for a program ended by signal N, 148 for one stopped with C-z). */
  status: number;
  /** What the command printed, between its marks (rendered, unsanitized). */
  output: string;
  /** The shell's directory after the command (`pwd -P`, reported by the shell). */
  cwd: string;
  /** The shell said the command ended while another process group held the terminal: the answer may be wrong. */
  uncertain: boolean;
  /** The command was stopped (C-z) rather than ended: it waits, stopped, until the pane is killed. */
  stopped: boolean;
}

/** What send_keys may do to a validated shell now: a command's own input mode, or the keys allowed at its prompt. */
export type ShellKeys = InputMode | "prompt";

interface Running {
  nonce: string;
  step: ShellStep;
  /** Which mark the output is searched for next. */
  phase: "C" | "D" | "seen";
  startMark?: Promise<HistoryMark | undefined>;
  output?: Promise<string>;
  report?: { status: number; cwd: string; stopped: boolean };
  /** The shell's stopped jobs when the command started (its `start` report). */
  stoppedBefore?: string[];
  /** The shell reported the end, but its marks never showed in the output (see settleWithoutMarks). */
  marksLost?: boolean;
  /** The pane was resized while it ran: the emulator re-wrapped its rows, and its start may have moved. */
  resized?: boolean;
  outcome: Promise<ShellOutcome>;
  settle: (outcome: ShellOutcome) => void;
  fail: (error: Error) => void;
}

/**
 * A validated shell (policy `input: "validated"`, issue 14): a bash or zsh that runs its script from a pipe only
 * ccmux writes, one checked command at a time, and reports each one's end and its directory on a second pipe only
 * it writes (see bash-text.ts, zsh-text.ts). The pane's output carries OSC 133 marks tagged with a per-pane secret and the
 * command's nonce; they delimit the command's output and nothing else.
 *
 * Security: what a program in the pane prints never ends a command, sets a status or changes the directory
 * ccmux believes: those come only on the report channel, which the programs do not have (it is closed for each
 * command, and the shell is non-dumpable so its /proc/<pid>/fd cannot be opened). A forged mark can at most cut
 * the output the agent gets short.
 */
export class ValidatedShell {
  /** The descriptors the shell gets (the caller passes them to the spawn, then calls `launched`). */
  readonly childFds: ShellFds;
  readonly dialect: ShellDialect;
  private readonly secret = randomBytes(16).toString("hex").toUpperCase();
  private readonly scriptWrite: number;
  private readonly backRead: number;
  private backSocket: Socket | undefined;
  /** The command stream, written without blocking once the shell runs (see launched). */
  private scriptStream: Socket | undefined;
  private readonly reports = new ShellReportReader();
  private readonly readyPromise: Promise<void>;
  private markReady: () => void = () => {};
  private failReady: (error: Error) => void = () => {};
  private group = -1;
  private isReady = false;
  private directory: string;
  private running: Running | undefined;
  private carry: Buffer = Buffer.alloc(0);
  private broken: string | undefined;
  /** A command run() took before the shell was ready: it starts once the shell reports ready, unless withdrawn. */
  private queued: Promise<ShellOutcome> | undefined;
  /** The last command started (the promise run() returned for it), and whether the agent had its answer. */
  private last: { outcome: Promise<ShellOutcome>; delivered: boolean } | undefined;

  /**
   * Makes the two pipes and writes the start-up into the command stream; `builtins`: where the dialect's native
   * builtins are, as the shell sees the file system (StartupOptions).
   */
  constructor(
    private readonly pane: ShellPane,
    options: {
      dialect: ShellDialect;
      cwd: string;
      builtins: string;
      makePipe: (nonBlockingRead?: boolean) => [number, number];
    },
  ) {
    this.dialect = options.dialect;
    this.directory = options.cwd;
    const [scriptRead, scriptWrite] = options.makePipe(false);
    let back: [number, number];
    try {
      back = options.makePipe(true);
    } catch (error) {
      closeSync(scriptRead);
      closeSync(scriptWrite);
      throw error;
    }
    this.scriptWrite = scriptWrite;
    this.backRead = back[0];
    this.childFds = { script: scriptRead, back: back[1] };
    this.readyPromise = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.readyPromise.catch(() => {});
    writeSync(
      scriptWrite,
      DIALECTS[this.dialect].startup({ secret: this.secret, fds: this.childFds, builtins: options.builtins }),
    );
  }

  /** The argv that starts this shell, `shell` being its absolute executable. */
  argv(shell: string): string[] {
    return DIALECTS[this.dialect].argv(shell, this.childFds);
  }

  /** The shell started (or failed to): closes ccmux's copies of the shell's ends and starts reading reports. */
  launched(): void {
    closeSync(this.childFds.script);
    closeSync(this.childFds.back);
    // Security: never a blocking write: a long command line fills the pipe while bash echoes it to the terminal,
    // which this thread must go on reading (an attack review hung the server with a 70 000-byte line).
    const script = new Socket({ fd: this.scriptWrite, readable: false, writable: true });
    this.scriptStream = script;
    script.on("error", (error) => this.end(`its command stream failed: ${error.message}`));
    const socket = new Socket({ fd: this.backRead, readable: true, writable: false });
    this.backSocket = socket;
    socket.on("data", (chunk: Buffer) => this.onReports(chunk));
    socket.on("error", () => {});
    socket.on("close", () => this.end("the shell's report channel closed"));
  }

  /** The shell's directory as it last reported it. */
  get cwd(): string {
    return this.directory;
  }

  /** A command is running (or its end is not yet known), or waits for the shell to be ready. */
  get busy(): boolean {
    return this.running !== undefined || this.queued !== undefined;
  }

  /** The shell reported `ready`: its start-up ran (the traps that make C-c and C-z do nothing at its prompt). */
  get started(): boolean {
    return this.isReady;
  }

  /** What send_keys may send now: the running command's own mode while it holds the terminal, else the prompt's keys. */
  keys(): ShellKeys {
    const running = this.running;
    if (running === undefined || running.step.kind !== "exec" || this.broken !== undefined) return "prompt";
    const front = this.pane.foregroundGroup();
    // Security: decided by the terminal's foreground process group, not by anything printed.
    return front > 0 && front !== this.group && groupLives(front) ? running.step.input : "prompt";
  }

  /**
   * Whether the terminal's answers to queries (cursor position, device attributes) may be typed into it now: only
   * while a command whose rule takes input holds it. Security: a program left in the background asked, and the
   * answers reached the next command, one whose rule takes no input (an attack review).
   */
  takesReplies(): boolean {
    const keys = this.keys();
    return keys === "raw" || keys === "keys";
  }

  /** What the running command printed so far (rendered, unsanitized); "" when none runs or it printed nothing yet. */
  async outputSoFar(): Promise<string> {
    const start = this.running?.startMark;
    return start ? (await this.pane.textFrom(await start)).text : "";
  }

  /**
   * Runs one checked step: resolves with its outcome when the shell reports its end. Rejects with PANE_BUSY while a
   * command runs or waits to start, or a process the shell started still holds the terminal; PANE_EXITED once the
   * shell is gone. A step taken before the shell is ready waits for it and then starts, even when the caller's wait
   * gave up meanwhile: current() offers it from this call on. `signal` aborting before it started withdraws it
   * (nothing is typed).
   */
  run(step: ShellStep, display: string, signal?: AbortSignal): Promise<ShellOutcome> {
    if (this.running !== undefined || this.queued !== undefined) {
      return Promise.reject(
        new CcmuxError(
          "PANE_BUSY",
          "The shell is still running a command: run with only `pane` waits for it; send_keys C-c stops it when its rule takes keys, kill_pane always does.",
        ),
      );
    }
    let withdrawn = false;
    const withdraw = () => {
      withdrawn = true;
    };
    // Security: a run that was waiting for the shell and is no longer wanted never starts a command later.
    if (signal?.aborted) withdraw();
    else signal?.addEventListener("abort", withdraw, { once: true });
    let answer: (outcome: Promise<ShellOutcome>) => void = () => {};
    let refuse: (error: unknown) => void = () => {};
    const outcome = new Promise<ShellOutcome>((resolve, reject) => {
      answer = resolve;
      refuse = reject;
    });
    outcome.catch(() => {});
    this.readyPromise
      .finally(() => {
        if (this.queued === outcome) this.queued = undefined;
        signal?.removeEventListener("abort", withdraw);
      })
      .then(() => {
        if (withdrawn) {
          throw new CcmuxError(
            "CANCELLED",
            "The run was cancelled before the shell was ready: nothing was typed.",
          );
        }
        answer(this.start(step, display, outcome));
      })
      .catch(refuse);
    this.queued = outcome;
    return outcome;
  }

  /** Starts `step` now that the shell is ready; `answer`: the promise run() returned for it (see run). */
  private start(step: ShellStep, display: string, answer: Promise<ShellOutcome>): Promise<ShellOutcome> {
    if (this.broken !== undefined) throw new CcmuxError("PANE_EXITED", `The shell is gone: ${this.broken}.`);
    const front = this.pane.foregroundGroup();
    // A group that took the terminal and then ended (its processes are gone) holds nothing: the command's job takes
    // the terminal from it, and the shell takes it back after (an attack review left the shell busy for good).
    if (front !== this.group && groupLives(front)) {
      throw new CcmuxError(
        "PANE_BUSY",
        "A process the shell started still holds the terminal; nothing was typed. Stop it with send_keys C-c or kill_pane.",
        { data: { foregroundGroup: front } },
      );
    }
    // Security: keystrokes left over from the last program (sent as it exited) are never read by the next one.
    this.pane.flushInput();
    const nonce = randomBytes(8).toString("hex").toUpperCase();
    let settle: (outcome: ShellOutcome) => void = () => {};
    let fail: (error: Error) => void = () => {};
    const outcome = new Promise<ShellOutcome>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    outcome.catch(() => {});
    this.running = { nonce, step, phase: "C", outcome, settle, fail };
    this.last = { outcome: answer, delivered: false };
    this.carry = Buffer.alloc(0);
    this.scriptStream?.write(DIALECTS[this.dialect].command(step, nonce, display, this.childFds));
    return outcome;
  }

  /**
   * The outcome of the command still running, or of the last one when nobody has had its answer yet (it ended
   * after run's wait gave up); undefined otherwise.
   */
  current(): Promise<ShellOutcome> | undefined {
    if (this.queued) return this.queued;
    return this.last && !this.last.delivered ? this.last.outcome : undefined;
  }

  /** Whether the command run() answered with `outcome` was typed into the shell (not withdrawn or refused). */
  typed(outcome: Promise<ShellOutcome>): boolean {
    return this.last?.outcome === outcome;
  }

  /** The agent got `outcome` (a run's answer): current() no longer offers it. */
  delivered(outcome: Promise<ShellOutcome>): void {
    if (this.last?.outcome === outcome) this.last.delivered = true;
  }

  /** Resolves once the shell reported `ready`; rejects if it ends first. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /**
   * The pane's output, before it reaches the screen: pushes it on through `push`, split at the running command's
   * marks so that its output starts and ends exactly there.
   */
  scan(chunk: Buffer, push: (part: Buffer) => void): void {
    const running = this.running;
    if (running === undefined || running.phase === "seen") {
      push(chunk);
      return;
    }
    const mark = shellMark(running.phase, this.secret, running.nonce);
    const hay = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const at = hay.indexOf(mark);
    if (at < 0) {
      this.carry = Buffer.from(hay.subarray(Math.max(0, hay.length - (mark.length - 1))));
      push(chunk);
      return;
    }
    const end = Math.max(0, at + mark.length - this.carry.length);
    this.carry = Buffer.alloc(0);
    push(chunk.subarray(0, end));
    if (running.phase === "C") {
      // The emulator only (the terminal never sees it): a program before this one may have left a character set,
      // concealed text, no autowrap or the alternate screen behind, which would garble this command's output as
      // the agent reads it (an attack review).
      push(EMULATOR_RESET);
      running.startMark = this.pane.markSince();
      running.phase = "D";
    } else {
      const start = running.startMark;
      running.output = (async () => (await this.pane.textFrom(await start)).text)();
      running.phase = "seen";
      void this.settleWhenKnown(running);
    }
    if (end < chunk.length) this.scan(chunk.subarray(end), push);
  }

  /**
   * The pane was resized: the emulator re-wraps its rows, so a running command's output may start elsewhere than
   * its mark says (an attack review got earlier commands' lines back): its answer says `uncertain`.
   */
  resized(): void {
    if (this.running) this.running.resized = true;
  }

  /** The pane ended: a running command never finishes, and no other starts. */
  end(why: string): void {
    if (this.broken !== undefined) return;
    this.broken = why;
    this.failReady(new CcmuxError("PANE_EXITED", `The shell ended before it was ready: ${why}.`));
    this.running?.fail(new CcmuxError("PANE_EXITED", `The shell ended while the command ran: ${why}.`));
    this.running = undefined;
    this.backSocket?.destroy();
    if (this.scriptStream) this.scriptStream.destroy();
    else {
      try {
        closeSync(this.scriptWrite);
      } catch {
        // closed already
      }
    }
  }

  private onReports(chunk: Buffer): void {
    let reports: ShellReport[];
    try {
      reports = this.reports.push(chunk);
    } catch (error) {
      this.end(`its report channel carried ${(error as Error).message}`);
      return;
    }
    for (const report of reports) {
      if (report.kind === "ready") {
        this.isReady = true;
        this.directory = report.cwd;
        this.group = this.pane.foregroundGroup();
        this.markReady();
        continue;
      }
      const running = this.running;
      if (running === undefined || report.nonce !== running.nonce) {
        this.end("it reported a command ccmux did not send");
        return;
      }
      if (report.kind === "start") {
        running.stoppedBefore = report.stopped;
        continue;
      }
      this.directory = report.cwd;
      // Stopped: a job is stopped now that was not before the command (the command itself, C-z).
      const before = new Set(running.stoppedBefore ?? []);
      const stopped = report.stopped.some((pid) => !before.has(pid));
      running.report = { status: report.status, cwd: report.cwd, stopped };
      void this.settleWhenKnown(running);
      if (running.output === undefined) void this.settleWithoutMarks(running);
    }
  }

  /**
   * Settles a command whose end the shell reported but whose end mark never came through the terminal once its
   * output stays quiet: with what it printed after its start mark (nothing, without one), `uncertain`.
   * Security: an attack review kept commands running for ccmux forever by suspending the terminal's output
   * (tcflow TCOOFF) or making it uppercase (OLCUC) behind the shell's back; the report pipe, which no program
   * reaches, is what ends a command.
   */
  private async settleWithoutMarks(running: Running): Promise<void> {
    await this.pane.quiet(MARK_GRACE_MS);
    if (this.running !== running || running.output !== undefined) return;
    running.marksLost = true;
    running.phase = "seen";
    const start = running.startMark;
    running.output = start
      ? (async () => (await this.pane.textFrom(await start)).text)()
      : Promise.resolve("");
    await this.settleWhenKnown(running);
  }

  /** Settles the command once both its report and the end of its output are known. */
  private async settleWhenKnown(running: Running): Promise<void> {
    if (running.report === undefined || running.output === undefined) return;
    const { report } = running;
    const front = this.pane.foregroundGroup();
    const output = await running.output;
    if (this.running === running) this.running = undefined;
    this.pane.releaseSince(await running.startMark);
    running.settle({
      status: report.status,
      output,
      cwd: report.cwd,
      uncertain: front !== this.group || running.marksLost === true || running.resized === true,
      stopped: report.stopped,
    });
  }
}

/** Whether process group `group` has a process (signal 0 reaches it, or it exists under another uid). */
function groupLives(group: number): boolean {
  if (group <= 0) return false;
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
