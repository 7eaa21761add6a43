import { closeSync, writeSync } from "node:fs";
import { addon, PANE_LAUNCHER } from "../native/addon.js";
import { PANE_TERM } from "../shared/pane-words.js";
import type { PaneProcesses } from "./pane-processes.js";
import { readStat, trySignal } from "./process-session.js";
import { type ProcessExit, type PtyHandlers, PtyProcess } from "./pty-process.js";
import type { ExitStatusPipe } from "./sandbox/exit-status.js";
import { encodeLaunchRequest } from "./sandbox/launch-request.js";
import type { UserSwitch } from "./user-switch.js";

/** A request bigger than a pipe holds could block this thread until the launcher reads it: such a spawn starts afresh. */
const MAX_REQUEST_BYTES = 60 * 1024;
/** After a spare failed to start, the next waits this long, doubling up to MAX_RETRY_MS (bwrap broken, say). */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
/**
 * Making a spare starts bwrap's setup (namespaces, mounts: tens of ms of CPU) beside the program just started, and
 * held this thread 8-16 ms for node-pty's fork before spares were started with posix_spawn: made 10 ms after a take
 * (until issue 16's second pass) it landed in the middle of the new pane's start and the wait for its first output
 * (spawn to first output 32 ms median against 18 ms made later). So a take's replacement waits for the pane's first
 * output and the waits on it to answer (`refill`, from SpareRefills), and this long at most. (Holding every spare back
 * while any such pane started starved bursts: the third of five spawns in a row found none.)
 */
const REFILL_LATEST_MS = 250;
/** Once the pane a take served printed and the waits on it answered (SpareRefills), its replacement waits this long. */
const REFILL_AFTER_OUTPUT_MS = 2;
/** Between two spares made in a row (below capacity after a burst of spawns), this thread's turn for other work. */
const BUILD_GAP_MS = 25;
/** The terminal a spare starts on; a spawn of another size resizes it before its program starts. */
const SPARE_SIZE = { cols: 80, rows: 24 };

/** One spare's start: what its pty process runs and inherits, and the server's end of its request pipe. */
export interface SpareStart {
  argv: string[];
  passFds: number[];
  /** The server's end of the pipe the launcher reads the program from (close-on-exec, blocking). */
  requestFd: number;
  /** Where a sandboxed spare's launcher reports the program's end (see exit-status.ts); none unsandboxed. */
  exitStatus: ExitStatusPipe | undefined;
  /** Closes the server's copies of the passed descriptors: call once the pty process has started or failed to. */
  release(): void;
  /**
   * At a spawn: what a launch built now would warn of, when the spare (its pty process `pid`) still gives the
   * same as one built now; undefined when it does not (it is then ended, and the spawn builds its own).
   */
  fits(pid: number): { warnings: readonly string[] } | undefined;
  /** Releases what `fits` reads (a sandboxed spare's plan watch): once the spare is taken or ended. */
  dispose(): void;
}

/** How one kind of spare is made: PaneSandbox.spare (sandboxed), plainSpare (unsandboxed). */
export interface SpareRecipe {
  /** Whether a spare can be built now (the sandbox works). */
  available(): boolean;
  /** Starts making one; throws when it cannot. */
  start(): SpareStart;
}

/** An unsandboxed pane's spare: the launcher's `exec`, which becomes the program it is sent. */
export function plainSpare(): SpareRecipe {
  return {
    available: () => true,
    start: () => {
      const [requestRead, requestWrite] = addon.makePipe(false);
      return {
        argv: [PANE_LAUNCHER, "exec", String(requestRead)],
        passFds: [requestRead],
        requestFd: requestWrite,
        exitStatus: undefined,
        release: () => closeSync(requestRead),
        fits: () => ({ warnings: [] }),
        dispose: () => {},
      };
    },
  };
}

/**
 * What a spare's terminal may print before a pane takes it (a launcher or bwrap error is a line): past it the
 * spare is not used. Security: under a non-root server an unsandboxed pane (same uid) can open the spare's
 * terminal and write into it without end; nothing reads a spare's output but this buffer.
 */
const MAX_SPARE_OUTPUT_BYTES = 64 * 1024;

/** What a spare's process says before a pane takes it: kept, and handed over when it does. */
class Relay implements PtyHandlers {
  private chunks: Uint8Array[] = [];
  private held = 0;
  private exit: ProcessExit | undefined;
  private target: PtyHandlers | undefined;

  /** `onEnd`: the process ended before a pane took it (on its own, or ended by the server). */
  constructor(private readonly onEnd: () => void) {}

  onData(chunk: Uint8Array): void {
    if (this.target) {
      this.target.onData(chunk);
      return;
    }
    this.held += chunk.byteLength;
    if (this.held <= MAX_SPARE_OUTPUT_BYTES) this.chunks.push(chunk);
    else this.chunks = [];
  }

  /** It printed more than a spare can (MAX_SPARE_OUTPUT_BYTES) and will serve no pane. */
  get spoiled(): boolean {
    return this.held > MAX_SPARE_OUTPUT_BYTES;
  }

