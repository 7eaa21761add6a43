import { EventEmitter } from "node:events";
import type { Keystroke } from "../../shared/keystroke.js";
import { PANE_TERM, type PaneOwner } from "../../shared/pane-words.js";
import { KeystrokeWriter } from "../keystroke-writer.js";
import { OutputFeed } from "../output-feed.js";
import type { PaneSpawnSpec } from "../pane-host.js";
import { PaneProcesses } from "../pane-processes.js";
import type { HistoryMark, RenderedFrom, SearchResult } from "../pane-screen.js";
import { signalGroupsThenPids, trySignal } from "../process-session.js";
import { type PaneProcess, type ProcessExit, type PtyHandlers, PtyProcess } from "../pty-process.js";
import type { PaneFrame } from "../screen-frame.js";
import type {
  FrameListener,
  FrameWatch,
  ScreenFactory,
  ScreenPort,
  ScreenSnapshot,
  ScreenState,
} from "../screen-port.js";
import type { SessionDir } from "../session-dir.js";
import type { ValidatedShell } from "../shell/validated-shell.js";
import { isSafeReply } from "../terminal-replies.js";
import type { TextQuery } from "../text-query.js";
import { NewReads } from "./new-reads.js";

export type { PaneOwner } from "../../shared/pane-words.js";

/** What a Pane is made from: the spawn spec (PaneSpawnSpec), its id, and its session directory once made. */
export interface PaneSpec extends Omit<PaneSpawnSpec, "sandboxed" | "sessionDir"> {
  id: string;
  /** The pane's private directory, removed with the pane unless `keep`. */
  sessionDir?: { dir: SessionDir; keep: boolean };
  /** A pane read back from its journal after the daemon restarted (issue 15): no process is started. */
  restored?: RestoredPane;
}

/** What a pane read back from its journal is made of (pane-snapshot.ts). */
export interface RestoredPane {
  /** Its history and screen as read_pane `scrollback` gave them, replayed into a fresh emulator. */
  text: string;
  /** How its process ended; both null when it still ran as the daemon died. */
  exit: ProcessExit;
  /** Its process id then (shown, never signalled). */
  pid: number;
  /** Per reader (session), how many lines it had not read with `new` yet. */
  unread: Record<string, number>;
  /** Whether its process ran in the sandbox. */
  sandboxed: boolean;
}

/** How the process is actually started when that differs from `argv` (the sandbox wraps it). */
export interface PaneLaunch {
  argv: readonly string[];
  passFds: readonly number[];
  sandboxed: boolean;
  /**
   * Where the program's own end is learnt when the process started is a wrapper (the sandbox reports 128+N for
   * signal N): `resolve` maps the wrapper's exit to the program's; `close` releases it (idempotent).
   */
  exitStatus?: { resolve(exit: ProcessExit): ProcessExit; close(): void };
  /** A process already started for the pane (a spare given its program, SpareLauncher): taken instead of `argv`. */
  adopt?(handlers: PtyHandlers): PtyProcess;
}

/** What a `new` read of a disposed pane returns. */
const NOTHING_RENDERED: RenderedFrom = { text: "", lost: false, nextTop: undefined, cursor: undefined };

/** Grace between the first signal and SIGKILL when a pane is killed (the README's "SIGKILL after 2 s"). */
export const KILL_GRACE_MS = 2000;
/** During the grace, how often kill looks whether what is in front now ignores the signal (then hangs up). */
const HANGUP_CHECK_MS = 50;
/** At most this many SIGKILL sweeps of processes left behind by the pane's first one, 10 ms apart. */
const SWEEP_ROUNDS = 100;

/**
 * One pane: a process on a pty, its output rendered by an emulator, and its life cycle. Events:
 * `output` after the emulator parsed a chunk, `resized` once the screen has a new size, `exit` once the process
 * is gone and all its output rendered, `disposed` when the pane is released.
 */
