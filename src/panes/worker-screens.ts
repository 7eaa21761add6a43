import { type ResourceLimits, Worker } from "node:worker_threads";
import { BatchRing, copyChunks } from "./batch-ring.js";
import { EchoView } from "./echo-view.js";
import type { HistoryMark, RenderedFrom, SearchResult } from "./pane-screen.js";
import { backlogBytes } from "./parse-cost.js";
import type { PaneFrame } from "./screen-frame.js";
import { screenLostNote } from "./screen-lost.js";
import type {
  FrameListener,
  PtyReading,
  ScreenFactory,
  ScreenOptions,
  ScreenPort,
  ScreenSnapshot,
  ScreenState,
} from "./screen-port.js";
import type { FromScreenThread, ScreenCall, ToScreenThread } from "./screen-protocol.js";
import { newSinceBoundaries, takeSinceBoundary } from "./since-boundaries.js";

interface PortState {
  options: ScreenOptions;
  /** One entry per posted batch: the `done` callbacks of the chunks it carried. */
  acks: Array<Array<() => void>>;
  replies: Array<(data: string) => void>;
  /** Chunks read since the last post, sent together (one message per acknowledged batch, not per 4 KB read). */
  queued: Uint8Array[];
  queuedBytes: number;
  queuedDone: Array<() => void>;
  /** When the last batch was posted (performance.now()). */
  lastPost: number;
  /**
   * The batch being gathered: its timer, and what it gathers: a flood's reads (GATHER_MS), or echoes every
   * watcher drew ahead (ECHO_GATHER_MS).
   */
  gather: { timer: NodeJS.Timeout; of: "flood" | "echoes" } | undefined;
  /** The wants the echoes drawn ahead owe their watchers, by watch: posted with the batch (flush). */
  echoWants: Map<number, Extract<ToScreenThread, { op: "want" }>>;
  lostNote: string | undefined;
  /** Times this pane's output was being parsed when the screen thread died. */
  crashes: number;
  /** Frame watchers by number, and whether each has a want the thread has not answered yet. */
  watches: Map<number, Watch>;
  /** Bytes given to `write` since the screen was made (EchoView counts against it). */
  written: number;
  /** What the pane's output costs to parse, as the screen thread last told (ParseCost); bounds its backlog. */
  nsPerByte: number | undefined;
  /** Bytes the last answered call was behind (ScreenPort.behindBytes). */
  behind: number;
  /** The screen thread reads the pane's pty (ScreenPort.readPty) until it tells `ended`. */
  reading: PtyReading | undefined;
  /** Where since-marks are fixed while the thread reads the pty (since-boundaries.ts); made at the first read. */
  boundaries: BigInt64Array | undefined;
}

interface Watch {
  listener: FrameListener;
  wanted: boolean;
  view: EchoView;
}