  onExit(exit: ProcessExit): void {
    if (this.target) {
      this.target.onExit(exit);
      return;
    }
    this.exit = exit;
    this.onEnd();
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  bind(target: PtyHandlers): void {
    this.target = target;
    for (const chunk of this.chunks.splice(0)) target.onData(chunk);
    if (this.exit) target.onExit(this.exit);
  }
}

interface Spare {
  start: SpareStart;
  process: PtyProcess;
  relay: Relay;
  /** The server's end of the request pipe is still open (closed once the program is sent, or the spare ends). */
  requestOpen: boolean;
  /** Its first process's start time (see ProcessEntry.start): with the pid, it names that process. */
  rootStart: string | undefined;
}

/** A spare a spawn took: its program is sent. */
export interface SpareTaken {
  /** What the launch warns of (the sandbox's plan, made at the spawn). */
  warnings: readonly string[];
  /** A sandboxed spare's exit status pipe, which the pane now owns. */
  exitStatus: ExitStatusPipe | undefined;
  /** Hands the running process to the pane, with what it printed so far and its exit. */
  adopt(handlers: PtyHandlers): PtyProcess;
  /** Ends it when no pane could be made. */
  abandon(): void;
}

/** A spawn a spare can serve: what the pane runs (as checked, the pane user's environment) and its terminal. */
export interface SpareSpawn {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  cols: number;
  rows: number;
}

/**
 * Up to `capacity` pane processes started ahead of the next spawns of their kind (issue 16), each a fresh pty and,
 * on it, the pane launcher waiting for the program on a pipe only this process writes (native/pane-launcher.c) —
 * for a sandboxed spawn inside bwrap's namespaces, mounts and seccomp program, already built (`await`); for an
 * unsandboxed one on the host, to become the program (`exec`). A spawn then sends the checked argv, environment,
 * directory and (under a root server) the pane user, instead of a fork of this process, and for the sandbox bwrap's
 * setup. Spares are started with posix_spawn (pty-fork.ts); a take's replacement once the new pane has printed.
 *
 * Security: a spare runs nothing of a pane's until a spawn, checked and audited, sends it a program; the launcher
 * is not dumpable meanwhile (a process of the same user cannot ptrace it or open its pipe), and nothing else has
 * its pty. A sandboxed spare is used only while it still fits (SpareStart.fits: nothing its plan read has changed,
 * or the mount plan made again at the spawn is the same, each mounted path the same file); otherwise it is ended. It
 * counts against no pane and is never taken for an orphan (PaneProcesses.reserve), and it dies with this process
 * (bwrap --die-with-parent; the pty's hangup). Cost per spare: one pty and, sandboxed, bwrap's processes and
 * namespaces, for as long as the server runs.
 */
export class SpareLauncher {
  /** The spares ready, oldest first. */
  private readonly spares: Spare[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (performance.now() ms). */
  private due = 0;
  /** `timer` is a failed build's backoff: nothing brings it sooner. */
  private backingOff = false;
  private retryMs = FIRST_RETRY_MS;
  private disposed = false;

  /** `capacity`: how many spares are kept, so that spawns in a row each find one. */
  constructor(
    private readonly recipe: SpareRecipe,
    private readonly processes: PaneProcesses,
    private readonly userSwitch: UserSwitch | undefined,
    private readonly capacity = 1,
  ) {}

  /**
   * Makes a spare `delayMs` from now, unless there are `capacity`, or one is coming by then, or a failed build's
   * backoff holds the next one.
   */
  fill(delayMs: number): void {
    if (this.disposed || this.spares.length >= this.capacity) return;
    const due = performance.now() + delayMs;
    if (this.timer !== undefined && (this.backingOff || this.due <= due)) return;
    this.schedule(delayMs, false);
  }

  /**
   * The pane a spawn started (from a spare or afresh) has printed, and the waits on it have answered: a spare that
   * spawn took, or found missing, is made REFILL_AFTER_OUTPUT_MS from now instead of at its latest (see
   * REFILL_LATEST_MS). Nothing when there are `capacity`.
   */
  refill(): void {
    this.fill(REFILL_AFTER_OUTPUT_MS);
  }

  /**
   * The oldest spare that still fits, sent `spawn`; undefined when there is none (the caller launches afresh).
   * Spares that no longer fit are ended. Either way the next one is made once the new pane has printed (`refill`),
   * REFILL_LATEST_MS from now at the latest.
   */
  take(spawn: SpareSpawn): SpareTaken | undefined {
    let spare: Spare | undefined;
    let fit: { warnings: readonly string[] } | undefined;
    while (fit === undefined) {
      spare = this.spares[0];
      if (spare === undefined) {
        this.fill(REFILL_LATEST_MS);
        return undefined;
      }
      if (!spare.relay.exited && !spare.relay.spoiled) fit = spare.start.fits(spare.process.pid);
      if (fit === undefined) this.discard(spare);
    }
    if (spare === undefined) return undefined;
    let request: Buffer;
    try {
      request = encodeLaunchRequest({
        cwd: spawn.cwd,
        argv: spawn.argv,
        // As node-pty gives a program it starts: PWD its directory, TERM the pane's.
        env: { ...spawn.env, PWD: spawn.cwd, TERM: PANE_TERM },
        ...(this.userSwitch
          ? { user: { uid: this.userSwitch.user.uid, gid: this.userSwitch.user.gid } }
          : {}),
      });
    } catch {
      return undefined;
    }
    if (request.length > MAX_REQUEST_BYTES) return undefined;
    this.spares.splice(this.spares.indexOf(spare), 1);
    spare.start.dispose();
    this.fill(REFILL_LATEST_MS);
    if (spawn.cols !== SPARE_SIZE.cols || spawn.rows !== SPARE_SIZE.rows)
      spare.process.resize(spawn.cols, spawn.rows);
    try {
      writeSync(spare.start.requestFd, request);
    } catch {
      // Its launcher is gone (EPIPE): the spawn starts afresh.
      this.end(spare);
      return undefined;
    } finally {
      this.closeRequest(spare);
    }
    return {
      warnings: fit.warnings,
      exitStatus: spare.start.exitStatus,
      adopt: (handlers) => {
        spare.relay.bind(handlers);
        return spare.process;
      },
      abandon: () => this.end(spare),
    };
  }

  /** Ends the spares, and makes no more. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const spare of [...this.spares]) this.discard(spare);
  }

  private build(): void {
    if (this.disposed || this.spares.length >= this.capacity || !this.recipe.available()) return;
    let start: SpareStart;
    try {
      start = this.recipe.start();
    } catch {
      this.retry();
      return;
    }
    let spare: Spare | undefined;
    const relay = new Relay(() => {
      if (spare === undefined) return;
      this.processes.rootReaped(spare.process.pid);
      // Ended on its own before a spawn took it (bwrap could not build it): release it, and try again later.
      if (!this.spares.includes(spare)) return;
      this.discard(spare);
      this.retry();
    });
    let process: PtyProcess;
    try {
      // Its own environment is no one's: the program's comes with the request.
      process = new PtyProcess(
        {
          argv: start.argv,
          cwd: "/",
          env: {},
          ...SPARE_SIZE,
          term: PANE_TERM,
          passFds: start.passFds,
          spawnWith: "posix_spawn",
        },
        relay,
      );
    } catch {
      closeSync(start.requestFd);
      start.exitStatus?.close();
      start.dispose();
      this.retry();
      return;
    } finally {
      start.release();
    }
    this.processes.reserve(process.pid);
    spare = { start, process, relay, requestOpen: true, rootStart: readStat(process.pid)?.start };
    this.spares.push(spare);
    this.retryMs = FIRST_RETRY_MS;
    this.fill(BUILD_GAP_MS);
  }

  private retry(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.schedule(delay, true);
  }

  /** Makes a spare `delayMs` from now, instead of when the timer set before said. */
  private schedule(delayMs: number, backoff: boolean): void {
    clearTimeout(this.timer);
    this.due = performance.now() + delayMs;
    this.backingOff = backoff;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.backingOff = false;
      this.build();
    }, delayMs);
    this.timer.unref();
  }

