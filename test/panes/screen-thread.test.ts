import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { screenThreadHost } from "../support/embedded-hosts.js";

// The screen thread runs compiled JavaScript, so this suite drives the build (npm test builds first).
const DIST = resolve(import.meta.dirname, "../../dist/panes");
const built = existsSync(resolve(DIST, "screen-thread.js"));
const BURST = resolve(import.meta.dirname, "../fixtures/burst-then-exit.mjs");

type Host = import("../../src/panes/embedded/embedded-pane-host.js").EmbeddedPaneHost;

const workerHost = (ringBytes?: number): Promise<Host> =>
  screenThreadHost({ maxPanes: 4, maxExitedPanes: 4 }, { ringBytes });

/** A raw-input agent pane running `argv` in this directory, `cols`×`rows` with `scrollback` rows of history. */
function spec(
  name: string,
  argv: string[],
  size: { cols: number; rows: number; scrollback: number },
  env = {},
) {
  return {
    name,
    argv,
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    ...size,
    owner: { kind: "agent" as const, session: "test" },
    input: "raw" as const,
  };
}

describe.skipIf(!built)("panes parsed on the screen thread (needs `npm run build`)", () => {
  let host: Host | undefined;
  afterEach(async () => {
    await host?.shutdown();
  });

  it("loses no output across the thread boundary: 1 MB then exit, final line readable, 5 runs", async () => {
    host = await workerHost();
    for (let run = 0; run < 5; run++) {
      const pane = host.startPane(
        spec("t", [process.execPath, BURST], { cols: 100, rows: 30, scrollback: 20_000 }),
      );
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
      (host as Host).startPane(
        spec(tag, [process.execPath, "-e", script(tag)], { cols: 100, rows: 30, scrollback: 30_000 }),
      ),
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
    const pane = host.startPane(
      spec(
        "sh",
        ["/usr/bin/bash", "--norc", "--noprofile"],
        { cols: 80, rows: 24, scrollback: 1000 },
        {
          TERM: "xterm-256color",
        },
      ),
    );
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
    const size = { cols: 80, rows: 24, scrollback: 1000 };
    const quiet = host.startPane(spec("t", ["/usr/bin/echo", "quiet-pane-text"], size));
    await quiet.exited();
    host.startPane(spec("t", ["/usr/bin/yes", "flood"], size));
    // Liveness (latency is benchmarked): every read is answered, with the quiet pane's own text.
    for (let i = 0; i < 50; i++) expect((await quiet.snapshot()).text).toBe("quiet-pane-text");
  });

  it("wait_for sees every line that scrolls past, across the thread boundary", async () => {
    host = await workerHost();
    const { waitForOutput } = (await import(
      resolve(DIST, "embedded/wait-for-output.js")
    )) as typeof import("../../src/panes/embedded/wait-for-output.js");
    const pane = host.startPane(
      spec("seq", ["/usr/bin/seq", "1", "200000"], { cols: 80, rows: 24, scrollback: 300_000 }),
    );
    const targets = ["50001", "123457", "177777", "199999"];
    const outcomes = await Promise.all(
      targets.map((line) => waitForOutput(pane, { query: { regex: `^${line}$` }, timeoutMs: 30_000 })),
    );
    expect(outcomes).toEqual(targets.map(() => "matched"));
  });
});