interface PendingCall {
  id: number;
  request: ScreenCall;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A batch is posted at once when it reaches this size. */
const MAX_BATCH_BYTES = 256 * 1024;
/** Output within this long of the last batch counts as streaming: it is gathered, not posted at once (ms). */
const STREAMING_GAP_MS = 1;
/** A read at least this long, right after a batch, is a flood's (a pty read of a flood is about 4 KB). */
const STREAMING_READ_BYTES = 2048;
/**
 * A flood's batch is posted once it holds this much, or after GATHER_MS. Each batch wakes the screen thread and
 * its acknowledgement wakes this one: on a 2-vCPU VM a postMessage to a sleeping thread cost the sender 26-36 µs
 * (0.8 µs to a busy one), and more in profiles of a flood. Measured on the 50 MB ingest, 12 runs
 * each: 64 KB / 1 ms 38.3 MB/s and 16.2 ms of this thread's CPU per MB; 240 KB / 4 ms 42.9 MB/s and 13.0.
 */
const STREAMING_BATCH_BYTES = 240 * 1024;
/** How long streaming output is gathered before it is posted (ms): a flood's screen lags this much at most. */
const GATHER_MS = 4;
/**
 * How long echoes that every watcher drew ahead (a person typing while attached) are gathered before they are
 * posted (ms); any other output, and any read of the screen, posts them at once. A keystroke then wakes this
 * thread once (its echo), not three times (the echo, the screen thread's acknowledgement and its frame update).
 * Those extra wake-ups also came from the screen thread's core: on a 2-vCPU VM the next keystroke then found this
 * thread's last core idle, and waking an idle vCPU took 0.1-0.3 ms (perf sched; issue 13). The screen thread
 * sees typed text this much later, so a wait_for on it answers up to this much later.
 */
const ECHO_GATHER_MS = 20;
/**
 * Bytes of the ring batches are placed in (BatchRing): a flooding pane has at most two batches in it (one being
 * parsed, one posted at MAX_BATCH_BYTES while it was), each up to MAX_BATCH_BYTES and a read; panes flooding at
 * once share it, and a batch that finds no room is posted in a buffer of its own. Its pages count in the
 * server's RSS once batches have reached them.
 */
const RING_BYTES = 1024 * 1024;

/**
 * Heap of the screen thread. Each screen's memory is bounded (RowHistory's byte cap, the emulator guards);
 * 16 live and 32 exited panes at their caps fit. Beyond it V8 ends the thread, not the server. The young
 * generation is half Node 20/22's default (8 MB semi-spaces): 100 panes flooding at once left both 16 MB
 * semi-spaces committed (~16 MB more of the daemon's RSS), and the smaller one parsed a flood at the same MB
 * per CPU-second. Node 24's V8 doubles the default: a pane streaming 1 GB grew the server by 90 MB more for it.
 */
export const SCREEN_THREAD_LIMITS: ResourceLimits = {
  maxOldGenerationSizeMb: 1536,
  maxYoungGenerationSizeMb: 24,
};
/** More deaths than this within RESTART_WINDOW_MS and the thread is not restarted again (reads then fail). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A pane whose output was being parsed at this many deaths is not parsed any more (its writes are dropped). */
const MAX_CRASHES_PER_PANE = 2;

/**
 * Screens parsed on one worker thread (screen-thread.js). Most panes' ptys are read on that thread too
 * (readPty); for the others this thread only copies each chunk it reads and posts it. Acks come back per write,
 * in order, which is what OutputFeed's flow control counts.
 *
 * The thread runs under `resourceLimits`. When it dies (out of memory, an uncaught exception) it is started
 * again: every screen is created anew, empty, and carries a `lostNote`; reads in flight are asked again;
 * the pane whose output was being parsed (recorded by the thread in shared memory) loses its queued output,
 * and after repeated deaths is no longer parsed. Pane processes, their input and the server go on.
 */
export class WorkerScreens implements ScreenFactory {
  private worker!: Worker;
  private busy!: Int32Array;
  private readonly ring: BatchRing;
  private readonly ports = new Map<number, PortState>();
  private readonly calls = new Map<number, PendingCall>();
  private nextId = 1;
  private nextCall = 1;
  private nextWatch = 1;
  private failure: Error | undefined;
  private lastError: Error | undefined;
  private readonly deaths: number[] = [];

  /** `ringBytes`: the size of the ring batches are placed in (tests make it small to reach the fallback). */
  constructor(
    private readonly limits: ResourceLimits = SCREEN_THREAD_LIMITS,
    ringBytes = RING_BYTES,
  ) {
    this.ring = new BatchRing(ringBytes);
    this.start();
  }