  /** Ends a spare that is kept (no longer fitting, gone, or at dispose). */
  private discard(spare: Spare): void {
    const at = this.spares.indexOf(spare);
    if (at !== -1) this.spares.splice(at, 1);
    this.end(spare);
  }

  /**
   * Ends a spare's processes (SIGKILL: a sandboxed launcher blocks the rest), its whole process group while its first
   * process is not reaped (its pid still names the group), and releases what the server holds.
   */
  private end(spare: Spare): void {
    // Security: bubblewrap's inner process (pid 1 of the sandbox) waits on an eventfd for the outer one's go-ahead
    // while the sandbox is built, with no parent-death signal set yet: a spare ended then (a server exiting right
    // after making one, on CI) left it waiting forever, a process outside every pane. It is in the spare's group.
    // Security: only while its first process is unreaped. Once reaped, its pid may be anyone's (pid_max is 32768 on
    // CI machines, and a suite wraps it): a SIGKILL then, from a server running as root, hit an unrelated process.
    // node-pty reaps at once and reports the exit later (see PaneProcesses.signalRootGroup): the start time tells.
    const own = spare.rootStart !== undefined && readStat(spare.process.pid)?.start === spare.rootStart;
    if (!spare.relay.exited && own) {
      trySignal(-spare.process.pid, "SIGKILL");
      trySignal(spare.process.pid, "SIGKILL");
    }
    spare.process.dispose();
    spare.start.dispose();
    spare.start.exitStatus?.close();
    this.closeRequest(spare);
  }

  private closeRequest(spare: Spare): void {
    if (!spare.requestOpen) return;
    spare.requestOpen = false;
    closeSync(spare.start.requestFd);
  }
}
