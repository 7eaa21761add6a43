import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import type { Pane } from "../../src/panes/embedded/pane.js";
import { SpareRefills } from "../../src/panes/embedded/spare-refills.js";
import type { SpareLauncher } from "../../src/panes/spare-launch.js";

/** A pane as SpareRefills sees it (its "output" event, its exit), and spares that count their refills. */
function setup(): {
  refills: SpareRefills;
  pane: Pane;
  spares: SpareLauncher;
  count: () => number;
  exit: () => void;
} {
  let count = 0;
  const spares = { refill: () => count++ } as unknown as SpareLauncher;
  let exit: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    exit = resolve;
  });
  const pane = Object.assign(new EventEmitter(), { exited: () => exited }) as unknown as Pane;
  return { refills: new SpareRefills(), pane, spares, count: () => count, exit };
}

/** A wait that ends when `end` is called. */
function heldWait(): { done: Promise<string>; end: () => void } {
  let end: () => void = () => {};
  const done = new Promise<string>((resolve) => {
    end = () => resolve("answered");
  });
  return { done, end };
}

// Issue 16: a spare made while a wait for the new pane's prompt answered held that answer, and one made while the
// pane started competed with it for the CPU.
describe("a spare a spawn took is made again", () => {
  it("once the pane has printed, at once when no wait on it runs", () => {
    const { refills, pane, spares, count } = setup();
    refills.started(pane, spares);
    expect(count()).toBe(0);
    (pane as unknown as EventEmitter).emit("output");
    expect(count()).toBe(1);
    (pane as unknown as EventEmitter).emit("output");
    expect(count()).toBe(1);
  });

  it("not while a wait on that pane runs: after every wait on it has answered", async () => {
    const { refills, pane, spares, count } = setup();
    refills.started(pane, spares);
    const first = heldWait();
    const second = heldWait();
    const waits = [refills.during(pane, () => first.done), refills.during(pane, () => second.done)];
    (pane as unknown as EventEmitter).emit("output");
    expect(count()).toBe(0);
    first.end();
    await waits[0];
    expect(count()).toBe(0);
    second.end();
    expect(await waits[1]).toBe("answered");
    expect(count()).toBe(1);
  });

  it("once the pane has exited without printing, after the waits on it", async () => {
    const { refills, pane, spares, count, exit } = setup();
    refills.started(pane, spares);
    const wait = heldWait();
    const waiting = refills.during(pane, () => wait.done);
    exit();
    await new Promise((resolve) => setImmediate(resolve));
    expect(count()).toBe(0);
    wait.end();
    await waiting;
    expect(count()).toBe(1);
    (pane as unknown as EventEmitter).emit("output");
    expect(count()).toBe(1);
  });

  it("after a wait that failed too, and a wait that ends before any output makes none", async () => {
    const { refills, pane, spares, count } = setup();
    refills.started(pane, spares);
    await refills.during(pane, async () => "quiet");
    expect(count()).toBe(0);
    const failing = refills.during(pane, async () => {
      (pane as unknown as EventEmitter).emit("output");
      throw new Error("the pane went away");
    });
    await expect(failing).rejects.toThrow("the pane went away");
    expect(count()).toBe(1);
  });
});
