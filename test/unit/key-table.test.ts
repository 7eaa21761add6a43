import { describe, expect, it } from "vitest";
import { CcmuxError } from "../../src/errors.js";
import { KEY_NAMES, keyBytes } from "../../src/validation/key-table.js";

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
      ...Array.from({ length: 26 }, (_, i) => `C-${String.fromCharCode(0x61 + i)}`),
      ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
    ];
    for (const name of documented) expect(KEY_NAMES).toContain(name);
    expect(new Set(KEY_NAMES).size).toBe(KEY_NAMES.length);
    for (const name of KEY_NAMES) expect(keyBytes(name).length).toBeGreaterThan(0);
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

  it("accepts the tmux spellings agents reach for", () => {
    expect(keyBytes("Esc")).toBe("\x1b");
    expect(keyBytes("Return")).toBe("\r");
    expect(keyBytes("BSpace")).toBe("\x7f");
    expect(keyBytes("BTab")).toBe("\x1b[Z");
    expect(keyBytes("PgUp")).toBe("\x1b[5~");
    expect(keyBytes("PgDn")).toBe("\x1b[6~");
  });
});

describe("unknown keys are refused with UNKNOWN_KEY", () => {
  it("names the bad key and lists the valid ones compactly", () => {
    const error = unknownKey("Enterr");
    expect(error.code).toBe("UNKNOWN_KEY");
    expect(error.message).toContain('"Enterr"');
    expect(error.message).toContain("C-a…C-z");
    expect(error.message).toContain("F1…F12");
    expect(error.message.length).toBeLessThan(250);
  });

  it.each(["", " Enter", "Enter ", "F13", "F0", "C-1", "C-@", "C-", "M-x", "Ctrl-C", "^C", "\x03", "\r"])(
    "%j is not a key",
    (name) => {
      expect(unknownKey(name).code).toBe("UNKNOWN_KEY");
    },
  );

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "prototype property %s is not a key (lookup is not a plain object)",
    (name) => {
      expect(unknownKey(name).code).toBe("UNKNOWN_KEY");
    },
  );

  it("a huge or control-laden name is echoed shortened and escaped", () => {
    const error = unknownKey(`\x1b]52;c;${"A".repeat(5000)}`);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).not.toContain("\x1b");
    expect(error.message).toContain("\\u001b");
  });
});
