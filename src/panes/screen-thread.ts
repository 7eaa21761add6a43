import { closeSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { endAfterCostlySequences } from "./costly-sequences.js";
import type { EchoState } from "./frame-echo.js";
import { FrameWants } from "./frame-wants.js";
import { PaneScreen } from "./pane-screen.js";
import { backlogBytes, ParseCost } from "./parse-cost.js";
import type { FrameUpdate } from "./screen-frame.js";
import type { ScreenOptions } from "./screen-port.js";
import type { FromScreenThread, ToScreenThread } from "./screen-protocol.js";
import { parseLimit, publishQueued, releaseSinceBoundary, setReading } from "./since-boundaries.js";
import { QueryCache } from "./text-query.js";
import { type ReadEnd, ThreadPtyReader } from "./thread-pty-reader.js";

/**
 * The screen thread: every pane's emulator and history live here, so parsing and rendering never hold up the
 * thread that answers tool calls. An agent's pane's pty is read here too (op "read", ThreadPtyReader); a pane a
 * person watches, or a validated shell's, is read by the main thread, which posts what it reads ("write").
 *
 * Writes are queued per pane and parsed in short time slices, round-robin over the panes, so one pane that
 * floods (`yes`) cannot make a read of another pane wait behind its backlog. A read answers after every write
 * to its pane sent before it: a pane with nothing queued is answered at once; otherwise the read waits while
 * that backlog is parsed, first in every slice but still in slices, so reads of other panes get in between.
 */
const port = parentPort;
if (port === null) throw new Error("screen-thread.js must run as a worker thread");

/** Bytes parsed per step before the scheduler moves on to the next pane. */
const STEP_BYTES = 8 * 1024;
/** Time one slice may take before other messages (reads) get their turn. */
const SLICE_MS = 2;
/**
 * Bytes handed to the emulator at once, at most. Some sequences cost far more than plain text (a full reset,
 * ESC c, allocates both screens: ~50 µs for two bytes), so the clock is read after every piece and a step
 * ends once it has used its slice; a pane whose pieces run slow gets smaller ones (down to MIN_PIECE_BYTES),
 * so only its first piece of such a flood can hold other panes (~50-90 ms). Smaller pieces cost throughput:
 * every piece moves its rows into history with a new emulator marker (measured: 512 bytes +30% CPU on plain
 * text, 2 KB within the noise of 8 KB).
 */
const MAX_PIECE_BYTES = 2048;
const MIN_PIECE_BYTES = 32;
/**
 * Screen cells a piece may cost in sequences whose work scales with the screen (costly-sequences.ts): about
 * 2 ms at the ~35 ns a cell REP or a scroll costs. A piece holds at least one such sequence.
 */
const PIECE_AREA_CELLS = 64 * 1024;
/**
 * How long a call waits for its pane's backlog. Past it, the call is answered on the screen as parsed so far,
 * with how many bytes it is behind (`behind` in its result).
 */
const CALL_WAIT_MS = 2000;
/**
 * While output this thread reads itself keeps coming, its owner hears that it was parsed at most this often (ms):
 * the first parse after a pause is told at once (a prompt, an echo), a flood's every few ms, not per 4 KB read.
 */
const PROGRESS_MS = 4;

interface Entry {
  screen: PaneScreen;
  options: ScreenOptions;
  /**
   * Queued writes, each with its ring place (`slot`; undefined: it came in a buffer of its own); `offset` is how
   * much of the first one is parsed already.
   */
  queue: { bytes: Uint8Array; slot: number | undefined; own: boolean }[];
  offset: number;
  pieceBytes: number;
  /** How often this pane's emulator threw; each time its screen was replaced by an empty one. */
  faults: number;
  /** Bytes ever queued, and ever parsed (or dropped): a read waits until `parsed` reaches `queued` as of its arrival. */
  queued: number;
  parsed: number;
  /** Reads waiting for the backlog before them, oldest first; `arrived`: performance.now() when it came. */
  calls: { call: ToScreenThread & { op: "call" }; after: number; arrived: number }[];
  /** Frame watchers (people attached): an open want is answered right after the write that changes the screen. */
  wants: FrameWants;
  /** What this pane's output costs to parse: the owner bounds the pane's backlog by it (parse-cost.ts). */
  cost: ParseCost;
  /** Reading the pane's pty here (op "read"), until it ends. */
  reader: ThreadPtyReader | undefined;
  /** Since-marks the owner fixed while this thread read the pty (since-boundaries.ts); from the first "read" on. */
  boundaries: BigInt64Array | undefined;
  /** The pty's end, told to the owner once everything read before it is parsed. */
  readEnd: number | undefined;
  /** Output read here is dropped as it comes (op "discard": the pane is being removed). */
  dropOwn: boolean;
  /** When the owner was last told of parsed output read here (performance.now()), and the timer telling it next. */
  progressAt: number;
  progressTimer: NodeJS.Timeout | undefined;
}

const entries = new Map<number, Entry>();
const queries = new QueryCache();
const send = (message: FromScreenThread): void => port.postMessage(message);
let pumping = false;
/** busy[0]: the pane being parsed, or the last one parsed, so the owner can name it if this thread dies. */
let busy: Int32Array | undefined;
/** The ring batches are placed in by the owner (BatchRing); parsed in place. */
let ring: Uint8Array | undefined;

port.on("message", (message: ToScreenThread) => {
  switch (message.op) {
    case "init":
      busy = message.busy;
      ring = new Uint8Array(message.ring);
      return;
    case "create":
      entries.set(message.id, {
        screen: makeScreen(message.id, message.options),
        options: message.options,
        queue: [],
        offset: 0,
        pieceBytes: MAX_PIECE_BYTES,
        faults: 0,
        queued: 0,
        parsed: 0,
        calls: [],
        wants: new FrameWants(),
        cost: new ParseCost(),
        reader: undefined,
        boundaries: undefined,
        readEnd: undefined,
        dropOwn: false,
        progressAt: Number.NEGATIVE_INFINITY,
        progressTimer: undefined,
      });
      return;
    case "write": {
      const entry = entries.get(message.id);
      const slot = "slot" in message ? message.slot : undefined;
      if (!entry) return send({ op: "parsed", id: message.id, slot });
      const bytes =
        "chunk" in message
          ? message.chunk
          : (ring as Uint8Array).subarray(message.start, message.start + message.length);
      enqueue(entry, { bytes, slot, own: false });
      return;
    }
    case "read": {
      const entry = entries.get(message.id);
      if (!entry || entry.reader) {
        closeSync(message.fd); // ours from the message on; nobody reads it
        if (!entry) send({ op: "ended", id: message.id, how: "stopped", read: 0 });
        return;
      }
      try {
        entry.reader = startReading(message.id, entry, message.fd);
        entry.boundaries = message.boundaries;
        publishQueued(message.boundaries, entry.queued);
        setReading(message.boundaries, true);
      } catch (error) {
        // Not a terminal after all, or node could not watch it: the owner reads the pty on.
        console.error(`ccmux: pane #${message.id}'s pty could not be read here: ${(error as Error).message}`);
        closeSync(message.fd);
        send({ op: "ended", id: message.id, how: "stopped", read: 0 });
      }
      return;
    }
    case "unread":
      entries.get(message.id)?.reader?.stop();
      return;
    case "exited":
      entries.get(message.id)?.reader?.exited();
      return;
    case "call": {
      const entry = entries.get(message.id);
      if (!entry) return send({ op: "result", call: message.call, error: "the screen is gone" });
      // Security: a read used to parse its pane's whole backlog at once (up to 512 KB): of ESC c, 13 s in which
      // no other pane could be read (issue 9). The backlog is now parsed in slices like any other.
      // A since-mark the owner fixed goes where it said (since-boundaries.ts): no later byte was parsed meanwhile.
      const at = message.method === "markSince" ? message.args[1] : undefined;
      entry.calls.push({
        call: message,
        after: Math.min(at ?? entry.queued, entry.queued),
        arrived: performance.now(),
      });
      answerReady(entry);
      if (entry.calls.length > 0) schedulePump();
      return;
    }
    case "watch":
      entries.get(message.id)?.wants.add(message.watch);
      return;
    case "unwatch":
      entries.get(message.id)?.wants.remove(message.watch);
      return;
    case "want": {
      const entry = entries.get(message.id);
      try {
        entry?.wants.want(
          message.watch,
          message.spaced,
          entry.screen,
          frameSender(message.id),
          message.through,
        );
      } catch (error) {
        // The want stays open: the next write that parses answers it, or replaces the failing screen.
        console.error(`ccmux: a frame of pane #${message.id} failed: ${(error as Error).message}`);
      }
      return;
    }
    case "discard": {
      const entry = entries.get(message.id);
      if (!entry) return;
      dropQueued(message.id, entry);
      entry.offset = 0;
      entry.parsed = entry.queued;
      entry.dropOwn = true;
      entry.reader?.resume();
      answerReady(entry);
      endIfParsed(message.id, entry);
      return;
    }
    case "dispose": {
      const entry = entries.get(message.id);
      entries.delete(message.id);
      if (!entry) return;
      entry.reader?.stop();
      clearTimeout(entry.progressTimer);
      dropQueued(message.id, entry);
      for (const { call } of entry.calls.splice(0)) {
        send({ op: "result", call: call.call, error: "the screen is gone" });
      }
      entry.screen.dispose();
      return;
    }
  }
});

/** Reads screen `id`'s pty from `fd` here (op "read"), its output queued like any other. Throws when `fd` is no tty. */
function startReading(id: number, entry: Entry, fd: number): ThreadPtyReader {
  return new ThreadPtyReader(fd, {
    data: (chunk) => {
      if (entry.dropOwn) return;
      enqueue(entry, { bytes: chunk, slot: undefined, own: true });
      // Security: past the backlog bound the pty is not read until the parse caught up (OutputFeed's bound,
      // here): a pane printing 1 GB does not grow this thread, and a read of it never waits long.
      if (entry.queued - entry.parsed >= backlogBytes(entry.cost.tell())) entry.reader?.pause();
    },
    ended: (how, read) => readingEnded(id, entry, how, read),
  });
}

/** Queues output for screen `entry` and has it parsed: at once by an idle thread (an echo waits for no turn). */
function enqueue(entry: Entry, item: Entry["queue"][number]): void {
  entry.queue.push(item);
  entry.queued += item.bytes.byteLength;
  if (entry.boundaries) publishQueued(entry.boundaries, entry.queued);
  if (!pumping) pump();
  else schedulePump();
}

/** The pty read here ended (ThreadPtyReader): the owner hears at once of a stop, of the pty's end once parsed. */
function readingEnded(id: number, entry: Entry, how: ReadEnd, read: number): void {
  entry.reader = undefined;
  if (entry.boundaries) setReading(entry.boundaries, false);
  if (how === "stopped") {
    if (entries.get(id) === entry) send({ op: "ended", id, how, read });
    return;
  }
  entry.readEnd = read;
  endIfParsed(id, entry);
}

/** Tells the owner of the pty's end once nothing read before it is left to parse. */
function endIfParsed(id: number, entry: Entry): void {
  if (entry.readEnd === undefined || entry.queue.some((item) => item.own)) return;
  const read = entry.readEnd;
  entry.readEnd = undefined;
  clearTimeout(entry.progressTimer);
  entry.progressTimer = undefined;
  if (entries.get(id) === entry) send({ op: "ended", id, how: "end", read });
}

/** Output read here was parsed: told at once, or PROGRESS_MS after the last telling (see PROGRESS_MS). */
function ownParsed(id: number, entry: Entry): void {
  if (entry.progressTimer !== undefined) return;
  const wait = entry.progressAt + PROGRESS_MS - performance.now();
  const tell = (): void => {
    entry.progressTimer = undefined;
    entry.progressAt = performance.now();
    if (entries.get(id) === entry) send({ op: "progress", id });
  };
  if (wait <= 0) tell();
  else entry.progressTimer = setTimeout(tell, wait);
}

/** Posts frame updates of screen `id`. */
function frameSender(
  id: number,
): (watch: number, update: FrameUpdate, streaming: boolean, echo: EchoState) => void {
  return (watch, update, streaming, echo) => send({ op: "frame", id, watch, update, streaming, echo });
}

function makeScreen(id: number, options: ScreenOptions): PaneScreen {
  const screen = new PaneScreen(options);
  screen.onReply((data) => send({ op: "reply", id, data }));
  return screen;
}

/**
 * Parses up to `limit` bytes of the pane's queue, or until the slice is used; acknowledges every write it
 * finishes. A pane whose output makes the emulator throw gets a fresh, empty screen (its reads carry a note
 * from then on) and its queued output is dropped; the thread and every other pane go on.
 */
function step(id: number, entry: Entry, limit: number, deadline: number): void {
  if (busy) Atomics.store(busy, 0, id);
  try {
    parseSome(id, entry, limit, deadline);
    // A person watching sees the change now, not after a round trip to ask for it.
    entry.wants.changed(entry.screen, frameSender(id));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`ccmux: screen of pane #${id} failed and was replaced: ${reason}`);
    dropQueued(id, entry);
    entry.offset = 0;
    entry.parsed = entry.queued;
    resumeReading(entry);
    endIfParsed(id, entry);
    try {
      entry.screen.dispose();
    } catch {
      // already broken
    }
    entry.faults += 1;
    entry.screen = makeScreen(id, entry.options);
    // The pane's output so far, parsed or dropped: what a watcher's view counts (EchoState.through) goes on.
    entry.screen.continueCount(entry.parsed);
    send({ op: "lost", id, reason: `its emulator failed: ${reason}` });
    entry.wants.changed(entry.screen, frameSender(id)); // the empty screen
  }
  // The slot keeps naming this pane after its piece: memory its output built up may run out only later, in a
  // collection or a render, and the last pane parsed is then the one to blame.
}

