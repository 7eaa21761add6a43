import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

// The screen thread runs compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));
const BURST = resolve(import.meta.dirname, "../fixtures/burst-then-exit.mjs");

type Host = import("../../src/panes/embedded/embedded-pane-host.js").EmbeddedPaneHost;

async function workerHost(ringBytes?: number): Promise<Host> {
  const { EmbeddedPaneHost } = (await import(
    resolve(DIST, "embedded/embedded-pane-host.js")
  )) as typeof import("../../src/panes/embedded/embedded-pane-host.js");
  const { WorkerScreens } = (await import(
    resolve(DIST, "worker-screens.js")
  )) as typeof import("../../src/panes/worker-screens.js");
  return new EmbeddedPaneHost({ maxPanes: 4, maxExitedPanes: 4 }, new WorkerScreens(undefined, ringBytes));
}

describe.skipIf(!built)("panes parsed on the screen thread (needs `npm run build`)", () => {
  let host: Host | undefined;
  afterEach(async () => {
    await host?.shutdown();
  });

  it("loses no output across the thread boundary: 1 MB then exit, final line readable, 5 runs", async () => {
    host = await workerHost();
    for (let run = 0; run < 5; run++) {
      const pane = host.startPane({
        name: "t",
        argv: [process.execPath, BURST],
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        cols: 100,
        rows: 30,
        scrollback: 20_000,
        owner: { kind: "agent", session: "test" },
        input: "raw",
      });
      await pane.exited();
      expect(await pane.scrollbackText(1), `run ${run}`).toBe("FINAL-LINE-MARKER");
      const lines = (await pane.scrollbackText()).split("\n");
      expect(lines).toHaveLength(10_001);
      await host.kill(pane.id);
    }
  }, 60_000);

  it("panes flooding at once through a ring too small for them each keep their own output, every line", async () => {
    // Security: batches of all panes share one ring (BatchRing); a place reused too early would put one pane's
    // output into another's screen. 512 KB makes some batches find no room (and go in buffers of their own) too.
    host = await workerHost(512 * 1024);
    const lines = 20_000;
    const script = (tag: string): string =>
      `for (let i = 0; i < ${lines}; i++) process.stdout.write("${tag}-" + i + "-" + "y".repeat(60) + "\\n");`;
    const panes = ["a", "b", "c"].map((tag) =>
      (host as Host).startPane({
        name: tag,
        argv: [process.execPath, "-e", script(tag)],
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        cols: 100,
        rows: 30,
        scrollback: 30_000,
        owner: { kind: "agent", session: "test" },
        input: "raw",
      }),
    );
    for (const [index, pane] of panes.entries()) {
      const tag = ["a", "b", "c"][index] as string;
      await pane.exited();
      const text = (await pane.scrollbackText()).split("\n");
      expect(text, tag).toHaveLength(lines);
      const wrong = text.findIndex((line, i) => line !== `${tag}-${i}-${"y".repeat(60)}`);
      expect(wrong === -1 ? "" : text[wrong], tag).toBe("");
    }
  }, 60_000);

  it("answers device queries and keeps new-output marks in order with writes", async () => {
    host = await workerHost();
    const pane = host.startPane({
      name: "sh",
      argv: ["/usr/bin/bash", "--norc", "--noprofile"],
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TERM: "xterm-256color" },
      cols: 80,
      rows: 24,
      scrollback: 1000,
      owner: { kind: "agent", session: "test" },
      input: "raw",
    });
    const { waitForOutput } = (await import(
      resolve(DIST, "embedded/wait-for-output.js")
    )) as typeof import("../../src/panes/embedded/wait-for-output.js");
    await pane.newText("reader");
    // A cursor-position query answered by the emulator on the screen thread reaches the program.
    pane.write(`IFS=';' read -rs -d R -p $'\\e[6n' row col; echo "cpr-\${row#*[}-$col"\r`);
    expect(await waitForOutput(pane, { query: { regex: "cpr-\\d+-\\d+" }, timeoutMs: 10_000 })).toBe(
      "matched",
    );
    const fresh = await pane.newText("reader");
    expect(fresh.text).toMatch(/cpr-\d+-\d+/);
  });

  it("a pane flooding the screen thread does not starve reads of another pane", async () => {
    host = await workerHost();
    const spec = (argv: string[]) => ({
      name: "t",
      argv,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cols: 80,
      rows: 24,
      scrollback: 1000,
      owner: { kind: "agent" as const, session: "test" },
      input: "raw" as const,
    });
    const quiet = host.startPane(spec(["/usr/bin/echo", "quiet-pane-text"]));
    await quiet.exited();
    host.startPane(spec(["/usr/bin/yes", "flood"]));
    // Liveness (latency is benchmarked): every read is answered, with the quiet pane's own text.
    for (let i = 0; i < 50; i++) expect((await quiet.snapshot()).text).toBe("quiet-pane-text");
  });

  it("wait_for sees every line that scrolls past, across the thread boundary", async () => {
    host = await workerHost();
    const { waitForOutput } = (await import(
      resolve(DIST, "embedded/wait-for-output.js")
    )) as typeof import("../../src/panes/embedded/wait-for-output.js");
    const pane = host.startPane({
      name: "seq",
      argv: ["/usr/bin/seq", "1", "200000"],
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      cols: 80,
      rows: 24,
      scrollback: 300_000,
      owner: { kind: "agent", session: "test" },
      input: "raw",
    });
    const targets = ["50001", "123457", "177777", "199999"];
    const outcomes = await Promise.all(
      targets.map((line) => waitForOutput(pane, { query: { regex: `^${line}$` }, timeoutMs: 30_000 })),
    );
    expect(outcomes).toEqual(targets.map(() => "matched"));
  });
});
