import type { Keystroke } from "../shared/keystroke.js";
import type { InputMode, PaneOwner, SandboxStatus } from "../shared/pane-words.js";
import type { ShellStep } from "../shared/shell-step.js";
import type { ShellDialect } from "../shared/shell-variables.js";
import type { HistoryMark } from "./pane-screen.js";
import type { ProcessExit } from "./pty-process.js";
import type { RegexMatcher } from "./regex-matcher.js";
import type { PaneFrame } from "./screen-frame.js";
import type { FrameListener, FrameWatch, ScreenState } from "./screen-port.js";
import type { TextQuery } from "./text-query.js";

/**
 * Where panes live, as the tools see it: an interface over pane ids, plain data in and out. The embedded host
 * (src/panes/embedded) keeps panes in this process; `ccmux serve` uses it directly and the ccmux daemon
 * (src/daemon) shares one across its connections. No live pane object crosses this seam.
 */
export interface PaneHost {
  /** Whether sandboxed panes can be started now (never, when this host has no sandbox). */
  sandboxStatus(): SandboxStatus;
  /** Throws LIMIT_EXCEEDED when maxPanes are alive, INTERNAL while shutting down (checked before a spawn is allowed). */
  assertCanSpawn(): void;
  /**
   * Starts a pane, inside the sandbox when `spec.sandboxed`. Throws LIMIT_EXCEEDED when maxPanes are alive,
   * SANDBOX_UNAVAILABLE when the sandbox cannot be built, SPAWN_FAILED when the pty or the session directory
   * cannot be made; nothing is left behind when it throws.
   */
  spawn(spec: PaneSpawnSpec): Promise<SpawnedPane>;
  /** Every pane the host holds, in start order (authorization is the caller's: see validation/pane-target). */
  list(): Promise<PaneInfo[]>;
  /** One pane, or undefined when there is no such pane (killed, evicted, never was). */
  info(id: string): Promise<PaneInfo | undefined>;
  /** The cursor and keyboard mode (DECCKM), without rendering the screen. Throws PANE_NOT_FOUND. */
  keyboard(id: string): Promise<ScreenState>;
  /**
   * Types keystrokes as a terminal sends keys; resolves once all are written. Throws PANE_NOT_FOUND, and PANE_BUSY
   * when a person takes write before the last keystroke (none after that moment is written). `shellCommand`: the
   * keys are for the program a validated shell runs in front; typing stops (INPUT_NOT_ALLOWED) the moment the
   * shell holds the terminal again.
   */
  write(id: string, strokes: readonly Keystroke[], options?: { shellCommand?: boolean }): Promise<void>;
  /**
   * A mark for text printed from now on (wait_for `since: "now"`). The request reaches the screen before any
   * output read after this call returns (not resolves), so it may be taken before typing and awaited later.
   * Undefined when the pane is gone.
   */
  markSince(id: string): Promise<HistoryMark | undefined>;
  /** Ends a since-mark that no wait will use (the call failed after taking it). Nothing when the pane is gone. */
  releaseSince(id: string, mark: HistoryMark | undefined): void;
  /**
   * Reads a pane: the visible screen and cursor, and `text` in `mode`. `new` reads advance `reader`'s cursor on
   * this pane (readers are agent sessions: a reconnecting session keeps its place). Throws PANE_NOT_FOUND.
   */
  read(id: string, mode: ReadMode, reader: string): Promise<PaneRead>;
  /**
   * The visible screen as styled runs (what `ccmux attach` draws; text sanitized as read_pane's). Answers after
   * every chunk parsed before the call. Throws PANE_NOT_FOUND.
   */
  frame(id: string): Promise<PaneFrame>;
  /**
   * The pane's screen for a person watching it, pushed: `listener` gets one update per FrameWatch.want(),
   * right after the output that changed the screen was parsed (the whole frame first, then the rows that
   * changed; assembled they equal frame()). See ScreenPort.watchFrames. Close the watch when done; a pane that
   * is killed sends nothing more. Throws PANE_NOT_FOUND.
   */
  watchFrames(id: string, listener: FrameListener): FrameWatch;
  /**
   * Runs one checked step in a validated shell (validation/shell-line.ts decided it) and waits for its end, up to
   * `timeoutMs` (then it goes on, or starts once the shell is ready; shellWait picks it up). `display` is the line
   * as the agent wrote it. Throws PANE_NOT_FOUND, INVALID_ARGUMENT (not a validated shell), PANE_BUSY (a command
   * still runs, waits to start, or holds the terminal), PANE_EXITED, CANCELLED (`signal` aborted before the shell
   * was ready: nothing was typed).
   */
  shellRun(
    id: string,
    step: ShellStep,
    display: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<ShellRunAnswer>;
  /** Waits for the command a validated shell is running; INVALID_ARGUMENT when it runs none. */
  shellWait(id: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<ShellRunAnswer>;
  /** Waits for output, exit, or time (see WaitOptions), then answers with the screen. Throws PANE_NOT_FOUND. */
  wait(id: string, options: PaneWaitOptions): Promise<PaneWaitResult>;
  /**
   * Ends a pane (signal once to the terminal's foreground process group, SIGKILL to everything it started
   * after the grace) and forgets it. Resolves with how it ended; undefined when there was no such pane.
   */
  kill(id: string, signal?: NodeJS.Signals): Promise<PaneInfo | undefined>;
  /** Resizes the terminal (and the emulator with it); the program gets SIGWINCH. Throws PANE_NOT_FOUND. */
  resize(id: string, cols: number, rows: number): Promise<void>;
  /**
   * Calls `listener` whenever the pane's screen may have changed (output parsed, a resize), and with `gone` once
   * when the pane is killed or evicted (its last call). Returns the unsubscribe. Throws PANE_NOT_FOUND.
   */
  watch(id: string, listener: (change: PaneChange) => void): () => void;
  /**
   * Types a person's text into the pane as it is (`ccmux attach --write`): the policy's input modes bind the
   * agent, not the person, whose rights ccmux runs with. Throws PANE_NOT_FOUND; a no-op once the pane exited.
   */
  typePersonText(id: string, text: string): void;
  /** Starts counting a person who watches the pane (read-only). Throws PANE_NOT_FOUND. */
  addViewer(id: string, viewer: { pid: number; uid: number }): PaneViewer;
  /**
   * Gives a viewer write (the agent's send_keys then answers PANE_BUSY), or takes it back. Returns false, and
   * changes nothing, when another viewer holds write. Throws PANE_NOT_FOUND.
   */
  setViewerWrite(id: string, viewerId: string, write: boolean): boolean;
  /** Stops counting a viewer (and releases its write); a no-op for a pane or viewer that is gone. */
  removeViewer(id: string, viewerId: string): void;
  /** Who watches the pane now (empty for a pane that is gone). */
  viewers(id: string): PaneViewer[];
  /** Subscribes to an event; the returned function unsubscribes. */
  on<E extends keyof PaneHostEvents>(event: E, listener: (...args: PaneHostEvents[E]) => void): () => void;
  /** Kills every pane (SIGHUP, then the shutdown grace, then SIGKILL) and refuses new ones. */
  shutdown(): Promise<void>;
}

/** A pane as data: what it runs, whose it is, and how it is doing. */
export interface PaneInfo {
  id: string;
  name: string;
  /** The argv executed: absolute executable first. */
  argv: readonly string[];
  cwd: string;
  pid: number;
  owner: PaneOwner;
  /** What send_keys may deliver. */
  input: InputMode;
  /** True when the process runs inside the bubblewrap sandbox. */
  sandboxed: boolean;
  /** The pane's private directory, when it has one. */
  sessionDir?: string;
  alive: boolean;
  /** How the process ended; null while it runs. */
  exit: ProcessExit | null;
  /**
   * Set for a pane read back from its journal when the daemon started again (issue 15): it is exited, its
   * history readable; `exit` is how it ended, or both fields null when it still ran as the daemon stopped.
   */
  reason?: "daemon restarted";
  /** Set once the pane's screen was lost to an emulator fault: one line for read results. */
  screenLost?: string;
  /**
   * Set when the last read was answered before the pane's backlog of output was parsed (it prints faster than
   * its screen can be drawn): how many bytes of output the screen shown is behind.
   */
  screenBehindBytes?: number;
  /** People watching the pane through `ccmux attach`. */
  viewers: number;
  /** A person holds write (`ccmux attach --write`): the agent's send_keys answers PANE_BUSY meanwhile. */
  personTyping: boolean;
  /** A validated shell's state (policy `input: "validated"`): see ShellState. */
  shell?: ShellState;
}

/** Where a validated shell stands, as the shell itself reported it and the terminal shows it. */
export interface ShellState {
  /** Which shell it is: what its own variables are (shared/shell-variables.ts). */
  dialect: ShellDialect;
  /** The shell's directory (`pwd -P`) after its last command; what relative paths of the next one resolve against. */
  cwd: string;
  /** A command `run` started has not reported its end yet. */
  busy: boolean;
  /** What send_keys may deliver now: the running program's own mode while it holds the terminal, else `prompt`. */
  keys: InputMode | "prompt";
}

/** How a validated shell's command went (PaneHost.shellRun / shellWait). */
export interface ShellRunAnswer {
  /** `finished`: the shell reported the command's end; `timeout`/`aborted`: it still runs (or waits to start). */
  outcome: "finished" | "timeout" | "aborted";
  /**
   * For `aborted` from shellRun: whether the command had been typed (it runs on; run {pane} picks it up) or was
   * withdrawn while the shell was starting (nothing was typed, nothing runs).
   */
  typed?: boolean;
  /** The shell's report, once finished: `$?`, the output between the command's marks, the directory after it. */
  result?: { status: number; output: string; cwd: string; uncertain: boolean; stopped: boolean };
  /** When not finished: what the command printed so far. */
  partialOutput?: string;
  pane: PaneInfo;
}

/** A person watching a pane through `ccmux attach` (seed §6.1). */
export interface PaneViewer {
  /** Given by the host, unique within the pane. */
  id: string;
  /** The attaching process, as the daemon socket's peer credentials name it. */
  pid: number;
  uid: number;
  /** Holds write: the person's keystrokes go to the pane. At most one viewer per pane holds it. */
  write: boolean;
  /** When the viewer attached (ISO 8601). */
  since: string;
}

/** Why a pane watcher is called: its screen may have changed, or the pane is gone (the last call). */
export type PaneChange = "screen" | "exit" | "gone";

/** What a pane is started with. */
export interface PaneSpawnSpec {
  name: string;
  /** argv[0] is the absolute executable; exec'd directly, no shell. */
  argv: readonly string[];
  cwd: string;
  /** The complete environment; nothing is inherited. */
  env: Record<string, string>;
  cols: number;
  rows: number;
  /** Lines of history kept. */
  scrollback: number;
  owner: PaneOwner;
  input: InputMode;
  /** For `input: "validated"`: which shell argv[0] is (validation decided it from the rule). */
  shell?: ShellDialect;
  sandboxed: boolean;
  /**
   * A private directory for the pane (0700, fresh, see session-dir.ts), named to the program in `env`'s
   * variable `envName`; removed with the pane unless `keep`.
   */
  sessionDir?: { envName: string; keep: boolean };
}

/** A started pane, and what the sandbox could not protect for it (pane-safe sentences, possibly empty). */
export interface SpawnedPane {
  pane: PaneInfo;
  warnings: string[];
}

export type ReadMode = "screen" | "scrollback" | "new";

export interface PaneRead {
  /** The visible screen (unsanitized). */
  screen: string;
  cursor: ScreenState["cursor"];
  /** `screen`: the screen; `scrollback`: history and screen; `new`: lines since the reader's last `new` read. */
  text: string;
  /** `new`: unread lines were dropped from history before this read. */
  lost: boolean;
  pane: PaneInfo;
}

/** A wait on one pane (see embedded/wait-for-output.ts for how it runs). */
export interface PaneWaitOptions {
  /** End as soon as this appears (matched against sanitized text). */
  query?: TextQuery;
  /** The compiled regex for a `regex` query (compiled by the caller, so a bad one is refused before it acts). */
  matcher?: RegexMatcher;
  /** End when the process exits. */
  exit?: boolean;
  /** Only text printed after the wait began counts (a since-mark is taken now)... */
  since?: boolean;
  /** ...or after this since-mark, taken earlier with markSince (send_keys, before typing). */
  sinceMark?: Promise<HistoryMark | undefined>;
  /** Return the match with its lines (PaneWaitResult.excerpt). */
  excerpt?: boolean;
  timeoutMs: number;
  /**
   * The screen for the answer may take until this time (epoch ms); after it, the last screen text known is used
   * (a screen thread busy with other panes' output must not stretch the answer).
   */
  screenBy: number;
  signal?: AbortSignal;
  /** Called about every second while waiting, with the milliseconds waited. */
  onProgress?: (elapsedMs: number) => void;
}

export type WaitOutcome = "matched" | "exited" | "timeout" | "aborted";

export interface PaneWaitResult {
  outcome: WaitOutcome;
  /** With `excerpt` and a match: the match and the lines around it, sanitized. */
  excerpt?: string;
  /** The screen when the wait ended (unsanitized), when there is no excerpt and the wait was not aborted. */
  screen?: string;
  pane: PaneInfo;
}

/** Events a host reports, for the audit log. */
export interface PaneHostEvents {
  exit: [pane: PaneInfo, exit: ProcessExit];
  evict: [pane: PaneInfo];
  /** A pane went past maxProcesses and was killed. */
  limit: [pane: PaneInfo, processes: number, limit: number];
  /**
   * Detached processes no pane could be named for went past maxProcesses and were killed; `panes` are the
   * unsandboxed panes that could have started them.
   */
  "orphan-limit": [processes: number, limit: number, panes: readonly PaneInfo[]];
}