function parseSome(id: number, entry: Entry, limit: number, deadline: number): void {
  let budget = limit;
  while (budget > 0 && entry.queue.length > 0) {
    // Not past a since-mark the owner fixed and whose request has not been answered yet (since-boundaries.ts).
    const room = heldAt(entry) - entry.parsed;
    if (room <= 0) return;
    budget = Math.min(budget, room);
    const { bytes: chunk, slot, own } = entry.queue[0] as Entry["queue"][number];
    // Security: a piece ends after the sequences that can cost a screenful each (REP, SU, IL, ED, RIS …) that
    // fit PIECE_AREA_CELLS. Pieces shrink only after one ran slow, and the first 2 KB piece of REPs at
    // 400×200 held every other pane for 0.6 s (1.1–1.4 s measured in an attack), again each time a pane
    // alternated plain lines with such a flood.
    const allowed = Math.max(1, Math.floor(PIECE_AREA_CELLS / (entry.screen.cols * entry.screen.rows)));
    const end = endAfterCostlySequences(
      chunk,
      entry.offset,
      Math.min(chunk.byteLength, entry.offset + budget, entry.offset + entry.pieceBytes),
      allowed,
    );
    const began = performance.now();
    entry.screen.write(chunk.subarray(entry.offset, end), () => {});
    const took = performance.now() - began;
    // Security: a piece of costly sequences (ESC c floods) shrinks the next pieces, so a read of another
    // pane never waits long behind this one.
    if (took > SLICE_MS / 2) entry.pieceBytes = Math.max(MIN_PIECE_BYTES, entry.pieceBytes >> 3);
    else if (took < SLICE_MS / 8) entry.pieceBytes = Math.min(MAX_PIECE_BYTES, entry.pieceBytes * 2);
    // Security: the owner hears at once that this pane's output got costly, and stops reading its pty sooner
    // (OutputFeed), so a read of this pane never waits long behind its own backlog.
    if (entry.cost.sample(end - entry.offset, took))
      send({ op: "cost", id, nsPerByte: entry.cost.tell() as number });
    budget -= end - entry.offset;
    entry.parsed += end - entry.offset;
    entry.offset = end;
    if (end === chunk.byteLength) {
      entry.queue.shift();
      entry.offset = 0;
      if (own) {
        ownParsed(id, entry);
        resumeReading(entry);
        endIfParsed(id, entry);
      } else send({ op: "parsed", id, slot, nsPerByte: entry.cost.tell() });
    }
    if (began + took > deadline) return;
  }
}

