import { spawn as spawnChild } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import { readStat } from "../../src/panes/process-session.js";

/**
 * Nothing reads a spare's terminal but the buffer its pane is handed at the spawn. Under a non-root server an
 * unsandboxed pane (same uid) can open that terminal and write into it without end: the server would keep all of
 * it. Past 64 KiB the spare is not used (and what it held is dropped); the spawn takes another or starts afresh.
 */
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" };
const JUNK = "planted-by-another-pane ".repeat(40);

describe("a spare's terminal flooded before its spawn", () => {
  let host: EmbeddedPaneHost | undefined;
  afterEach(async () => {
    await host?.shutdown();
    host = undefined;
  });

  it("is not used: the spawn shows none of it, and the server kept at most 64 KiB", async () => {
    host = new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 }, undefined, undefined, { spares: true });
    const spares = host as unknown as {
      plainSpare: {
        spares: Array<{ process: { pid: number }; relay: { spoiled: boolean; chunks: Uint8Array[] } }>;
      };
    };
    const spawn = (argv: string[]) =>
      (host as EmbeddedPaneHost).startPane({
        name: "t",
        argv,
        cwd: process.cwd(),
        env: ENV,
        cols: 80,
        rows: 24,
        scrollback: 1000,
        owner: { kind: "agent", session: "test" },
        input: "raw",
      });
    // The first unsandboxed spawn starts afresh and has the next one made ahead.
    await spawn(["/bin/true"]).exited();
    // Its terminal, from /proc stat (the launcher is not dumpable: its fd links are closed to its own uid too),
    // once the forked child has made the pty its controlling terminal (0 until then, on a busy machine).
    const ttyOf = (pid: number | undefined) => (pid === undefined ? 0 : (readStat(pid)?.tty ?? 0));
    await expect
      .poll(() => ttyOf(spares.plainSpare.spares[0]?.process.pid), { timeout: 10_000 })
      .toBeGreaterThan(0);
    const spare = spares.plainSpare.spares[0] as NonNullable<(typeof spares.plainSpare.spares)[0]>;
    const ttyNr = ttyOf(spare.process.pid);
    const major = (ttyNr >> 8) & 0xfff;
    const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
    expect(major).toBeGreaterThanOrEqual(136);
    const tty = `/dev/pts/${(major - 136) * 256 + minor}`;
    // Another process writes, as another pane would (this thread is the one that reads the terminal).
    const writer = spawnChild("/bin/sh", ["-c", `yes '${JUNK}' | head -c ${200 * 1024} > ${tty}`], {
      stdio: "ignore",
    });
    expect(await new Promise((resolve) => writer.once("exit", resolve))).toBe(0);
    await expect.poll(() => spare.relay.spoiled, { timeout: 10_000 }).toBe(true);
    expect(spare.relay.chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)).toBe(0);
    const pane = spawn(["/bin/echo", "fresh-pane"]);
    expect(pane.pid).not.toBe(spare.process.pid);
    await pane.exited();
    const text = await pane.scrollbackText();
    expect(text).toContain("fresh-pane");
    expect(text).not.toContain("planted-by-another-pane");
  });
});
