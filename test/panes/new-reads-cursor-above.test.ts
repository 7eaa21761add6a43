import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PaneHost } from "../../src/panes/pane-host.js";
import { embeddedHosts } from "../support/embedded-hosts.js";

// Attack review (2026-12-03, fifth session): a program that moves the cursor up over lines it printed (a progress
// block, a TUI) left every later `new` read returning those lines again, unchanged, on every call: a `new` read
// starts at the line the cursor was on, and took the lines from there as new each time. They now come again once,
// when the cursor moves up to them, and after that only when they change.

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

/** Polls `probe` (async) until it returns true. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not reached in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(embeddedHosts({ maxPanes: 4, maxExitedPanes: 4 }))(
  "new reads with the cursor above printed lines (%s)",
  (_label, makeHost) => {
    let host: PaneHost | undefined;
    let dir: string | undefined;
    afterEach(async () => {
      await host?.shutdown();
      host = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    /** A 40×10 pane whose program prints what is typed, byte for byte; `print` waits until `shown` holds. */
    async function rawPane() {
      ({ host } = await makeHost());
      const made = host;
      dir = mkdtempSync(join(tmpdir(), "ccmux-new-above-"));
      const ready = join(dir, "ready");
      // Raw, no echo: what is typed comes back out of `cat` byte for byte.
      const { pane } = await made.spawn({
        name: "t",
        argv: ["/bin/sh", "-c", `stty raw -echo; : > ${ready}; exec cat`],
        cwd: dir,
        env: ENV,
        cols: 40,
        rows: 10,
        scrollback: 1000,
        owner: { kind: "agent", session: "test" },
        input: "raw",
        sandboxed: false,
      });
      const { id } = pane;
      await until(async () => existsSync(ready), "the terminal in raw mode");
      const print = async (bytes: string, shown: (screen: string, row: number) => boolean) => {
        await made.write(id, [{ bytes, settle: false }]);
        await until(async () => {
          const read = await made.read(id, "screen", "probe");
          return shown(read.screen, read.cursor.row);
        }, JSON.stringify(bytes));
      };
      const readNew = async () => (await made.read(id, "new", "agent")).text;
      return { made, id, print, readNew };
    }

    it("return those lines once when the cursor moves up to them, then only when one changes", async () => {
      const { print, readNew } = await rawPane();
      const printed = ["L0", "L1", "L2", "L3", "L4", "L5"];
      await print(`${printed.join("\r\n")}\r\n`, (_screen, row) => row === 6);
      expect(await readNew()).toBe(printed.join("\n"));
      await print("\x1b[3A", (_screen, row) => row === 3);
      expect(await readNew()).toBe("");
      // The cursor's line and those below it, once, as they now read; then nothing while nothing changes.
      expect(await readNew()).toBe("L3\nL4\nL5");
      expect(await readNew()).toBe("");
      expect(await readNew()).toBe("");
      // A line the program rewrites there comes again whole, with the lines after it.
      await print("\rL3-CHANGED", (screen) => screen.includes("L3-CHANGED"));
      expect(await readNew()).toBe("L3-CHANGED\nL4\nL5");
      expect(await readNew()).toBe("");
      // Back below them, new lines come as always, each once.
      await print("\r\x1b[3Bnext\r\n", (_screen, row) => row === 7);
      expect(await readNew()).toBe("next");
      expect(await readNew()).toBe("");
    });

    it("two reads at once return each line once: the second starts where the first ends", async () => {
      const { print, readNew } = await rawPane();
      const printed = Array.from({ length: 20 }, (_, i) => `S${i}`);
      await print(`${printed.join("\r\n")}\r\n`, (screen) => screen.includes("S19"));
      const both = await Promise.all([readNew(), readNew(), readNew()]);
      const lines = both.flatMap((text) => (text === "" ? [] : text.split("\n")));
      expect(lines).toEqual(printed);
    });

    it("a shorter screen that cuts rows below the cursor returns nothing the reader saw", async () => {
      const { made, id, print, readNew } = await rawPane();
      const printed = Array.from({ length: 8 }, (_, i) => `r${i}`);
      await print(`${printed.join("\r\n")}\x1b[3;1H`, (screen, row) => screen.includes("r7") && row === 2);
      expect(await readNew()).toBe(printed.join("\n"));
      await made.resize(id, 40, 5);
      expect(await readNew()).toBe("");
      await print("\r\x1b[4Bend\r\n", (screen) => screen.includes("end"));
      expect(await readNew()).toBe("end");
    });
  },
);
