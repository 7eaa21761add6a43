import { describe, expect, it } from "vitest";
import { ShellReportReader } from "../../src/panes/shell/shell-reports.js";

const bytes = (text: string) => Buffer.from(text, "latin1");

describe("ShellReportReader: a validated shell's report channel", () => {
  it("reads ready, start and done records, split anywhere across reads", () => {
    const stream = bytes(
      ["ready", "/ws", "start", "abcd", "", "done", "abcd", "0", "/ws/sub", "123\n", ""].join("\0"),
    );
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new ShellReportReader();
      const reports = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      expect(reports).toEqual([
        { kind: "ready", cwd: "/ws" },
        { kind: "start", nonce: "abcd", stopped: [] },
        { kind: "done", nonce: "abcd", status: 0, cwd: "/ws/sub", stopped: ["123"] },
      ]);
    }
  });

  it("keeps a directory's trailing newline, and reports a name that is not UTF-8 as unknown", () => {
    const reader = new ShellReportReader();
    expect(reader.push(bytes("ready\0/ws/a\n\0"))).toEqual([{ kind: "ready", cwd: "/ws/a\n" }]);
    expect(reader.push(bytes("ready\0/ws/x\xff\0"))).toEqual([{ kind: "ready", cwd: "" }]);
  });

  it("throws on what the shell never writes: an unknown record, a status that is not a number, a huge field", () => {
    expect(() => new ShellReportReader().push(bytes("bogus\0"))).toThrow(/unknown report/);
    expect(() => new ShellReportReader().push(bytes("done\0n\0x1\0/\0\0"))).toThrow(/not a number/);
    expect(() => new ShellReportReader().push(Buffer.alloc(9000, 0x61))).toThrow(/too long/);
  });
});
