import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import {
  newSinceBoundaries,
  parseLimit,
  publishQueued,
  releaseSinceBoundary,
  setReading,
  takeSinceBoundary,
} from "../../src/panes/since-boundaries.js";

/** The built module (npm test builds first): a worker thread runs it as the screen thread does. */
const BUILT_MODULE = pathToFileURL(resolve(import.meta.dirname, "../../dist/panes/since-boundaries.js")).href;
const built = existsSync(new URL(BUILT_MODULE));

describe("since-marks fixed in shared memory while the screen thread reads a pty", () => {
  it("are fixed at the output queued when asked for, and hold the parse there until answered", () => {
    const shared = newSinceBoundaries();
    expect(takeSinceBoundary(shared)).toBeUndefined(); // the thread does not read the pty: in order, as before
    setReading(shared, true);
    publishQueued(shared, 1000);
    expect(parseLimit(shared)).toBe(Number.POSITIVE_INFINITY);
    const first = takeSinceBoundary(shared);
    expect(first).toEqual({ slot: 0, at: 1000 });
    publishQueued(shared, 5000); // read after the mark was asked for: after it
    const second = takeSinceBoundary(shared);
    expect(second).toEqual({ slot: 1, at: 5000 });
    expect(parseLimit(shared)).toBe(1000);
    releaseSinceBoundary(shared, 0);
    expect(parseLimit(shared)).toBe(5000);
    releaseSinceBoundary(shared, 1);
    expect(parseLimit(shared)).toBe(Number.POSITIVE_INFINITY);
  });

  it("more marks in flight than slots fall back to the order of requests; a freed slot serves again", () => {
    const shared = newSinceBoundaries();
    setReading(shared, true);
    const taken = Array.from({ length: 8 }, () => takeSinceBoundary(shared));
    expect(taken.every((slot) => slot !== undefined)).toBe(true);
    expect(takeSinceBoundary(shared)).toBeUndefined();
    releaseSinceBoundary(shared, 3);
    expect(takeSinceBoundary(shared)?.slot).toBe(3);
    setReading(shared, false);
    for (let slot = 0; slot < 8; slot++) releaseSinceBoundary(shared, slot);
    expect(takeSinceBoundary(shared)).toBeUndefined();
  });

  it.skipIf(!built)(
    "the thread waits out a slot being taken instead of parsing past the boundary it gets",
    async () => {
      const shared = newSinceBoundaries();
      // Slot 0 "being taken" (-1), as between the owner's two statements; another thread finishes taking it later.
      Atomics.store(shared, 2, -1n);
      const owner = new Worker(
        `const { workerData: shared } = require("node:worker_threads");
       setTimeout(() => { Atomics.store(shared, 2, 701n); Atomics.notify(shared, 2); }, 50);`,
        { eval: true, workerData: shared },
      );
      const started = performance.now();
      const limit = await new Promise<number>((resolve, reject) => {
        // parseLimit blocks (Atomics.wait): the built module runs on a thread of its own, as on the screen thread.
        const reader = new Worker(
          `const { workerData, parentPort } = require("node:worker_threads");
         import(workerData.module).then((m) => parentPort.postMessage(m.parseLimit(workerData.shared)));`,
          { eval: true, workerData: { shared, module: BUILT_MODULE } },
        );
        reader.once("message", resolve);
        reader.once("error", reject);
      });
      await owner.terminate();
      expect(limit).toBe(700);
      expect(performance.now() - started).toBeGreaterThanOrEqual(40);
      expect(parseLimit(shared)).toBe(700);
    },
  );
});