/** How far the pane's output may be parsed now (bytes ever queued): to its lowest open since-boundary, if any. */
function heldAt(entry: Entry): number {
  return entry.boundaries ? parseLimit(entry.boundaries) : Number.POSITIVE_INFINITY;
}

/** Whether the pane has output it may parse now. */
function parseable(entry: Entry): boolean {
  return entry.queue.length > 0 && heldAt(entry) > entry.parsed;
}

/** Reads the pane's pty again once its backlog is parsed down to half the bound (OutputFeed's rule). */
function resumeReading(entry: Entry): void {
  if (entry.reader?.isPaused && entry.queued - entry.parsed <= backlogBytes(entry.cost.tell()) / 2)
    entry.reader.resume();
}

/** Acknowledges every queued write unparsed (the screen is gone or was replaced), freeing their ring places. */
function dropQueued(id: number, entry: Entry): void {
  for (const { slot, own } of entry.queue) if (!own) send({ op: "parsed", id, slot });
  entry.queue = [];
}

/**
 * Answers, in order, the reads whose backlog is parsed, and those that waited CALL_WAIT_MS for it.
 *
 * Security: the backlog bound (parse-cost.ts) follows what the pane's output cost so far; output that turns
 * costly at once (plain lines, then screenfuls of REP; or a resize that makes every REP a screenful bigger)
 * was let in at the cheap rate and takes minutes to parse. A read, a resize or a kill then waited that long
 * (124 s measured). A call is answered after CALL_WAIT_MS at the latest, on the screen as parsed so far; a
 * resize applies then, and the backlog is parsed at the new size, as a terminal does with output in flight.
 *
 * A since-mark is the exception: taken early, it would count the backlog printed before it as new, and a
 * `wait_for` could match text printed before the keys it waits on. It waits for its backlog (the wait it
 * serves has its own timeout), and the calls after it are answered meanwhile: none depends on it.
 */