  create(options: ScreenOptions): ScreenPort {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const state: PortState = {
      options,
      acks: [],
      replies: [],
      queued: [],
      queuedBytes: 0,
      queuedDone: [],
      lastPost: Number.NEGATIVE_INFINITY,
      gather: undefined,
      echoWants: new Map(),
      lostNote: undefined,
      crashes: 0,
      watches: new Map(),
      written: 0,
      nsPerByte: undefined,
      behind: 0,
      reading: undefined,
      boundaries: undefined,
    };
    this.ports.set(id, state);
    this.post({ op: "create", id, options });
    const call = <T>(request: ScreenCall): Promise<T> => {
      this.flush(id, state); // a read answers after every write before it
      return this.call<T>(id, request);
    };
    return {
      write: (chunk, done) => {
        // nothing will parse it: do not hold up exit and flow control
        if (this.failure || state.crashes >= MAX_CRASHES_PER_PANE) return done();
        // Drawn as an echo in every watcher's view: the screen thread may parse it later (ECHO_GATHER_MS).
        const echoed = state.watches.size > 0 && this.echo(id, state, chunk);
        state.written += chunk.byteLength;
        // Adaptive batching: when the screen thread is idle for this pane, post at once (an echoed keystroke
        // waits for nothing); while a batch is being parsed, gather until it is acknowledged or the batch is
        // full, so a streaming pane sends few large messages instead of one per 4 KB read.
        // A flood (full reads, each right after the last batch, each finding the thread idle again) is
        // gathered for up to GATHER_MS: one message and one wake-up of the thread per many reads, not two per
        // read. A small read (an echoed keystroke, a prompt) always goes at once.
        const idle = state.queued.length === 0 && state.acks.length === 0;
        state.queued.push(chunk);
        state.queuedBytes += chunk.byteLength;
        state.queuedDone.push(done);
        // A gathering batch also goes once it holds half the backlog bound: the pty pauses at the bound, and
        // a batch that waited for GATHER_MS then would leave the thread idle meanwhile.
        if (
          state.queuedBytes >= MAX_BATCH_BYTES ||
          (state.gather &&
            state.queuedBytes >= Math.min(STREAMING_BATCH_BYTES, backlogBytes(state.nsPerByte) / 2)) ||
          // Output that is not an echo drawn ahead goes at once, with the echoes gathered before it.
          (state.gather?.of === "echoes" && !echoed)
        )
          this.flush(id, state);
        else if (idle && state.gather === undefined) {
          const streaming =
            chunk.byteLength >= STREAMING_READ_BYTES && performance.now() - state.lastPost < STREAMING_GAP_MS;
          if (echoed) this.gatherFor(id, state, "echoes");
          else if (!streaming) this.flush(id, state);
          else this.gatherFor(id, state, "flood");
        }
      },
      backlogBytes: () => backlogBytes(state.nsPerByte),
      onReply: (listener) => {
        state.replies.push(listener);
      },
      snapshot: () => call<ScreenSnapshot>({ method: "snapshot", args: [] }),
      frame: () => call<PaneFrame>({ method: "frame", args: [] }),
      state: () => call<ScreenState>({ method: "state", args: [] }),
      scrollback: (lines) => call<string>({ method: "scrollback", args: [lines] }),
      markScreenTop: (overlap) => call<HistoryMark | undefined>({ method: "markScreenTop", args: [overlap] }),
      renderFrom: (mark, overlap, withCursorTail) =>
        call<RenderedFrom>({ method: "renderFrom", args: [mark, overlap, withCursorTail] }),
      search: (mark, overlap, query, excerpt) =>
        call<SearchResult>({ method: "search", args: [mark, overlap, query, excerpt] }),
      markSince: () => {
        // While the thread reads the pty, the mark is fixed now, at the output it has queued (since-boundaries.ts);
        // otherwise its request follows the output this thread read and posted before it, in order.
        const fixed =
          state.reading && state.boundaries && !this.failure
            ? takeSinceBoundary(state.boundaries)
            : undefined;
        return call<HistoryMark>({ method: "markSince", args: fixed ? [fixed.slot, fixed.at] : [] });
      },
      releaseSince: (since) => call<void>({ method: "releaseSince", args: [since] }),
      resize: (cols, rows) => {
        // A screen made again after a screen-thread crash gets the size the pane has now.
        state.options = { ...state.options, cols, rows };
        for (const watch of state.watches.values()) watch.view.reset();
        return call<void>({ method: "resize", args: [cols, rows] });
      },
      compact: () => call<void>({ method: "compact", args: [] }),
      readPty: (fd, reading) => {
        if (this.failure || state.crashes >= MAX_CRASHES_PER_PANE || state.reading) return false;
        // What was read here before goes first: the thread parses it before anything it reads itself.
        this.flush(id, state);
        state.reading = reading;
        state.boundaries ??= newSinceBoundaries();
        this.post({ op: "read", id, fd, boundaries: state.boundaries });
        return true;
      },
      stopReadingPty: () => {
        if (state.reading) this.post({ op: "unread", id });
      },
      ptyProcessExited: () => {
        if (state.reading) this.post({ op: "exited", id });
      },
      discardBacklog: () => {
        stopGathering(state);
        dropUnposted(state);
        this.postEchoWants(state);
        this.post({ op: "discard", id });
      },
      watchFrames: (listener) => {
        const watch = this.nextWatch++;
        const entry: Watch = { listener, wanted: false, view: new EchoView() };
        state.watches.set(watch, entry);
        this.post({ op: "watch", id, watch });
        return {
          want: (spaced = false) => {
            if (entry.wanted || !state.watches.has(watch)) return;
            entry.wanted = true;
            this.post({ op: "want", id, watch, spaced });
          },
          close: () => {
            if (!state.watches.delete(watch)) return;
            this.post({ op: "unwatch", id, watch });
          },
        };
      },
      get lostNote() {
        return state.lostNote;
      },
      get behindBytes() {
        return state.behind;
      },
      dispose: () => {
        stopGathering(state);
        state.watches.clear();
        this.ports.delete(id);
        this.post({ op: "dispose", id });
      },
    };
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the screen thread was closed");
    await this.worker.terminate();
  }

