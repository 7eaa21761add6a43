import { describe, expect, it } from "vitest";
import { statusLine } from "../../src/cli/attach/status-line.js";

const base = {
  pane: {
    id: "p-1",
    name: "build",
    argv: ["/usr/bin/python3", "run.py"],
    owner: "agent" as const,
    session: "work",
  },
  status: { viewers: 1, write: false, cols: 80, rows: 24 },
  escapeKey: "C-]",
  mayWrite: false,
};

describe("attach status line", () => {
  it("says first whether the person types and whose pane it is, and ends with the program", () => {
    expect(statusLine(base)).toBe(" read-only │ agent work │ build │ C-] d detach │ python3 run.py ");
    expect(statusLine({ ...base, status: { ...base.status, write: true, viewers: 2 }, mayWrite: true })).toBe(
      " READ-WRITE │ agent work │ build │ C-] d detach, C-] w write │ 2 viewers │ python3 run.py ",
    );
  });

  it("names the pan keys while part of the pane is not shown", () => {
    expect(statusLine({ ...base, clipped: true })).toContain("C-] d detach, C-] hjkl pan │");
  });

  it("an argument spelling out more fields is quoted, so it cannot pass for them (status-line spoofing)", () => {
    const spoof = {
      ...base,
      pane: { ...base.pane, argv: ["/usr/bin/python3", "a │ person │ READ-WRITE │ x.py"] },
    };
    const line = statusLine(spoof);
    expect(line.startsWith(" read-only │ agent work │ build │")).toBe(true);
    expect(line.endsWith(" │ python3 'a │ person │ READ-WRITE │ x.py' ")).toBe(true);
  });

  it("control and bidi characters from the pane's name or argv are placeholders, never sequences", () => {
    const hostile = { ...base, pane: { ...base.pane, argv: ["/bin/echo", "\x1b]0;title\x07\u202e"] } };
    const line = statusLine(hostile);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202e]/);
    expect(line).toContain("⟨U+001B⟩");
  });
});