function answerReady(entry: Entry): void {
  const now = performance.now();
  for (let index = 0; index < entry.calls.length; ) {
    const { call, after, arrived } = entry.calls[index] as Entry["calls"][number];
    // A call whose backlog is not parsed yet waits (a since-mark for it, any other call CALL_WAIT_MS at most). Later
    // calls arrived later and wait as long, but for a since-mark the owner fixed earlier (its `after` may be lower).
    if (entry.parsed < after && (call.method === "markSince" || now - arrived < CALL_WAIT_MS)) {
      index += 1;
      continue;
    }
    entry.calls.splice(index, 1);
    const behind = Math.max(0, after - entry.parsed);
    try {
      send({ op: "result", call: call.call, value: answer(entry.screen, call), behind });
    } catch (error) {
      send({ op: "result", call: call.call, error: error instanceof Error ? error.message : String(error) });
    }
    if (call.method === "markSince" && call.args.length === 2 && entry.boundaries) {
      // The output after it may be parsed now.
      releaseSinceBoundary(entry.boundaries, call.args[0]);
      schedulePump();
    }
    if (call.method === "resize") entry.wants.changed(entry.screen, frameSender(call.id));
  }
}

function schedulePump(): void {
  if (pumping) return;
  pumping = true;
  setImmediate(pump);
}

