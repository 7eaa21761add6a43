import { writeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ExitStatusPipe, reconcileExit } from "../../src/panes/sandbox/exit-status.js";

const exited = (code: number) => ({ exitCode: code, signal: null });
const killed = (signal: number) => ({ exitCode: null, signal });

describe("reconcileExit: the program's end from bwrap's exit and the launcher's record", () => {
  it("a record that agrees with bwrap tells a signal from an exit code of 128+N", () => {
    expect(reconcileExit(exited(139), "signal 11\n")).toEqual(killed(11));
    expect(reconcileExit(exited(139), "exit 139\n")).toEqual(exited(139));
    expect(reconcileExit(exited(130), "exit 130\n")).toEqual(exited(130));
    expect(reconcileExit(exited(0), "exit 0\n")).toEqual(exited(0));
  });

  it("a forged record that disagrees with bwrap changes nothing bwrap did not already say", () => {
    expect(reconcileExit(exited(0), "signal 11\n")).toEqual(exited(0));
    expect(reconcileExit(exited(1), "exit 0\n")).toEqual(exited(1));
    expect(reconcileExit(exited(3), "signal 3\n")).toEqual(exited(3));
    expect(reconcileExit(exited(139), "signal 11\nexit 139\n")).toEqual(killed(11));
    expect(reconcileExit(exited(200), "signal 72\n")).toEqual(exited(200));
    expect(reconcileExit(exited(1), `exit ${"9".repeat(400)}\n`)).toEqual(exited(1));
  });

  it("without a record (the launcher was killed too) 128+N is signal N; smaller codes stay codes", () => {
    expect(reconcileExit(exited(137), undefined)).toEqual(killed(9));
    expect(reconcileExit(exited(1), undefined)).toEqual(exited(1));
    expect(reconcileExit(exited(128), undefined)).toEqual(exited(128));
    expect(reconcileExit(exited(255), undefined)).toEqual(exited(255));
  });

  it("bwrap itself killed by a signal is the pane's end, whatever the record says", () => {
    expect(reconcileExit(killed(9), "exit 0\n")).toEqual(killed(9));
  });
});

describe("ExitStatusPipe", () => {
  it("reads what was written without blocking while a writer still holds the pipe", () => {
    const pipe = new ExitStatusPipe();
    writeSync(pipe.writeFd, "signal 2\n");
    expect(pipe.resolve(exited(130))).toEqual(killed(2));
    pipe.close();
  });

  it("an empty pipe whose writers are gone is no record", () => {
    const pipe = new ExitStatusPipe();
    pipe.releaseWriteEnd();
    expect(pipe.resolve(exited(130))).toEqual(killed(2));
    pipe.close();
    pipe.close();
  });

  it("more than a record is no record", () => {
    const pipe = new ExitStatusPipe();
    writeSync(pipe.writeFd, `exit 130\n${" ".repeat(4096)}`);
    pipe.releaseWriteEnd();
    expect(pipe.resolve(exited(130))).toEqual(killed(2));
  });
});
