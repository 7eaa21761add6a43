import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { PaneProcesses } from "../../src/panes/pane-processes.js";
import { type ProcessExit, PtyProcess } from "../../src/panes/pty-process.js";
import { plainSpare, SpareLauncher } from "../../src/panes/spare-launch.js";
import { PANE_TERM } from "../../src/shared/pane-words.js";
import { eventually } from "../support/mcp-harness.js";

/**
 * Spares start their launcher with posix_spawn instead of node-pty's forkpty (issue 16: a fork of the server held its
 * thread 5-16 ms per pane). What the program finds must be what a forked one finds: these run the same script both
 * ways and compare, on real ptys.
 */
type Way = "fork" | "posix_spawn";

interface Ran {
  process: PtyProcess;
  output: () => string;
  exit: Promise<ProcessExit>;
}

const ENV = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ONLY: "this" };

function run(way: Way, script: string, cwd: string): Ran {
  let text = "";
  let ended: (exit: ProcessExit) => void = () => {};
  const exit = new Promise<ProcessExit>((resolve) => {
    ended = resolve;
  });
  const process = new PtyProcess(
    {
      argv: ["/bin/sh", "-c", script],
      cwd,
      env: ENV,
      cols: 101,
      rows: 29,
      term: PANE_TERM,
      spawnWith: way,
    },
    { onData: (chunk) => (text += Buffer.from(chunk).toString("utf8")), onExit: ended },
  );
  return { process, output: () => text, exit };
}

/** What a program learns of its terminal, session, signals, directory and environment, one fact a line. */
const FACTS = [
  "stty -a | tr -s ' \\n' ' '; echo",
  // The session: the shell leads a new one whose controlling terminal is this pty, in the foreground.
  'ps -o sid=,pgid=,tpgid=,tty= -p $$ | awk \'{ print ($1 == $2 ? "leader" : "member"), ($2 == $3 ? "foreground" : "background"), ($4 ~ /^pts\\// ? "pts" : $4) }\'',
  "tty | sed 's/[0-9]*$/N/'",
  // Signals: none blocked, none ignored (node ignores SIGPIPE; a forked child gets it back as default).
  "grep -E '^Sig(Blk|Ign)' /proc/$$/status",
  "pwd",
  "env | sort | grep -v '^_=\\|^PWD=\\|^SHLVL='",
  // 0-2 on the pty. (Not the rest: what else a child inherits depends on what other test files running in this
  // process hold open at that moment.)
  "for fd in 0 1 2; do readlink /proc/$$/fd/$fd; done | sed 's/[0-9]*$/N/'",
].join("; echo ---; ");

describe("a pty process started with posix_spawn", () => {
  let dir: string | undefined;
  const running: PtyProcess[] = [];
  afterEach(() => {
    for (const process of running.splice(0)) process.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** The facts of a program started on its own pty, forked by node-pty. */
  async function forkedFacts(cwd: string): Promise<string> {
    const ran = run("fork", `${FACTS}; echo END-OF-FACTS`, cwd);
    running.push(ran.process);
    expect(ran.process.spawnedWith).toBe("fork");
    expect(await ran.exit).toEqual({ exitCode: 0, signal: null });
    return ran.output();
  }

  /** The facts of the same program sent to an unsandboxed spare (posix_spawn'd launcher, `exec`), as a spawn does. */
  async function spareFacts(cwd: string): Promise<string> {
    const spares = new SpareLauncher(plainSpare(), new PaneProcesses(false), undefined, 1);
    onTestFinished(() => spares.dispose());
    spares.fill(0);
    const spawn = {
      argv: ["/bin/sh", "-c", `${FACTS}; echo END-OF-FACTS`],
      cwd,
      env: ENV,
      cols: 101,
      rows: 29,
    };
    const taken = await eventually(() => spares.take(spawn), 10_000);
    let text = "";
    const exit = new Promise<ProcessExit>((onExit) => {
      const process = taken.adopt({
        onData: (chunk) => (text += Buffer.from(chunk).toString("utf8")),
        onExit,
      });
      running.push(process);
      expect(process.spawnedWith).toBe("posix_spawn");
    });
    expect(await exit).toEqual({ exitCode: 0, signal: null });
    return text;
  }

  it("is started without a fork, and its program finds what a forked one finds", async () => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-posix-spawn-"));
    const forked = await forkedFacts(dir);
    const spawned = await spareFacts(dir);
    expect(spawned).toContain("END-OF-FACTS");
    expect(spawned).toContain("leader foreground pts");
    expect(spawned).toContain("SigBlk:\t0000000000000000");
    // glibc's posix_spawn leaves its own two signals ignored in the child; the launcher puts them back.
    expect(spawned).toContain("SigIgn:\t0000000000000000");
    expect(spawned).toContain("rows 29; columns 101");
    expect(spawned).toContain(dir);
    expect(spawned).toContain("ONLY=this");
    expect(spawned.split("\n")).toEqual(forked.split("\n"));
  });

  it("reports exit codes and signals as node-pty does, after all its output", async () => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-posix-spawn-"));
    for (const way of ["fork", "posix_spawn"] as const) {
      const coded = run(way, "seq 1 20000; exit 3", dir);
      running.push(coded.process);
      expect(await coded.exit).toEqual({ exitCode: 3, signal: null });
      expect(coded.output()).toMatch(/\b20000\s*$/);
      const signalled = run(way, "echo ready; exec sleep 30", dir);
      running.push(signalled.process);
      await eventually(() => signalled.output().includes("ready"), 10_000);
      process.kill(signalled.process.pid, "SIGTERM");
      expect(await signalled.exit).toEqual({ exitCode: null, signal: 15 });
    }
  });

  it("C-c on its terminal interrupts the foreground program, as on a forked one", async () => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-posix-spawn-"));
    const ran = run("posix_spawn", 'trap "echo got-INT" INT; echo ready; sleep 30; echo after-$?', dir);
    running.push(ran.process);
    await eventually(() => ran.output().includes("ready"), 10_000);
    // ^C reaches sleep through the line discipline (ISIG): it dies of SIGINT (130), and sh, which traps it, goes on.
    await eventually(() => {
      ran.process.write("\x03");
      return ran.output().includes("after-");
    }, 10_000);
    expect(ran.output()).toContain("after-130");
    expect(await ran.exit).toEqual({ exitCode: 0, signal: null });
  });

  it("a program or directory it cannot use fails the spawn itself, and nothing is left running", () => {
    const at = mkdtempSync(join(tmpdir(), "ccmux-posix-spawn-"));
    dir = at;
    const spec = {
      cwd: at,
      env: ENV,
      cols: 80,
      rows: 24,
      term: "xterm-256color",
      spawnWith: "posix_spawn" as const,
    };
    const handlers = { onData: () => {}, onExit: () => {} };
    const before = children();
    expect(() => new PtyProcess({ ...spec, argv: [join(at, "missing")] }, handlers)).toThrow(/No such file/);
    expect(() => new PtyProcess({ ...spec, argv: ["/bin/true"], cwd: join(at, "gone") }, handlers)).toThrow(
      /No such file/,
    );
    expect(children()).toEqual(before);
  });
});

/** This process's children, running or not yet reaped. */
function children(): string[] {
  return readdirSync("/proc/self/task")
    .flatMap((task) => readFileSync(`/proc/self/task/${task}/children`, "latin1").split(" "))
    .filter((pid) => pid !== "")
    .sort();
}
