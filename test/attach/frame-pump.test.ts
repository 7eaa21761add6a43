import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FramePump, MIN_FRAME_INTERVAL_MS, PAINT_SHARE } from "../../src/cli/attach/frame-pump.js";

describe("FramePump: when a viewer asks for its next frame", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function pump(backed = { up: false }): {
    pump: FramePump;
    wants: boolean[];
    drain: () => void;
  } {
    const wants: boolean[] = [];
    let drained: () => void = () => {};
    const made = new FramePump({
      want: (spaced) => wants.push(spaced),
      backedUp: () => backed.up,
      drained: () =>
        new Promise((resolve) => {
          drained = () => {
            backed.up = false;
            resolve();
          };
        }),
    });
    return { pump: made, wants, drain: () => drained() };
  }

  it("asks at once after an update that waited for its change, and MIN_FRAME_INTERVAL_MS after a streaming one", () => {
    const { pump: p, wants } = pump();
    p.start();
    expect(wants).toEqual([false]);
    p.sent(false);
    expect(wants).toEqual([false, false]);
    p.sent(true);
    vi.advanceTimersByTime(MIN_FRAME_INTERVAL_MS - 1);
    expect(wants).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(wants).toEqual([false, false, true]); // spaced
  });

  it("while streaming, spaces its asks by PAINT_SHARE times what the last update cost, when that is longer", () => {
    const wants: boolean[] = [];
    let cost = 1;
    const p = new FramePump({
      want: (spaced) => wants.push(spaced),
      backedUp: () => false,
      drained: async () => {},
      cost: () => cost,
    });
    p.start();
    p.sent(true);
    vi.advanceTimersByTime(MIN_FRAME_INTERVAL_MS);
    expect(wants).toEqual([false, true]); // a cheap update: the usual spacing
    cost = 8;
    p.sent(true);
    vi.advanceTimersByTime(PAINT_SHARE * cost - 1);
    expect(wants).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(wants).toEqual([false, true, true]);
    p.sent(false); // an update that waited for its change is asked for at once, whatever it cost
    expect(wants).toEqual([false, true, true, false]);
  });

  it("asks nothing while the socket is backed up, then a spaced want once it drained", async () => {
    const backed = { up: true };
    const { pump: p, wants, drain } = pump(backed);
    p.start();
    expect(wants).toEqual([]);
    drain();
    await vi.waitFor(() => expect(wants).toEqual([true]));
  });

  it("a stopped pump asks nothing more", () => {
    const { pump: p, wants } = pump();
    p.start();
    p.sent(true);
    p.stop();
    vi.advanceTimersByTime(MIN_FRAME_INTERVAL_MS * 2);
    p.sent(false);
    expect(wants).toEqual([false]);
  });
});