  private start(): void {
    this.busy = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL("./screen-thread.js", import.meta.url), {
      resourceLimits: this.limits,
    });
    this.worker = worker;
    worker.unref();
    worker.on("message", (message: FromScreenThread) => this.receive(message));
    worker.on("error", (error) => {
      this.lastError = error;
    });
    worker.on("exit", (code) => {
      if (worker === this.worker) this.died(code);
    });
    this.post({ op: "init", busy: this.busy, ring: this.ring.buffer });
  }

  /** The thread is gone: start it again with every screen empty, unless it keeps dying. */
  private died(code: number): void {
    if (this.failure) return;
    const cause = this.lastError ?? new Error(`the screen thread exited (code ${code})`);
    this.lastError = undefined;
    const reason = describe(cause);
    const now = Date.now();
    this.deaths.push(now);
    while ((this.deaths[0] ?? now) < now - RESTART_WINDOW_MS) this.deaths.shift();
    if (this.deaths.length > MAX_RESTARTS) {
      this.fail(cause);
      return;
    }
    const culprit = Atomics.load(this.busy, 0);
    console.error(`ccmux: the screen thread died (${reason}) after parsing pane #${culprit}; restarting it`);
    // Batches the dead thread held are not parsed by anyone: their places are free.
    this.ring.releaseAll();
    this.start();
    for (const [id, state] of this.ports) {
      // The dead thread's descriptors were closed with it: the pane reads its pty itself again. The since-marks
      // it held output back for went with it: a new thread gets a new record, with no slot left taken.
      const reading = state.reading;
      state.reading = undefined;
      state.boundaries = undefined;
      reading?.ended("lost");
      // Output that was in the dead thread is gone; the writers must not wait for it.
      for (const done of state.acks.splice(0).flat()) done();
      if (id === culprit) {
        state.crashes += 1;
        dropUnposted(state);
      }
      state.lostNote = screenLostNote(
        id === culprit
          ? `its output crashed the screen thread: ${reason}${state.crashes >= MAX_CRASHES_PER_PANE ? "; its output is no longer rendered" : ""}`
          : `the screen thread failed on another pane's output (${reason}) and was restarted`,
      );
      this.post({ op: "create", id, options: state.options });
      // Watchers start over on the new screen: their next update is its whole frame. It counts what it is
      // given from nothing: what is queued now.
      state.written = state.queuedBytes;
      state.echoWants.clear();
      for (const [watch, entry] of state.watches) {
        entry.view = new EchoView();
        this.post({ op: "watch", id, watch });
        if (entry.wanted) this.post({ op: "want", id, watch, spaced: true });
      }
      this.flush(id, state);
    }
    for (const [call, pending] of this.calls) {
      if (this.ports.has(pending.id)) {
        this.post({ op: "call", id: pending.id, call, ...pending.request } as ToScreenThread);
      } else {
        this.calls.delete(call);
        pending.reject(new Error("the screen is gone"));
      }
    }
  }

  /**
   * Draws `chunk` at once in each watcher's view that can take it as an echo (EchoView.echo), before it is
   * queued for the screen thread: a person sees it before the batch is even posted. The listener runs inside the
   * write, unlike LocalScreens' updates: an echoed update asks for nothing back (FrameListener), so it cannot
   * re-enter the screen, and a watch it closes gets no more.
   */
  private echo(id: number, state: PortState, chunk: Uint8Array): boolean {
    let everyView = true;
    // A Map's iteration survives a listener closing its watch (deleting it from the map).
    for (const [watchId, watch] of state.watches) {
      const echo = watch.view.echo(chunk, state.written);
      if (echo === undefined || state.watches.get(watchId) !== watch) {
        everyView = false;
        continue;
      }
      watch.listener({ rows: echo.rows }, false, echo.draw);
      // The screen thread owes this view an update once it parsed the echo, changed or not (EchoView). Asked
      // with the batch that carries the echo (flush), so the echo costs no message of its own.
      if (state.watches.get(watchId) === watch)
        state.echoWants.set(watchId, {
          op: "want",
          id,
          watch: watchId,
          spaced: false,
          through: watch.view.ahead,
        });
    }
    return everyView;
  }

  /** Gathers the pane's queued output for a while (see write): posted when the timer fires, if not before. */
  private gatherFor(id: number, state: PortState, of: "flood" | "echoes"): void {
    const timer = setTimeout(() => this.flush(id, state), of === "flood" ? GATHER_MS : ECHO_GATHER_MS);
    state.gather = { timer, of };
  }