function pump(): void {
  const started = performance.now();
  // Backlogs that reads wait for go first, within the slice.
  for (const [id, entry] of entries) {
    if (entry.calls.length === 0) continue;
    const wanted = (entry.calls.at(-1)?.after ?? 0) - entry.parsed;
    if (wanted > 0 && performance.now() - started < SLICE_MS) step(id, entry, wanted, started + SLICE_MS);
    answerReady(entry);
  }
  // Then output a person is waiting to see (an open frame want: a keystroke's echo while another pane floods).
  for (const [id, entry] of entries) {
    if (!entry.wants.waiting || !parseable(entry)) continue;
    if (performance.now() - started < SLICE_MS) step(id, entry, STEP_BYTES, started + SLICE_MS);
  }
  let busy = true;
  while (busy && performance.now() - started < SLICE_MS) {
    busy = false;
    for (const [id, entry] of entries) {
      if (!parseable(entry)) continue;
      step(id, entry, STEP_BYTES, started + SLICE_MS);
      busy ||= parseable(entry);
    }
  }
  pumping = false;
  // A pane held at a since-boundary waits for its mark's request, whose answer pumps again.
  if (busy || [...entries.values()].some((entry) => parseable(entry) || entry.calls.length > 0)) {
    schedulePump();
  }
}

function answer(screen: PaneScreen, call: ToScreenThread & { op: "call" }): unknown {
  switch (call.method) {
    case "snapshot":
      return screen.snapshot();
    case "frame":
      return screen.frame();
    case "state":
      return screen.state();
    case "scrollback":
      return screen.renderScrollback(...call.args);
    case "markScreenTop":
      return screen.markScreenTop(...call.args);
    case "renderFrom":
      return screen.renderFrom(...call.args);
    case "search": {
      const [mark, overlap, query, excerpt] = call.args;
      return screen.search(mark, overlap, queries.get(query), excerpt ? queries.locator(query) : undefined);
    }
    case "markSince":
      return screen.markSince();
    case "releaseSince":
      return screen.releaseSince(...call.args);
    case "resize":
      return screen.resize(...call.args);
    case "compact":
      return screen.compact();
  }
}