export class Pane extends EventEmitter {
  readonly id: string;
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly owner: PaneOwner;
  readonly input: PaneSpec["input"];
  readonly pid: number;
  readonly sessionDir: string | undefined;
  /** True when the process runs inside the bubblewrap sandbox. */
  readonly sandboxed: boolean;
  private readonly removeSessionDir: (() => void) | undefined;
  private readonly exitStatus: PaneLaunch["exitStatus"];
  private readonly screen: ScreenPort;
  private readonly process: PaneProcess;
  /** True for a pane read back from its journal: it never had a process in this daemon. */
  readonly restored: boolean;
  private readonly feed: OutputFeed;
  private readonly keystrokes: KeystrokeWriter;
  /** Each `new` reader's place and read in progress. */
  private readonly newReads: NewReads;
  /** The screen text of the last snapshot (unsanitized), for answers that cannot wait for the screen thread. */
  private lastText = "";
  /** The terminal's size, as last set. */
  private size: { cols: number; rows: number };
  private exitInfo: ProcessExit | null = null;
  private disposed = false;
  /**
   * Who reads the pty: "screen" while the screen's thread does (readOnScreenThread), "here" for good once a
   * person watches (their echoes are drawn from what this thread reads, EchoView) or the screen thread gave up.
   */
  private reader: "screen" | "here" | undefined;
  private readonly exitPromise: Promise<ProcessExit>;

