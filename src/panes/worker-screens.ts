import { Worker } from "node:worker_threads";
import type { HistoryMark, RenderedFrom, SearchResult } from "./pane-screen.js";
import type { ScreenFactory, ScreenOptions, ScreenPort, ScreenSnapshot, ScreenState } from "./screen-port.js";
import type { FromScreenThread, ScreenCall, ToScreenThread } from "./screen-protocol.js";

interface PortState {
  /** One entry per posted batch: the `done` callbacks of the chunks it carried. */
  acks: Array<Array<() => void>>;
  replies: Array<(data: string) => void>;
  /** Chunks read since the last post, sent together (one message per event-loop turn, not per 4 KB read). */
  queued: Uint8Array[];
  queuedBytes: number;
  queuedDone: Array<() => void>;
}

/** A batch is posted at once when it reaches this size; otherwise at the end of the event-loop turn. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * Screens parsed on one worker thread (screen-thread.js). The pty-reading thread only copies each chunk and
 * posts it; on two cores that lets reading and parsing overlap. Acks come back per write, in order, which is
 * what OutputFeed's flow control counts.
 */
export class WorkerScreens implements ScreenFactory {
  private readonly worker: Worker;
  private readonly ports = new Map<number, PortState>();
  private readonly calls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextId = 1;
  private nextCall = 1;
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL("./screen-thread.js", import.meta.url));
    this.worker.unref();
    this.worker.on("message", (message: FromScreenThread) => this.receive(message));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the screen thread exited (code ${code})`)));
  }

  create(options: ScreenOptions): ScreenPort {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const state: PortState = { acks: [], replies: [], queued: [], queuedBytes: 0, queuedDone: [] };
    this.ports.set(id, state);
    this.post({ op: "create", id, options });
    const call = <T>(request: ScreenCall): Promise<T> => {
      this.flush(id, state); // a read answers after every write before it
      return this.call<T>(id, request);
    };
    return {
      write: (chunk, done) => {
        if (this.failure) return done(); // nothing will parse it: do not hold up exit and flow control
        // Adaptive batching: when the screen thread is idle for this pane, post at the end of this turn (an
        // echoed keystroke waits for nothing); while a batch is being parsed, gather until it is acknowledged
        // or the batch is full, so a streaming pane sends few large messages instead of one per 4 KB read.
        if (state.queued.length === 0 && state.acks.length === 0) setImmediate(() => this.flush(id, state));
        state.queued.push(chunk);
        state.queuedBytes += chunk.byteLength;
        state.queuedDone.push(done);
        if (state.queuedBytes >= MAX_BATCH_BYTES) this.flush(id, state);
      },
      onReply: (listener) => {
        state.replies.push(listener);
      },
      snapshot: () => call<ScreenSnapshot>({ method: "snapshot", args: [] }),
      state: () => call<ScreenState>({ method: "state", args: [] }),
      scrollback: (lines) => call<string>({ method: "scrollback", args: [lines] }),
      markScreenTop: (overlap) => call<HistoryMark | undefined>({ method: "markScreenTop", args: [overlap] }),
      renderFrom: (mark, overlap) => call<RenderedFrom>({ method: "renderFrom", args: [mark, overlap] }),
      search: (mark, overlap, query) =>
        call<SearchResult>({ method: "search", args: [mark, overlap, query] }),
      dispose: () => {
        this.ports.delete(id);
        this.post({ op: "dispose", id });
      },
    };
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the screen thread was closed");
    await this.worker.terminate();
  }

  /** Posts the queued chunks of one screen as a single copied, transferred buffer. */
  private flush(id: number, state: PortState): void {
    if (state.queued.length === 0) return;
    const batch = new Uint8Array(state.queuedBytes); // copying also detaches us from node-pty's buffers
    let offset = 0;
    for (const chunk of state.queued) {
      batch.set(chunk, offset);
      offset += chunk.byteLength;
    }
    state.acks.push(state.queuedDone);
    state.queued = [];
    state.queuedBytes = 0;
    state.queuedDone = [];
    this.post({ op: "write", id, chunk: batch }, [batch.buffer]);
  }

  private call<T>(id: number, request: ScreenCall): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const call = this.nextCall++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(call, { resolve: resolve as (value: unknown) => void, reject });
      this.post({ op: "call", id, call, ...request } as ToScreenThread);
    });
  }

  private post(message: ToScreenThread, transfer: ArrayBuffer[] = []): void {
    if (!this.failure) this.worker.postMessage(message, transfer);
  }

  private receive(message: FromScreenThread): void {
    if (message.op === "result") {
      const pending = this.calls.get(message.call);
      this.calls.delete(message.call);
      if (message.error === undefined) pending?.resolve(message.value);
      else pending?.reject(new Error(message.error));
      return;
    }
    const state = this.ports.get(message.id);
    if (!state) return;
    if (message.op === "parsed") {
      for (const done of state.acks.shift() ?? []) done();
      if (state.acks.length === 0) this.flush(message.id, state); // what gathered while that batch was parsed
    } else for (const listener of state.replies) listener(message.data);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    console.error(`ccmux: the screen thread failed: ${error.message}`);
    for (const pending of this.calls.values()) pending.reject(error);
    this.calls.clear();
    for (const state of this.ports.values()) {
      for (const done of [...state.acks.splice(0).flat(), ...state.queuedDone.splice(0)]) done();
    }
  }
}
