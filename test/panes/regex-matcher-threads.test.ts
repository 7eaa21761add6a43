import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";

// Matcher threads run compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "regex-thread.js"));

type Matcher = import("../../src/panes/regex-matcher.js").RegexMatcher;

async function matcher(pattern: string, group?: object): Promise<Matcher> {
  const { RegexMatcher } = (await import(
    resolve(DIST, "regex-matcher.js")
  )) as typeof import("../../src/panes/regex-matcher.js");
  const made = new RegexMatcher(pattern, group);
  await made.ready;
  return made;
}

/** The matcher's thread: which thread served a wait is what these tests are about. */
const threadOf = (made: Matcher): number => made.threadId ?? -1;

describe.skipIf(!built)("regex wait_for threads (needs `npm run build`)", () => {
  it("an idle matcher's thread serves the next wait, with the next wait's pattern only", async () => {
    // A spare is also started a while after a wait took the last one: held off here, so that only reuse serves.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const first = await matcher("a+b");
    expect(await first.match("xaab")).toBe(true);
    const thread = threadOf(first);
    first.close();
    const next = await matcher("^zz$");
    expect(threadOf(next)).toBe(thread);
    expect(await next.match("xaab")).toBe(false);
    expect(await next.match("zz")).toBe(true);
    next.close();
  });

  it("a thread stopped in the middle of a check is ended, never handed to the next wait", async () => {
    const first = await matcher("(a|b)*c");
    const thread = threadOf(first);
    const check = first.match("ab".repeat(100_000));
    first.close();
    await expect(check).rejects.toThrow();
    const next = await matcher("c");
    expect(threadOf(next)).not.toBe(thread);
    next.close();
  });

  it("a trivial pattern is not refused as too costly when this thread was held past the compile limit", async () => {
    // Attack review: under load 7-8, trivial patterns were refused "too costly to compile" after 5.2 s. The limit
    // counted from the wait's start, so a thread start or this thread's turn delayed by a starved machine counted
    // as the pattern's cost. Held here for real: the matcher thread compiles and answers meanwhile.
    const { RegexMatcher } = (await import(
      resolve(DIST, "regex-matcher.js")
    )) as typeof import("../../src/panes/regex-matcher.js");
    const made = new RegexMatcher("a[0-9]+b");
    const until = Date.now() + 5_500;
    while (Date.now() < until) {
      // busy: the compile limit (5 s) passes on this thread's clock
    }
    await expect(made.ready).resolves.toBeUndefined();
    expect(await made.match("xa42b")).toBe(true);
    made.close();
  });

  it("a refused pattern leaves its thread serving: the thread compiled nothing for it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const group = {};
    const kept = await matcher("k+", group);
    const { RegexMatcher } = (await import(
      resolve(DIST, "regex-matcher.js")
    )) as typeof import("../../src/panes/regex-matcher.js");
    const refused = new RegexMatcher("(?<=a)b", group);
    await expect(refused.ready).rejects.toThrow();
    refused.close();
    expect(await kept.match("kkk")).toBe(true);
    const next = await matcher("b", group);
    expect(threadOf(next)).toBe(threadOf(kept));
    expect(await next.match("ab")).toBe(true);
    kept.close();
    next.close();
  });

  it("32 waits of one connection share 4 threads; another connection's waits never share them", async () => {
    const { PATTERNS_PER_THREAD } = (await import(
      resolve(DIST, "matcher-threads.js")
    )) as typeof import("../../src/panes/matcher-threads.js");
    const one = {};
    const other = {};
    const mine = await Promise.all(Array.from({ length: 32 }, (_, i) => matcher(`w${i}x+`, one)));
    const theirs = await Promise.all(Array.from({ length: 3 }, (_, i) => matcher(`t${i}y+`, other)));
    const threads = new Set(mine.map(threadOf));
    expect(threads.size).toBe(32 / PATTERNS_PER_THREAD);
    for (const made of theirs) expect(threads.has(threadOf(made))).toBe(false);
    // Each pattern answers for itself on its shared thread.
    const answers = await Promise.all(mine.map((made, i) => made.match(`w${i}xx w${(i + 1) % 32}`)));
    expect(answers.every(Boolean)).toBe(true);
    expect(await mine[0]?.match("w1xx")).toBe(false);
    for (const made of [...mine, ...theirs]) made.close();
  });

  it("a wait stopped in the middle of a check moves the other waits on its thread: their checks still answer", async () => {
    const group = {};
    const costly = await matcher("(a|b)*c", group);
    const other = await matcher("needle", group);
    expect(threadOf(other)).toBe(threadOf(costly));
    const thread = threadOf(costly);
    const cut = costly.match("ab".repeat(100_000));
    // Queued behind the costly check on the same thread.
    const queued = other.match(`${"hay ".repeat(1000)}needle`);
    costly.close();
    await expect(cut).rejects.toThrow();
    await expect(queued).resolves.toBe(true);
    expect(threadOf(other)).not.toBe(thread);
    expect(await other.match("no")).toBe(false);
    other.close();
  });

  it("a thread that dies fails the waits it served, and only those", async () => {
    const group = {};
    const first = await matcher("one", group);
    const second = await matcher("two", group);
    const elsewhere = await matcher("three", {});
    // The fault: the thread ends under its waits (as running out of memory would end it), injected by
    // terminating it from outside.
    const worker = (first as unknown as { thread: { worker: { terminate(): Promise<number> } } }).thread
      .worker;
    await worker.terminate();
    await expect(first.match("one")).rejects.toThrow(/matcher thread exited/);
    await expect(second.match("two")).rejects.toThrow(/matcher thread exited/);
    expect(await elsewhere.match("three")).toBe(true);
    for (const made of [first, second, elsewhere]) made.close();
  });
});
