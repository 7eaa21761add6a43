import { describe, expect, it } from "vitest";
import { CcmuxError } from "../../src/errors.js";
import { KEY_NAMES, keyBytes, resolveKey } from "../../src/validation/key-table.js";

function unknownKey(name: string): CcmuxError {
  try {
    keyBytes(name);
  } catch (error) {
    if (error instanceof CcmuxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be refused`);
}

describe("key table", () => {
  it.each([
    ["Enter", "\r"],
    ["Tab", "\t"],
    ["S-Tab", "\x1b[Z"],
    ["Space", " "],
    ["Escape", "\x1b"],
    ["Backspace", "\x7f"],
    ["Up", "\x1b[A"],
    ["Down", "\x1b[B"],
    ["Right", "\x1b[C"],
    ["Left", "\x1b[D"],
    ["Home", "\x1b[H"],
    ["End", "\x1b[F"],
    ["PageUp", "\x1b[5~"],
    ["PageDown", "\x1b[6~"],
    ["Insert", "\x1b[2~"],
    ["Delete", "\x1b[3~"],
    ["C-a", "\x01"],
    ["C-c", "\x03"],
    ["C-d", "\x04"],
    ["C-z", "\x1a"],
    ["C-\\", "\x1c"],
    ["F1", "\x1bOP"],
    ["F4", "\x1bOS"],
    ["F5", "\x1b[15~"],
    ["F6", "\x1b[17~"],
    ["F10", "\x1b[21~"],
    ["F11", "\x1b[23~"],
    ["F12", "\x1b[24~"],
  ])("%s sends the xterm bytes", (name, bytes) => {
    expect(keyBytes(name)).toBe(bytes);
  });

  it("lists every documented key, each once", () => {
    const documented = [
      "Enter",
      "Tab",
      "Escape",
      "Backspace",
      "Up",
      "Down",
      "Left",
      "Right",
      "Home",
      "End",
      "PageUp",
      "PageDown",
      "Delete",
      "Insert",
      "Space",
      ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
    ];
    for (const name of documented) expect(KEY_NAMES).toContain(name);
    expect(new Set(KEY_NAMES).size).toBe(KEY_NAMES.length);
    for (const name of KEY_NAMES) expect(keyBytes(name).length).toBeGreaterThan(0);
    for (let i = 0; i < 26; i += 1) expect(keyBytes(`C-${String.fromCharCode(0x61 + i)}`)).toHaveLength(1);
  });

  it("C-a … C-z are the bytes 0x01 … 0x1a in order", () => {
    for (let i = 0; i < 26; i += 1) {
      expect(keyBytes(`C-${String.fromCharCode(0x61 + i)}`)).toBe(String.fromCharCode(i + 1));
    }
  });

  it("application cursor mode (DECCKM) switches arrows, Home and End to SS3 and nothing else", () => {
    const app = { applicationCursor: true };
    expect(["Up", "Down", "Right", "Left", "Home", "End"].map((k) => keyBytes(k, app))).toEqual([
      "\x1bOA",
      "\x1bOB",
      "\x1bOC",
      "\x1bOD",
      "\x1bOH",
      "\x1bOF",
    ]);
    for (const name of ["Enter", "PageUp", "Delete", "F1", "F5", "C-c"]) {
      expect(keyBytes(name, app)).toBe(keyBytes(name));
    }
    expect(keyBytes("Up", { applicationCursor: false })).toBe("\x1b[A");
  });

  it("names match case-insensitively; C-A is the same byte as C-a", () => {
    expect(keyBytes("enter")).toBe("\r");
    expect(keyBytes("PAGEUP")).toBe("\x1b[5~");
    expect(keyBytes("C-A")).toBe("\x01");
    expect(keyBytes("c-c")).toBe("\x03");
    expect(keyBytes("f12")).toBe("\x1b[24~");
  });

  it("every control code a terminal sends has a C- name (caret notation)", () => {
    expect(keyBytes("C-@")).toBe("\0");
    expect(keyBytes("C-Space")).toBe("\0");
    expect(keyBytes("C-[")).toBe("\x1b");
    expect(keyBytes("C-\\")).toBe("\x1c");
    expect(keyBytes("C-]")).toBe("\x1d");
    expect(keyBytes("C-^")).toBe("\x1e");
    expect(keyBytes("C-_")).toBe("\x1f");
    expect(keyBytes("C-?")).toBe("\x7f");
    const codes = new Set(
      ["@", ..."abcdefghijklmnopqrstuvwxyz", "[", "\\", "]", "^", "_", "?"].map((c) => keyBytes(`C-${c}`)),
    );
    expect([...codes].sort()).toEqual(
      [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), "\x7f"].sort(),
    );
  });

  it("C-Backspace sends BS: Control toggles xterm's backarrow key", () => {
    expect(keyBytes("C-Backspace")).toBe("\b");
  });

  it.each([
    ["M-x", "\x1bx"],
    ["M-X", "\x1bX"],
    ["M-.", "\x1b."],
    ["M-Enter", "\x1b\r"],
    ["M-Backspace", "\x1b\x7f"],
    ["M-Tab", "\x1b\t"],
    ["M-Escape", "\x1b\x1b"],
    ["M-Space", "\x1b "],
    ["M-C-x", "\x1b\x18"],
    ["C-M-x", "\x1b\x18"],
    ["M-C-Backspace", "\x1b\b"],
    ["M-S-Tab", "\x1b\x1b[Z"],
  ])("Meta on a character key prefixes ESC (metaSendsEscape): %s", (name, bytes) => {
    expect(keyBytes(name)).toBe(bytes);
  });

  it.each([
    ["S-Up", "\x1b[1;2A"],
    ["M-Down", "\x1b[1;3B"],
    ["S-M-Right", "\x1b[1;4C"],
    ["C-Left", "\x1b[1;5D"],
    ["C-S-Home", "\x1b[1;6H"],
    ["C-M-End", "\x1b[1;7F"],
    ["C-M-S-Up", "\x1b[1;8A"],
    ["S-PageUp", "\x1b[5;2~"],
    ["C-PageDown", "\x1b[6;5~"],
    ["S-Insert", "\x1b[2;2~"],
    ["C-Delete", "\x1b[3;5~"],
    ["S-F1", "\x1b[1;2P"],
    ["C-F4", "\x1b[1;5S"],
    ["M-F5", "\x1b[15;3~"],
    ["C-F12", "\x1b[24;5~"],
    ["S-F10", "\x1b[21;2~"],
  ])("modified cursor, editing and function keys carry xterm's parameter: %s", (name, bytes) => {
    expect(keyBytes(name)).toBe(bytes);
  });

  it("modified cursor keys are CSI 1;m x in application cursor mode too; unmodified ones are SS3", () => {
    const app = { applicationCursor: true };
    expect(keyBytes("C-Left", app)).toBe("\x1b[1;5D");
    expect(keyBytes("S-Home", app)).toBe("\x1b[1;2H");
    expect(keyBytes("Left", app)).toBe("\x1bOD");
  });

  it("modifiers match in any order and case", () => {
    expect(keyBytes("m-c-x")).toBe("\x1b\x18");
    expect(keyBytes("s-c-LEFT")).toBe("\x1b[1;6D");
    expect(keyBytes("c-m-s-f5")).toBe("\x1b[15;8~");
  });

  it("only M- on a printable character is marked as typing a character", () => {
    expect(resolveKey("M-x").typesCharacter).toBe(true);
    expect(resolveKey("M-/").typesCharacter).toBe(true);
    for (const name of ["M-Enter", "M-Space", "C-M-x", "M-F5", "M-Left", "C-]", "Space", "Escape"]) {
      expect(resolveKey(name).typesCharacter).toBe(false);
    }
  });

  it("accepts the tmux spellings agents reach for", () => {
    expect(keyBytes("Esc")).toBe("\x1b");
    expect(keyBytes("Return")).toBe("\r");
    expect(keyBytes("BSpace")).toBe("\x7f");
    expect(keyBytes("BTab")).toBe("\x1b[Z");
    expect(keyBytes("PgUp")).toBe("\x1b[5~");
    expect(keyBytes("PgDn")).toBe("\x1b[6~");
    expect(keyBytes("IC")).toBe("\x1b[2~");
    expect(keyBytes("DC")).toBe("\x1b[3~");
    expect(keyBytes("PPage")).toBe("\x1b[5~");
    expect(keyBytes("NPage")).toBe("\x1b[6~");
    expect(keyBytes("M-Esc")).toBe("\x1b\x1b");
    expect(keyBytes("M-BTab")).toBe("\x1b\x1b[Z");
  });
});

describe("unknown keys are refused with UNKNOWN_KEY", () => {
  it("names the bad key and lists the valid ones compactly", () => {
    const error = unknownKey("Enterr");
    expect(error.code).toBe("UNKNOWN_KEY");
    expect(error.message).toContain('"Enterr"');
    expect(error.message).toContain("C-a…C-z");
    expect(error.message).toContain("F1…F12");
    expect(error.message).toContain("C-]");
    expect(error.message).toContain("M-x");
    expect(error.message).toContain("C-Left");
    expect(error.message.length).toBeLessThan(350);
  });

  it("says why a name is refused", () => {
    expect(unknownKey("C-Enter").message).toContain("no distinct bytes");
    expect(unknownKey("x").message).toContain("text");
    expect(unknownKey("C-1").message).toContain("C- takes a letter");
    expect(unknownKey("C-M-C-x").message).toContain("repeated");
  });

  it.each([
    "",
    " Enter",
    "Enter ",
    "F13",
    "F0",
    "C-1",
    "C-",
    "M-",
    "x",
    "S-x",
    "C-Enter",
    "S-Enter",
    "C-Tab",
    "S-Space",
    "C-Escape",
    "S-Backspace",
    "C-S-Tab",
    "S-BTab",
    "M-M-x",
    "M-é",
    "M-\x7f",
    "M-\x1b",
    "C-\x00",
    "Ctrl-C",
    "^C",
    "\x03",
    "\r",
  ])("%j is not a key", (name) => {
    expect(unknownKey(name).code).toBe("UNKNOWN_KEY");
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "prototype property %s is not a key (lookup is not a plain object)",
    (name) => {
      expect(unknownKey(name).code).toBe("UNKNOWN_KEY");
    },
  );

  it("a huge or control-laden name is echoed shortened and escaped", () => {
    const error = unknownKey(`\x1b]52;c;${"A".repeat(5000)}`);
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).not.toContain("A".repeat(33));
    expect(error.message).not.toContain("\x1b");
    expect(error.message).toContain("\\u001b");
  });
});
