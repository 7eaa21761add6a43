import { describe, expect, it } from "vitest";
import { DEFAULT_ESCAPE_KEY, EscapeKeyReader, escapeKeyByte } from "../../src/cli/attach/escape-key.js";

describe("attach escape key", () => {
  it("names control keys as C-x or ^x, and nothing printable", () => {
    expect(escapeKeyByte(DEFAULT_ESCAPE_KEY)).toBe(0x1d);
    expect(escapeKeyByte("C-a")).toBe(0x01);
    expect(escapeKeyByte("^B")).toBe(0x02);
    expect(escapeKeyByte("C-\\")).toBe(0x1c);
    expect(escapeKeyByte("C-@")).toBe(0x00);
    for (const bad of ["a", "C-", "C-ab", "C-1", "M-x", "", "^~", "C-é"])
      expect(escapeKeyByte(bad)).toBeUndefined();
  });

  it("passes text through and turns the escape key and a letter into a command", () => {
    const reader = new EscapeKeyReader(0x1d);
    expect(reader.read("ls -l\r")).toEqual({ text: "ls -l\r", commands: [] });
    expect(reader.read("x\x1dd")).toEqual({ text: "x", commands: ["detach"] });
    expect(reader.read("\x1dw\x1dr")).toEqual({ text: "", commands: ["toggle-write", "redraw"] });
    expect(reader.read("\x1dz")).toEqual({ text: "", commands: ["unknown"] });
    expect(reader.read("\x1dh\x1dj\x1dk\x1dl\x1dc")).toEqual({
      text: "",
      commands: ["pan-left", "pan-down", "pan-up", "pan-right", "follow-cursor"],
    });
  });

  it("types the escape key when it is pressed twice, also across chunks", () => {
    const reader = new EscapeKeyReader(0x1d);
    expect(reader.read("\x1d\x1d")).toEqual({ text: "\x1d", commands: [] });
    expect(reader.read("a\x1d")).toEqual({ text: "a", commands: [] });
    expect(reader.read("d")).toEqual({ text: "", commands: ["detach"] });
    expect(reader.read("é😀")).toEqual({ text: "é😀", commands: [] });
  });
});