  /**
   * Posts the queued chunks of one screen as a single batch: copied into the ring, or, when it has no room, into
   * a buffer of its own that is transferred. Copying also detaches us from node-pty's buffers.
   */
  private flush(id: number, state: PortState): void {
    stopGathering(state);
    if (state.queued.length === 0) return;
    state.lastPost = performance.now();
    // The wants first, as when each was posted with its echo: the change they wait for comes after them.
    this.postEchoWants(state);
    const place = this.failure ? undefined : this.ring.place(state.queued, state.queuedBytes);
    state.acks.push(state.queuedDone);
    if (place) {
      this.post({ op: "write", id, slot: place.slot, start: place.start, length: place.length });
    } else {
      const batch = new Uint8Array(state.queuedBytes);
      copyChunks(batch, 0, state.queued);
      this.post({ op: "write", id, chunk: batch }, [batch.buffer]);
    }
    state.queued = [];
    state.queuedBytes = 0;
    state.queuedDone = [];
  }

  private postEchoWants(state: PortState): void {
    for (const [watch, want] of state.echoWants) if (state.watches.has(watch)) this.post(want);
    state.echoWants.clear();
  }

  private call<T>(id: number, request: ScreenCall): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const call = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(call, { id, request, resolve: resolve as (value: unknown) => void, reject });
      this.post({ op: "call", id, call, ...request } as ToScreenThread);
    });
  }

  private post(message: ToScreenThread, transfer: ArrayBuffer[] = []): void {
    if (!this.failure) this.worker.postMessage(message, transfer);
  }

  private receive(message: FromScreenThread): void {
    // Before anything else: the screen may be gone, its batch's place is free all the same.
    if (message.op === "parsed" && message.slot !== undefined) this.ring.release(message.slot);
    if (message.op === "result") {
      const pending = this.calls.get(message.call);
      this.calls.delete(message.call);
      const state = pending && this.ports.get(pending.id);
      if (state && message.error === undefined) state.behind = message.behind ?? 0;
      if (message.error === undefined) pending?.resolve(message.value);
      else pending?.reject(new Error(message.error));
      return;
    }
    const state = this.ports.get(message.id);
    if (!state) return;
    if (message.op === "frame") {
      const watch = state.watches.get(message.watch);
      if (!watch) return;
      watch.wanted = false;
      const update = watch.view.fromScreen(message.update, message.echo);
      if (update === undefined) {
        // Held: the watcher's view is ahead by an echo. Its want is still open, so ask again for it.
        watch.wanted = true;
        this.post({
          op: "want",
          id: message.id,
          watch: message.watch,
          spaced: false,
          through: watch.view.ahead,
        });
        return;
      }
      watch.listener(update, message.streaming);
    } else if (message.op === "cost") {
      state.nsPerByte = message.nsPerByte;
    } else if (message.op === "parsed") {
      if (message.nsPerByte !== undefined) state.nsPerByte = message.nsPerByte;
      for (const done of state.acks.shift() ?? []) done();
      // What gathered while that batch was parsed goes now, unless it is a flood's first reads: those gather
      // on (see write) until the batch is worth a message.
      if (state.acks.length === 0 && state.gather === undefined) {
        const streaming =
          state.queuedBytes >= STREAMING_READ_BYTES && state.queuedBytes < STREAMING_BATCH_BYTES;
        if (streaming) this.gatherFor(message.id, state, "flood");
        else this.flush(message.id, state);
      }
    } else if (message.op === "progress") {
      state.reading?.parsed();
    } else if (message.op === "ended") {
      const reading = state.reading;
      state.reading = undefined;
      // Watchers' views count every byte the screen was given, the thread's own reads too (EchoView).
      state.written += message.read;
      reading?.ended(message.how);
    } else if (message.op === "lost") state.lostNote = screenLostNote(message.reason);
    else for (const listener of state.replies) listener(message.data);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    console.error(`ccmux: the screen thread failed for good: ${error.message}`);
    for (const pending of this.calls.values()) pending.reject(error);
    this.calls.clear();
    for (const state of this.ports.values()) {
      state.lostNote = screenLostNote(
        `the screen thread kept failing (${describe(error)}); nothing is rendered`,
      );
      for (const done of [...state.acks.splice(0).flat(), ...state.queuedDone.splice(0)]) done();
      const reading = state.reading;
      state.reading = undefined;
      reading?.ended("lost");
    }
  }
}

/** Drops the chunks gathered for a screen and not posted yet, acknowledging each (nothing will parse them). */
function dropUnposted(state: PortState): void {
  for (const done of state.queuedDone.splice(0)) done();
  state.queued = [];
  state.queuedBytes = 0;
}

function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return code === "ERR_WORKER_OUT_OF_MEMORY" ? "out of memory" : error.message;
}

/** Ends the gathering of a pane's batch, if any: what it gathered stays queued. */
function stopGathering(state: PortState): void {
  clearTimeout(state.gather?.timer);
  state.gather = undefined;
}
