import { parentPort } from "node:worker_threads";
import { PaneScreen } from "./pane-screen.js";
import type { FromScreenThread, ToScreenThread } from "./screen-protocol.js";
import { QueryCache } from "./text-query.js";

/**
 * The screen thread: every pane's emulator and history live here, so parsing and rendering never hold up the
 * thread that reads the ptys and answers tool calls.
 *
 * Writes are queued per pane and parsed in short time slices, round-robin over the panes, so one pane that
 * floods (`yes`) cannot make a read of another pane wait behind its backlog. A read first parses whatever its
 * own pane has queued, so it always answers after every write sent before it.
 */
const port = parentPort;
if (port === null) throw new Error("screen-thread.js must run as a worker thread");

/** Bytes parsed per step before the scheduler moves on to the next pane. */
const STEP_BYTES = 8 * 1024;
/** Time one slice may take before other messages (reads) get their turn. */
const SLICE_MS = 2;

interface Entry {
  screen: PaneScreen;
  /** Queued writes; `offset` is how much of the first one is parsed already. */
  queue: Uint8Array[];
  offset: number;
}

const entries = new Map<number, Entry>();
const queries = new QueryCache();
const send = (message: FromScreenThread): void => port.postMessage(message);
let pumping = false;

port.on("message", (message: ToScreenThread) => {
  switch (message.op) {
    case "create": {
      const screen = new PaneScreen(message.options);
      screen.onReply((data) => send({ op: "reply", id: message.id, data }));
      entries.set(message.id, { screen, queue: [], offset: 0 });
      return;
    }
    case "write": {
      const entry = entries.get(message.id);
      if (!entry) return send({ op: "parsed", id: message.id });
      entry.queue.push(message.chunk);
      schedulePump();
      return;
    }
    case "call": {
      const entry = entries.get(message.id);
      if (!entry) return send({ op: "result", call: message.call, error: "the screen is gone" });
      drain(message.id, entry);
      try {
        send({ op: "result", call: message.call, value: answer(entry.screen, message) });
      } catch (error) {
        send({
          op: "result",
          call: message.call,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return;
    }
    case "dispose": {
      const entry = entries.get(message.id);
      entries.delete(message.id);
      if (!entry) return;
      for (const _ of entry.queue) send({ op: "parsed", id: message.id });
      entry.screen.dispose();
      return;
    }
  }
});

/**
 * Parses up to `limit` bytes of the pane's queue; acknowledges every write it finishes. A pane whose output
 * makes the emulator throw loses its screen (reads of it fail from then on) instead of taking the thread, and
 * every other pane, down with it.
 */
function step(id: number, entry: Entry, limit: number): void {
  try {
    parseSome(id, entry, limit);
  } catch (error) {
    console.error(`ccmux: screen of pane #${id} failed and was dropped: ${(error as Error).message}`);
    entries.delete(id);
    for (const _ of entry.queue) send({ op: "parsed", id });
    entry.queue = [];
    try {
      entry.screen.dispose();
    } catch {
      // already broken
    }
  }
}

function parseSome(id: number, entry: Entry, limit: number): void {
  let budget = limit;
  while (budget > 0 && entry.queue.length > 0) {
    const chunk = entry.queue[0] as Uint8Array;
    const end = Math.min(chunk.byteLength, entry.offset + budget);
    entry.screen.write(chunk.subarray(entry.offset, end), () => {});
    budget -= end - entry.offset;
    entry.offset = end;
    if (end === chunk.byteLength) {
      entry.queue.shift();
      entry.offset = 0;
      send({ op: "parsed", id });
    }
  }
}

function drain(id: number, entry: Entry): void {
  step(id, entry, Number.POSITIVE_INFINITY);
}

function schedulePump(): void {
  if (pumping) return;
  pumping = true;
  setImmediate(pump);
}

function pump(): void {
  const started = performance.now();
  let busy = true;
  while (busy && performance.now() - started < SLICE_MS) {
    busy = false;
    for (const [id, entry] of entries) {
      if (entry.queue.length === 0) continue;
      step(id, entry, STEP_BYTES);
      busy ||= entry.queue.length > 0;
    }
  }
  pumping = false;
  if (busy || [...entries.values()].some((entry) => entry.queue.length > 0)) schedulePump();
}

function answer(screen: PaneScreen, call: ToScreenThread & { op: "call" }): unknown {
  switch (call.method) {
    case "snapshot":
      return screen.snapshot();
    case "state":
      return screen.state();
    case "scrollback":
      return screen.renderScrollback(...call.args);
    case "markScreenTop":
      return screen.markScreenTop(...call.args);
    case "renderFrom":
      return screen.renderFrom(...call.args);
    case "search": {
      const [mark, overlap, query] = call.args;
      return screen.search(mark, overlap, queries.get(query));
    }
  }
}
