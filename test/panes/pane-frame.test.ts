import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Pane } from "../../src/panes/embedded/pane.js";
import { LocalScreens } from "../../src/panes/local-screens.js";
import type { PaneHost, PaneSpawnSpec } from "../../src/panes/pane-host.js";
import { sanitizeText } from "../../src/panes/sanitize.js";
import { ATTR, DEFAULT_COLOR, type PaneFrame } from "../../src/panes/screen-frame.js";
import { embeddedHosts, type MadeHost } from "../support/embedded-hosts.js";

/**
 * What `ccmux attach` draws, read through the pane host with both screen factories: the screen thread (`serve`,
 * the daemon) and the calling thread (the fallback). A real pane prints; its frame must read as read_pane does.
 */
const D = DEFAULT_COLOR;

const LIMITS = { maxPanes: 4, maxExitedPanes: 4 };
const FACTORIES = embeddedHosts(LIMITS);

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TERM: "xterm-256color" };

function spec(script: string, more: Partial<PaneSpawnSpec> = {}): PaneSpawnSpec {
  return {
    name: "frame",
    argv: ["/bin/sh", "-c", script],
    cwd: process.cwd(),
    env: ENV,
    cols: 40,
    rows: 6,
    scrollback: 100,
    owner: { kind: "agent", session: "s-frame" },
    input: "raw",
    sandboxed: false,
    ...more,
  };
}

/** Hides the cursor, prints coloured text, a wide pair, a bidi override and concealed text, and stays. */
const COLOURED =
  "printf '\\033[?25l\\033[31mred\\033[0m \\033[1;44mbold-on-blue\\033[0m 中文\\n" +
  "a\\342\\200\\256b \\033[8mSECRET\\033[0m done-%s\\n' $((6*7)); exec sleep 60";

function rowTexts(frame: PaneFrame): string[] {
  return frame.lines.map((runs) =>
    runs
      .map(([text]) => text)
      .join("")
      .replace(/ +$/u, ""),
  );
}

async function screenRows(host: PaneHost, id: string, rows: number): Promise<string[]> {
  const read = await host.read(id, "screen", "frame-test");
  const lines = sanitizeText(read.screen).split("\n");
  return Array.from({ length: rows }, (_, i) => (lines[i] ?? "").replace(/ +$/u, ""));
}

describe.each(FACTORIES)("PaneHost.frame: %s", (_name, make) => {
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

  it("a pane printing coloured text gives its runs, and each frame row reads as read_pane's row", async () => {
    const h = await host();
    const { pane } = await h.spawn(spec(COLOURED));
    const waited = await h.wait(pane.id, {
      query: { text: "done-42" },
      timeoutMs: 10_000,
      screenBy: Date.now() + 11_000,
    });
    expect(waited.outcome).toBe("matched");
    const frame = await h.frame(pane.id);
    expect(frame.lines[0]).toEqual([
      ["red", 1, D, 0],
      [" ", D, D, 0],
      ["bold-on-blue", D, 4, ATTR.bold],
      [" 中文", D, D, 0],
    ]);
    expect(frame.lines[1]).toEqual([["a⟨U+202E⟩b ⟨HIDDEN×6⟩ done-42", D, D, 0]]);
    expect(frame).toMatchObject({
      cols: 40,
      rows: 6,
      cursor: { row: 2, col: 0 },
      cursorVisible: false,
      alternate: false,
    });
    expect(rowTexts(frame)).toEqual(await screenRows(h, pane.id, 6));
    expect(JSON.stringify(frame)).not.toContain("SECRET");
    // Plain data: it crosses the daemon socket as JSON unchanged.
    expect(JSON.parse(JSON.stringify(frame))).toEqual(frame);
  });

  it("a resize gives frames of the new size; the alternate screen is flagged", async () => {
    const h = await host();
    const { pane } = await h.spawn(
      spec(
        "printf 'before\\n'; read x; printf '\\033[?1049h\\033[H\\033[7malt-%s\\033[0m' \"$x\"; exec sleep 60",
      ),
    );
    await h.wait(pane.id, { query: { text: "before" }, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    await h.resize(pane.id, 30, 4);
    let frame = await h.frame(pane.id);
    expect(frame).toMatchObject({ cols: 30, rows: 4, alternate: false });
    expect(frame.lines).toHaveLength(4);
    await h.write(pane.id, [{ bytes: "go\r", settle: false }]);
    await h.wait(pane.id, { query: { text: "alt-go" }, timeoutMs: 10_000, screenBy: Date.now() + 11_000 });
    frame = await h.frame(pane.id);
    expect(frame.alternate).toBe(true);
    expect(frame.lines[0]).toEqual([["alt-go", D, D, ATTR.inverse]]);
    expect(rowTexts(frame)).toEqual(await screenRows(h, pane.id, 4));
  });

  it("an unknown or killed pane is PANE_NOT_FOUND", async () => {
    const h = await host();
    await expect(h.frame("p-AAAAAAAAAAAAAAAA")).rejects.toMatchObject({ code: "PANE_NOT_FOUND" });
    const { pane } = await h.spawn(spec("exec sleep 60"));
    expect((await h.frame(pane.id)).rows).toBe(6);
    await h.kill(pane.id, "SIGKILL");
    await expect(h.frame(pane.id)).rejects.toMatchObject({ code: "PANE_NOT_FOUND" });
  });
});

describe("Pane.frame once the pane is disposed", () => {
  it("is a blank screen of the pane's last size", async () => {
    const screens = new LocalScreens();
    const pane = new Pane(
      {
        id: "p-frame",
        name: "frame",
        argv: ["/bin/sh", "-c", "printf 'shown'; exec sleep 60"],
        cwd: process.cwd(),
        env: ENV,
        cols: 20,
        rows: 3,
        scrollback: 10,
        owner: { kind: "agent", session: "s-frame" },
        input: "raw",
      },
      screens,
    );
    try {
      await pane.resize(25, 4);
      await pane.kill("SIGKILL");
      pane.dispose();
      expect(await pane.frame()).toEqual({
        cols: 25,
        rows: 4,
        lines: [[], [], [], []],
        cursor: { row: 0, col: 0 },
        cursorVisible: true,
        alternate: false,
      });
    } finally {
      await pane.kill("SIGKILL");
      pane.dispose();
    }
  });
});
