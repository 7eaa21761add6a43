import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ProcessEntry, readProcesses, readStat } from "../../src/panes/process-session.js";

/**
 * The native /proc reader (native/proc-stats.c) against the text of /proc/<pid>/stat, parsed here the plain way,
 * for processes whose names and states are the awkward ones: a command name with spaces and parentheses (the
 * fields start after the last `)`), a zombie, a process in a session and group of its own.
 */
const started: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What /proc/<pid>/stat says, parsed from its text. */
function fromText(pid: number): ProcessEntry {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    tty: Number(fields[4]),
    tpgid: Number(fields[5]),
    threads: Number(fields[17]),
    start: fields[19] as string,
    zombie: fields[0] === "Z",
  };
}

/** Starts `argv`, in a session of its own when `detached`. */
function start(argv: string[], detached = false): ChildProcess {
  const [file, ...args] = argv;
  const child = spawn(file as string, args, { stdio: "ignore", detached });
  started.push(child);
  return child;
}

describe("the native /proc reader", () => {
  it("reads a command name with spaces and parentheses, a zombie and a new session as the text says", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ccmux-proc-"));
    dirs.push(dir);
    // The kernel names the process after its file: ") 1 2 (x" makes a stat line with a `)` and numbers in the name.
    const odd = join(dir, "a) 1 2 (b");
    symlinkSync("/bin/sleep", odd);
    const named = start([odd, "30"]);
    // The exec'd sleep never waits: its child `true` stays a zombie.
    const parent = start(["/bin/sh", "-c", "/bin/true & exec /bin/sleep 30"], true);
    const pids = [named.pid, parent.pid, process.pid] as number[];
    await expect
      .poll(() => [...readProcesses().values()].some((entry) => entry.ppid === parent.pid && entry.zombie), {
        timeout: 10_000,
      })
      .toBe(true);
    const table = readProcesses();
    const zombie = [...table.values()].find((entry) => entry.ppid === parent.pid) as ProcessEntry;
    expect(zombie.zombie).toBe(true);
    expect(table.get(parent.pid as number)).toMatchObject({
      session: parent.pid,
      pgrp: parent.pid,
      zombie: false,
    });
    for (const pid of [...pids, zombie.pid]) {
      const text = fromText(pid);
      // The thread count of this (test) process changes from one moment to the next.
      const { threads: _threads, ...steady } = text;
      expect(table.get(pid)).toMatchObject(steady);
      expect(readStat(pid)).toMatchObject(steady);
    }
    expect(table.get(named.pid as number)).toEqual(fromText(named.pid as number));
    expect(table.size).toBeGreaterThan(3);
  });

  it("answers undefined for a process that is gone", async () => {
    const child = start(["/bin/true"]);
    const pid = child.pid as number;
    await new Promise((resolve) => child.once("exit", resolve));
    expect(readStat(pid)).toBeUndefined();
    expect(readProcesses().has(pid)).toBe(false);
  });
});