  /**
   * @param processes who tracks which processes are this pane's (the host shares one across its panes); the
   *   pane registers its root there and removes itself when disposed.
   */
  constructor(
    spec: PaneSpec,
    screens: ScreenFactory,
    launch?: PaneLaunch,
    private readonly processes: PaneProcesses = new PaneProcesses(),
    /** The validated shell this pane runs (policy `input: "validated"`), which sees its output first. */
    readonly shell?: ValidatedShell,
  ) {
    super();
    this.setMaxListeners(0);
    this.id = spec.id;
    this.name = spec.name;
    this.argv = spec.argv;
    this.cwd = spec.cwd;
    this.owner = spec.owner;
    this.input = spec.input;
    this.sessionDir = spec.sessionDir?.dir.path;
    this.sandboxed = spec.restored?.sandboxed ?? launch?.sandboxed ?? false;
    this.exitStatus = launch?.exitStatus;
    this.removeSessionDir =
      spec.sessionDir && !spec.sessionDir.keep ? () => spec.sessionDir?.dir.remove() : undefined;
    this.size = { cols: spec.cols, rows: spec.rows };
    const screen = screens.create({ cols: spec.cols, rows: spec.rows, scrollback: spec.scrollback });
    this.screen = screen;
    // A read queued behind another when the pane went away gets nothing, not a disposed screen's answer.
    this.newReads = new NewReads((mark, overlapRows, withCursorTail) =>
      this.disposed
        ? Promise.resolve(NOTHING_RENDERED)
        : screen.renderFrom(mark, overlapRows, withCursorTail),
    );
    let settleExit: (exit: ProcessExit) => void = () => {};
    this.exitPromise = new Promise((resolve) => {
      settleExit = resolve;
    });
    this.restored = spec.restored !== undefined;
    if (spec.restored) {
      // Security: a restored pane has no process: its old pid may name someone else's now, so it is never
      // signalled (it is exited from the start, and not registered with `processes`).
      this.process = inertProcess(spec.restored.pid);
      this.pid = spec.restored.pid;
      this.exitInfo = spec.restored.exit;
      this.newReads.restore(spec.restored.unread);
      const exit = spec.restored.exit;
      this.feed = new OutputFeed(this.screen, this.process, () => {});
      this.feed.push(Buffer.from(spec.restored.text.replaceAll("\n", "\r\n"), "utf8"));
      void this.feed.idle().then(() => settleExit(exit));
      this.keystrokes = new KeystrokeWriter({
        write: () => false,
        inputPending: () => false,
        isOpen: () => false,
      });
      return;
    }
    // The feed needs the process for flow control and the process needs the feed for data: bind late.
    let feed: OutputFeed | undefined;
    this.process = this.startProcess(spec, launch, screen, {
      onData: (chunk) => {
        if (shell)
          shell.scan(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), (part) =>
            feed?.push(part),
          );
        else feed?.push(chunk);
      },
      onExit: (outer) => {
        processes.rootReaped(this.pid);
        const exit = this.exitStatus?.resolve(outer) ?? outer;
        void this.finishExit(exit).then(() => settleExit(exit));
      },
    });
    this.pid = this.process.pid;
    processes.add(this.id, this.pid, this.sandboxed);
    feed = new OutputFeed(this.screen, this.process, () => this.emit("output"));
    this.feed = feed;
    this.keystrokes = new KeystrokeWriter({
      write: (bytes) => this.write(bytes),
      inputPending: () => this.process.inputPending(),
      isOpen: () => this.alive && !this.disposed,
    });
    if (!shell) this.readOnScreenThread();
    this.screen.onReply((reply) => {
      // Security: only device reports without pane-controlled content go back (title/colour reports would type attacker text).
      if (isSafeReply(reply) && (this.shell === undefined || this.shell.takesReplies())) this.write(reply);
    });
  }

  /**
   * Has the screen's thread read the pty when it can (ScreenPort.readPty): a flood then costs this thread
   * nothing, and its bytes are not copied from thread to thread. Not for a validated shell's pane: its output is
   * scanned here before the screen gets it.
   */
  private readOnScreenThread(): void {
    const { screen, process } = this;
    if (!screen.readPty || !(process instanceof PtyProcess) || this.reader !== undefined) return;
    const handed = process.handOff(
      (fd) =>
        screen.readPty?.(fd, {
          parsed: () => this.emit("output"),
          ended: (how) => {
            this.reader = "here";
            if (how === "end") process.endHandOff();
            else process.takeBack();
          },
        }) ?? false,
      { exited: () => screen.ptyProcessExited?.() },
    );
    this.reader = handed ? "screen" : "here";
  }

  /** Starts the process; if that fails, the screen made for it is released (nothing is left behind). */
  private startProcess(
    spec: PaneSpec,
    launch: PaneLaunch | undefined,
    screen: ScreenPort,
    handlers: ConstructorParameters<typeof PtyProcess>[1],
  ): PtyProcess {
    try {
      if (launch?.adopt) return launch.adopt(handlers);
      return new PtyProcess(
        {
          argv: launch?.argv ?? spec.argv,
          cwd: spec.cwd,
          env: spec.env,
          cols: spec.cols,
          rows: spec.rows,
          term: PANE_TERM,
          passFds: launch?.passFds ?? [],
        },
        handlers,
      );
    } catch (error) {
      screen.dispose();
      throw error;
    }
  }

  /** The terminal's size, as last set. */
  get terminalSize(): { cols: number; rows: number } {
    return { ...this.size };
  }

  /** Whether the screen's thread reads the pty now (readOnScreenThread), not this one. */
  get readsOnScreenThread(): boolean {
    return this.reader === "screen";
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  get exit(): ProcessExit | null {
    return this.exitInfo;
  }

  /** Resolves when the process has exited and all its output is rendered. */
  exited(): Promise<ProcessExit> {
    return this.exitPromise;
  }

  /**
   * Writes to the program's input; false when only part of `bytes` could be written. A validated shell's pane
   * writes synchronously and drops what the terminal does not take (PtyProcess.writeNow): its keystrokes must
   * never arrive after the flush that precedes its next command. Other panes queue in node-pty.
   */
  write(bytes: string): boolean {
    if (!this.alive || this.disposed) return false;
    if (this.shell === undefined) {
      this.process.write(bytes);
      return true;
    }
    return this.process.writeNow(bytes) === Buffer.byteLength(bytes, "utf8");
  }

  /** Resizes the terminal and its emulator (the program gets SIGWINCH); answers once the screen has the size. */
  async resize(cols: number, rows: number): Promise<void> {
    if (!this.alive || this.disposed) return;
    this.process.resize(cols, rows);
    this.shell?.resized();
    this.size = { cols, rows };
    await this.screen.resize(cols, rows);
    this.emit("resized");
  }

  /**
   * Types keystrokes as a terminal sends keys (see KeystrokeWriter); resolves with how many were written once all
   * are, or fewer when the process ended or `stop()` said so before one.
   */
  type(strokes: readonly Keystroke[], stop?: () => boolean): Promise<number> {
    return this.keystrokes.type(strokes, stop);
  }

  /** The visible screen, cursor and cursor-key mode (empty once the pane is disposed). */
  async snapshot(): Promise<ScreenSnapshot> {
    if (this.disposed) return { text: "", cursor: { row: 0, col: 0 }, applicationCursor: false };
    const snapshot = await this.screen.snapshot();
    this.lastText = snapshot.text;
    return snapshot;
  }

  /**
   * The visible screen as styled runs (PaneScreen.frame); once the pane is disposed, a blank screen of its
   * last size.
   */
  async frame(): Promise<PaneFrame> {
    if (this.disposed) {
      const { cols, rows } = this.size;
      const lines = Array.from({ length: rows }, () => []);
      return { cols, rows, lines, cursor: { row: 0, col: 0 }, cursorVisible: true, alternate: false };
    }
    return this.screen.frame();
  }

  /** The screen's frames, pushed to `listener` one per want (ScreenPort.watchFrames); none once disposed. */
  watchFrames(listener: FrameListener): FrameWatch {
    if (this.disposed) return { want: () => {}, close: () => {} };
    // A person's echoes are drawn from the pty's bytes as this thread reads them (EchoView).
    if (this.reader === "screen") this.screen.stopReadingPty?.();
    return this.screen.watchFrames(listener);
  }

  /** The screen text of the last snapshot taken (unsanitized; "" before the first). */
  get lastScreenText(): string {
    return this.lastText;
  }

  /** Set once the pane's screen was lost to an emulator fault: one line for read results (ScreenPort.lostNote). */
  get screenLostNote(): string | undefined {
    return this.screen.lostNote;
  }

  /** Bytes the last read was behind: answered before the pane's backlog was parsed (ScreenPort.behindBytes). */
  get screenBehindBytes(): number {
    return this.disposed ? 0 : this.screen.behindBytes;
  }

  /** Cursor and keyboard mode, without rendering the screen. */
  async state(): Promise<ScreenState> {
    if (this.disposed) return { cursor: { row: 0, col: 0 }, applicationCursor: false };
    return this.screen.state();
  }

  async scrollbackText(lines?: number): Promise<string> {
    return this.disposed ? "" : this.screen.scrollback(lines);
  }

  /**
   * Lines since `reader`'s previous `newText` call on this pane, starting at the line its cursor was on then
   * (the lines a pane printed are defined on PaneScreen). The first call returns everything held. `lost` says
   * lines the reader had not read were dropped from history first (more output than the scrollback holds),
   * on the first call too. While the alternate screen is shown the call returns that screen and the reader
   * keeps its place in the lines.
   */
  newText(reader: string): Promise<{ text: string; lost: boolean }> {
    if (this.disposed) return Promise.resolve({ text: "", lost: false });
    return this.newReads.read(reader);
  }

  /** Resolves once all output read so far is parsed and none came for `ms` milliseconds (or the pane is gone). */
  async quiet(ms: number): Promise<void> {
    for (;;) {
      if (this.disposed) return;
      await this.feed.idle();
      let more = false;
      const onOutput = (): void => {
        more = true;
      };
      this.on("output", onOutput);
      await new Promise((resolve) => setTimeout(resolve, ms));
      this.off("output", onOutput);
      if (!more) return;
    }
  }

  /**
   * What the pane's journal keeps (issue 15): its history and screen as `scrollback` reads them, and for each
   * reader that has read it with `new`, how many of those lines it has not read yet.
   */
  async journalText(): Promise<{ text: string; unread: Record<string, number> }> {
    const text = await this.scrollbackText();
    return { text, unread: await this.newReads.unreadCounts() };
  }

  /** A mark at the top of the visible screen (or `overlapRows` above it), for waiters that must see what scrolls away. */
  async markScreenTop(overlapRows = 0): Promise<HistoryMark | undefined> {
    return this.disposed ? undefined : this.screen.markScreenTop(overlapRows);
  }

  /**
   * Searches from a mark where the screen lives; returns the next start (taken in the same screen call), and
   * with `excerpt` the match's excerpt.
   */
  async search(
    mark: HistoryMark | undefined,
    overlapRows: number,
    query: TextQuery,
    excerpt = false,
  ): Promise<SearchResult> {
    if (this.disposed) return { matched: false, lost: false, nextTop: mark };
    return this.screen.search(mark, overlapRows, query, excerpt);
  }

  /**
   * A mark for text printed from now on (wait_for `since: "now"`; see SinceMarks). The request reaches the
   * screen before any output read after this call, so it may be awaited after typing. Undefined once disposed.
   */
  markSince(): Promise<HistoryMark | undefined> {
    return this.disposed ? Promise.resolve(undefined) : this.screen.markSince();
  }

  /** Ends a since-mark (no-op once disposed). */
  releaseSince(mark: HistoryMark | undefined): void {
    if (this.disposed || mark?.since === undefined) return;
    this.screen.releaseSince(mark.since).catch(() => {});
  }

  /** Text from a mark, and the mark `overlapRows` above the screen top for the next call (one screen call). */
  async textFrom(mark: HistoryMark | undefined, overlapRows = 0): Promise<RenderedFrom> {
    if (this.disposed) return { text: "", lost: false, nextTop: mark, cursor: mark };
    return this.screen.renderFrom(mark, overlapRows);
  }

  /**
   * Ends the pane. `signal` goes once to the process group in front on the pane's terminal, as a C-c from the
   * keyboard would: the program, or the job a shell runs in front (in the sandbox too: its own processes share
   * that group but block the signal, see native/pane-launcher.c). If the pane's process has not exited within
   * `graceMs`, SIGKILL goes to every process the pane started (see PaneProcesses: its descendants, including
   * those that left its session); `signal` SIGKILL does that at once. Resolves once the pane's process has
   * exited (or immediately if it already had) and the rest are killed.
   */
  async kill(signal: NodeJS.Signals = "SIGTERM", graceMs = KILL_GRACE_MS): Promise<void> {
    if (this.alive) {
      // Listed before anything is signalled: a first process that dies of the signal hands its children to a
      // subreaper or init, where only the list taken while they were its children (remembered) still names them.
      this.processes.membersOf(this.id);
      let gone = false;
      if (signal !== "SIGKILL") {
        const deadline = Date.now() + graceMs;
        // The program starts some milliseconds after the pty's fork (after bwrap, in the sandbox); a signal sent
        // sooner would be lost (see PaneProcesses.programStarted). Waiting for it is part of the grace.
        gone = await this.untilProgramStarted(graceMs);
        if (!gone) gone = await this.signalForegroundUntil(signal, deadline);
      }
      if (!gone) this.signalAll("SIGKILL");
      await within(this.exitPromise, 5000);
    }
    // Jobs and detached (setsid) processes outlive the first process: end them too (no orphans), round after
    // round while they keep forking (a fork bomb forks again between listing and killing).
    // Security: members are named by pid and start time, so a reused pid is never signalled; groups are signalled
    // only while they hold the pane's processes alone. A group goes first: a process that takes a new pid at every
    // step is gone from its pid before a SIGKILL by pid lands, never from its group (see PaneProcesses.scan).
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const { pids, groups } = this.processes.holdingsOf(this.id);
      // One that leaves its session at every step has no lasting group either; when every orphan is this pane's,
      // all of them go (see PaneProcesses.killAdopted).
      const adopted = this.processes.soleAdopter(this.id) ? this.processes.killAdopted() : 0;
      if (pids.length === 0 && groups.length === 0 && adopted === 0) break;
      signalGroupsThenPids(pids, groups, "SIGKILL");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Polls (10 ms) until the pane's program runs or `ms` pass; true when the pane exited meanwhile. */
  private async untilProgramStarted(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.processes.programStarted(this.id) && Date.now() < deadline) {
      if (await within(this.exitPromise, 10)) return true;
    }
    return false;
  }

  /**
   * `signal`, once, to the terminal's foreground process group (to the pane's own group when the terminal has
   * none: while its leader lives, that group id cannot be reused), then waits until `deadline` (epoch ms) for the
   * pane's process to exit; true when it did.
   *
   * When what is in front ignores `signal`, the terminal is hung up instead, as closing it would: SIGHUP to that
   * group. A shell at its prompt ignores SIGTERM, so a killed shell pane waited out the whole grace and lost its
   * history to SIGKILL (tmux's kill-pane hangs up); the same holds when a job the signal ended leaves the shell in
   * front again, so what is in front is looked at again every HANGUP_CHECK_MS of the grace. A program that
   * catches the signal (a dev server shutting down) gets it, once, and its grace, as before; one that ignores
   * SIGHUP too gets SIGKILL after the grace.
   */
  private async signalForegroundUntil(signal: NodeJS.Signals, deadline: number): Promise<boolean> {
    const front = this.processes.front(this.id, signal);
    let hungUp = signal === "SIGHUP";
    if (front !== undefined && !hungUp && front.ignores) hungUp = trySignal(-front.group, "SIGHUP");
    else if (front === undefined || !trySignal(-front.group, signal))
      this.processes.signalRootGroup(this.id, signal);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (await within(this.exitPromise, hungUp ? left : Math.min(left, HANGUP_CHECK_MS))) return true;
      if (hungUp) continue;
      const now = this.processes.front(this.id, signal);
      if (now?.ignores) hungUp = trySignal(-now.group, "SIGHUP");
    }
  }

  /** Signals every member and the pane's process group (while its leader lives, the group id cannot be reused). */
  private signalAll(signal: NodeJS.Signals): void {
    // Listed before anything is signalled: a first process that dies first hands its children to a subreaper
    // or init, where only the list taken while they were its children (remembered) still names them.
    const { pids, groups } = this.processes.holdingsOf(this.id);
    this.processes.signalRootGroup(this.id, signal);
    signalGroupsThenPids(pids, groups, signal);
  }

  /**
   * Stops rendering: output not parsed yet, and all output from now on, is dropped. For a pane about to be
   * removed, so that killing it does not wait while a backlog of costly output is parsed for nobody.
   */
  discardOutput(): void {
    if (this.disposed) return;
    this.feed.discard();
    this.screen.discardBacklog();
  }

  /** Releases the emulator and the pty. Call after `kill`. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.shell?.end("the pane was killed");
    this.emit("disposed");
    this.process.dispose();
    this.exitStatus?.close();
    this.processes.remove(this.id);
    this.removeSessionDir?.();
    this.screen.dispose();
    this.newReads.clear();
    this.removeAllListeners();
  }

  /** The terminal's foreground process group; -1 when unknown (exited). */
  foregroundGroup(): number {
    return this.alive && !this.disposed ? this.process.foregroundGroup() : -1;
  }

  /**
   * Discards keystrokes sent to the terminal that no program has read yet. Nothing can arrive after: a validated
   * shell's pane (the one caller) writes synchronously, never through node-pty's queue (see write).
   */
  flushInput(): void {
    if (this.alive && !this.disposed) this.process.flushInput();
  }

  private async finishExit(exit: ProcessExit): Promise<void> {
    await this.feed.idle();
    // Nothing scrolls an exited pane's screen again: its emulator's own scrollback (256 rows of cells) goes.
    this.screen.compact().catch(() => {});
    this.shell?.end(
      exit.signal ? `it was ended by signal ${exit.signal}` : `it exited with status ${exit.exitCode}`,
    );
    this.exitInfo = exit;
    this.emit("exit", exit);
  }
}

/** Whether `promise` settles within `ms`; the timer is cleared either way (it keeps the process alive meanwhile). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The process of a restored pane: exited before this daemon started; nothing to write to, resize or signal. */
function inertProcess(pid: number): PaneProcess {
  return {
    pid,
    resize: () => {},
    write: () => {},
    writeNow: () => 0,
    foregroundGroup: () => -1,
    flushInput: () => {},
    inputPending: () => false,
    pause: () => {},
    resume: () => {},
    dispose: () => {},
  };
}
