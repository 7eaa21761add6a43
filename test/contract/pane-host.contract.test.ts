import { existsSync, rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { PaneHost, PaneInfo, PaneSpawnSpec } from "../../src/panes/pane-host.js";
import type { Keystroke } from "../../src/shared/keystroke.js";
import { embeddedHosts, type MadeHost } from "../support/embedded-hosts.js";

/**
 * The PaneHost contract: what every pane host promises the tools, run against each implementation. The daemon
 * serves the tools over the embedded host (see test/contract/tools-over-daemon.contract.test.ts for the same
 * calls through `serve` and `serve --daemon`), so the implementations here are the embedded host with its two
 * screen factories: the screen thread (`serve`, the daemon) and the calling thread (the fallback).
 */

const LIMITS = { maxPanes: 4, maxExitedPanes: 4 };
const IMPLEMENTATIONS = embeddedHosts(LIMITS, "embedded host, ");

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

function spec(argv: string[], more: Partial<PaneSpawnSpec> = {}): PaneSpawnSpec {
  return {
    name: "contract",
    argv,
    cwd: process.cwd(),
    env: ENV,
    cols: 80,
    rows: 24,
    scrollback: 1000,
    owner: { kind: "agent", session: "s-contract" },
    input: "raw",
    sandboxed: false,
    ...more,
  };
}

const SHELL = ["/bin/sh"];

/** Text as one keystroke (what send_keys plans for plain text). */
function keystrokesOf(text: string): Keystroke[] {
  return [{ bytes: text, settle: false }];
}

describe.each(IMPLEMENTATIONS)("PaneHost contract: %s", (_name, make) => {
  let made: MadeHost | undefined;
  afterEach(async () => {
    await made?.host.shutdown();
    if (made) rmSync(made.sessionBase, { recursive: true, force: true });
    made = undefined;
  });

  async function host(): Promise<PaneHost> {
    made = await make();
    return made.host;
  }

  async function typeLine(h: PaneHost, id: string, line: string): Promise<void> {
    await h.write(id, keystrokesOf(`${line}\r`));
  }

  it("spawn returns plain data; list and info return the same pane; an unknown id is undefined", async () => {
    const h = await host();
    const { pane, warnings } = await h.spawn(spec(SHELL, { name: "first" }));
    expect(warnings).toEqual([]);
    expect(pane).toMatchObject({
      name: "first",
      argv: SHELL,
      owner: { kind: "agent", session: "s-contract" },
      input: "raw",
      sandboxed: false,
      alive: true,
      exit: null,
    });
    expect(pane.id).toMatch(/^p-[A-Za-z0-9_-]{16}$/);
    // Plain data: it survives a JSON round trip unchanged (nothing live crosses the seam).
    expect(JSON.parse(JSON.stringify(pane))).toEqual(pane);
    expect((await h.list()).map((p) => p.id)).toEqual([pane.id]);
    expect(await h.info(pane.id)).toEqual(pane);
    expect(await h.info("p-AAAAAAAAAAAAAAAA")).toBeUndefined();
  });

  it("write, then wait for the echo; read shows it on the screen with the cursor", async () => {
    const h = await host();
    const { pane } = await h.spawn(spec(SHELL));
    await typeLine(h, pane.id, "echo contract-$((6*7))");
    const waited = await h.wait(pane.id, {
      query: { text: "contract-42" },
      timeoutMs: 10_000,
      screenBy: Date.now() + 11_000,
    });
    expect(waited.outcome).toBe("matched");
    expect(waited.pane.id).toBe(pane.id);
    const read = await h.read(pane.id, "screen", "r1");
    expect(read.text).toContain("contract-42");
    expect(read.screen).toBe(read.text);
    expect(read.cursor.row).toBeGreaterThan(0);
    expect(read.pane.alive).toBe(true);
  });

  it("`new` reads keep one cursor per reader: each reader sees each line once", async () => {
    const h = await host();
    const { pane } = await h.spawn(spec(SHELL));
    await typeLine(h, pane.id, "echo one-$((1))");
    await h.wait(pane.id, { query: { text: "one-1" }, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    expect((await h.read(pane.id, "new", "reader-a")).text).toContain("one-1");
    await typeLine(h, pane.id, "echo two-$((2))");
    await h.wait(pane.id, { query: { text: "two-2" }, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    const a = await h.read(pane.id, "new", "reader-a");
    expect(a.text).toContain("two-2");
    expect(a.text).not.toContain("one-1");
    // Another reader has read nothing yet: it gets everything held.
    const b = await h.read(pane.id, "new", "reader-b");
    expect(b.text).toContain("one-1");
    expect(b.text).toContain("two-2");
  });

  it("a since-mark taken before typing makes the wait ignore what was on the screen before", async () => {
    const h = await host();
    const { pane } = await h.spawn(spec(SHELL));
    await typeLine(h, pane.id, "echo ready-$((1))");
    await h.wait(pane.id, { query: { text: "ready-1" }, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    const since = await h.wait(pane.id, {
      query: { text: "ready-1" },
      since: true,
      timeoutMs: 300,
      screenBy: Date.now() + 1_000,
    });
    expect(since.outcome).toBe("timeout");
    expect(since.screen).toContain("ready-1");
    const sinceMark = h.markSince(pane.id);
    await typeLine(h, pane.id, "echo ready-$((2))");
    const after = await h.wait(pane.id, {
      query: { regex: "ready-[0-9]" },
      sinceMark,
      excerpt: true,
      timeoutMs: 10_000,
      screenBy: Date.now() + 11_000,
    });
    expect(after.outcome).toBe("matched");
    expect(after.excerpt).toContain("ready-2");
  });

  it("resize reaches the program (stty size) and the screen", async () => {
    const h = await host();
    const { pane } = await h.spawn(spec(SHELL));
    await h.resize(pane.id, 100, 30);
    await typeLine(h, pane.id, "stty size");
    const waited = await h.wait(pane.id, {
      query: { text: "30 100" },
      timeoutMs: 10_000,
      screenBy: Date.now() + 11_000,
    });
    expect(waited.outcome).toBe("matched");
  });

  it("a kill right after spawn reaches the program with its own signal (not SIGKILL after the grace)", async () => {
    const h = await host();
    for (let round = 0; round < 10; round++) {
      const { pane } = await h.spawn(spec(["/bin/sleep", "60"]));
      const ended = await h.kill(pane.id, "SIGTERM");
      expect(ended?.exit).toEqual(expect.objectContaining({ exitCode: null, signal: 15 }));
    }
  });

  it("exit is an event with an unsubscribe; kill resolves with how the pane ended and forgets it", async () => {
    const h = await host();
    const exits: PaneInfo[] = [];
    const dropped: PaneInfo[] = [];
    h.on("exit", (pane) => exits.push(pane));
    const off = h.on("exit", (pane) => dropped.push(pane));
    off();
    const { pane: quick } = await h.spawn(spec(["/bin/sh", "-c", "exit 3"]));
    const waited = await h.wait(quick.id, { exit: true, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    expect(waited.outcome).toBe("exited");
    expect(waited.pane.exit).toEqual({ exitCode: 3, signal: null });
    expect(exits.map((p) => p.id)).toEqual([quick.id]);
    expect(dropped).toEqual([]);
    const { pane: long } = await h.spawn(spec(["/bin/sleep", "60"]));
    const ended = await h.kill(long.id, "SIGTERM");
    expect(ended).toMatchObject({ id: long.id, alive: false, exit: { exitCode: null, signal: 15 } });
    expect(await h.info(long.id)).toBeUndefined();
    expect(await h.kill(long.id)).toBeUndefined();
  });

  it("a pane's session directory is made fresh and private, named in the env, and removed with the pane", async () => {
    const h = await host();
    const { pane } = await h.spawn(
      spec(["/bin/sh", "-c", 'echo "dir=$CCMUX_SESSION_DIR"; exec sleep 60'], {
        sessionDir: { envName: "CCMUX_SESSION_DIR", keep: false },
      }),
    );
    expect(pane.sessionDir).toBeDefined();
    const dir = pane.sessionDir as string;
    expect(existsSync(dir)).toBe(true);
    const waited = await h.wait(pane.id, {
      query: { text: `dir=${dir}` },
      timeoutMs: 10_000,
      screenBy: Date.now() + 11_000,
    });
    expect(waited.outcome).toBe("matched");
    await h.kill(pane.id, "SIGKILL");
    expect(existsSync(dir)).toBe(false);
  });

  it("every call naming a pane that is not there answers PANE_NOT_FOUND and changes nothing", async () => {
    const h = await host();
    const id = "p-AAAAAAAAAAAAAAAA";
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["keyboard", () => h.keyboard(id)],
      ["write", () => h.write(id, keystrokesOf("x"))],
      ["read", () => h.read(id, "screen", "r")],
      ["wait", () => h.wait(id, { exit: true, timeoutMs: 10, screenBy: Date.now() + 100 })],
      ["resize", () => h.resize(id, 80, 24)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: "PANE_NOT_FOUND" });
    }
    expect(await h.list()).toEqual([]);
  });

  it("maxPanes is checked before anything starts; after shutdown nothing starts", async () => {
    const h = await host();
    for (let i = 0; i < LIMITS.maxPanes; i++) await h.spawn(spec(["/bin/sleep", "60"]));
    await expect(h.spawn(spec(["/bin/sleep", "60"]))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    expect(() => h.assertCanSpawn()).toThrow(/At most 4 panes/);
    await h.shutdown();
    expect(await h.list()).toEqual([]);
    await expect(h.spawn(spec(["/bin/sleep", "60"]))).rejects.toMatchObject({ code: "INTERNAL" });
  });
});
