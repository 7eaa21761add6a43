import { spawnSync } from "node:child_process";
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PtyProcess } from "../../src/panes/pty-process.js";
import { eventually } from "../support/mcp-harness.js";

/** libuv's thread pool, where node-pty's queued writes run (fs.write). */
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
/** What the program reads before it pauses: room in the terminal's input buffer while the queue still waits. */
const FIRST_READ = 1000;

/** `script` run by sh on a pty of its own, its output dropped. */
function shellProcess(script: string, cwd: string, onExit: () => void = () => {}): PtyProcess {
  return new PtyProcess(
    {
      argv: ["/bin/sh", "-c", script],
      cwd,
      env: { PATH: "/usr/bin:/bin" },
      cols: 80,
      rows: 24,
      term: "xterm-256color",
    },
    { onData: () => {}, onExit },
  );
}

/**
 * Input is written to the pty at once when the terminal takes it, and queued when it does not (the program is
 * not reading): whatever is written after a queued write must wait behind it, never overtake it, even when the
 * terminal has room again before the queue moved.
 */
describe("input to a program that is not reading arrives whole and in order", () => {
  let dir: string | undefined;
  let releasePool: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await releasePool?.();
    releasePool = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /**
   * Holds every thread of the pool in open(2) of a FIFO no one writes, so that node-pty's queue cannot move
   * until released (the fault a busy machine causes by chance, caused here for certain).
   */
  function holdThreadPool(at: string): () => Promise<void> {
    const fifos = Array.from({ length: POOL_SIZE }, (_, i) => join(at, `fifo${i}`));
    for (const fifo of fifos) {
      const made = spawnSync("mkfifo", [fifo]);
      if (made.status !== 0) throw new Error(`mkfifo ${fifo} failed`);
    }
    const readers = fifos.map((fifo) => open(fifo, "r"));
    let released: Promise<void> | undefined;
    // Each FIFO is opened read-write here: that never blocks, and lets its reader's open through whether the pool
    // already runs it or (on a busy machine) has not started it yet. A write-only open with O_NONBLOCK failed
    // (ENXIO) for a reader not started yet, which then blocked after the test and found its directory gone.
    const release = async (): Promise<void> => {
      const writers = fifos.map((fifo) => openSync(fifo, constants.O_RDWR));
      try {
        for (const handle of await Promise.all(readers)) await handle.close();
      } finally {
        for (const writer of writers) closeSync(writer);
      }
    };
    return () => {
      released ??= release();
      return released;
    };
  }

  it("a paste larger than the terminal's input buffer, then keys once it has room: the keys come after the paste", async () => {
    dir = mkdtempSync(join(tmpdir(), "ccmux-input-order-"));
    const at = (name: string) => join(dir as string, name);
    const paste = Array.from({ length: 20_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const keys = "0123456789".repeat(10);
    const rest = paste.length + keys.length - FIRST_READ;
    // Raw mode, no echo: bytes reach the program as written. It reads FIRST_READ bytes once `go1` exists, says
    // so, and the rest once `go2` exists.
    const script = [
      "stty raw -echo",
      `: > ${at("ready")}`,
      `while [ ! -e ${at("go1")} ]; do sleep 0.02; done`,
      `head -c ${FIRST_READ} > ${at("out1")}`,
      `: > ${at("read1")}`,
      `while [ ! -e ${at("go2")} ]; do sleep 0.02; done`,
      `head -c ${rest} > ${at("out2")}`,
    ].join("; ");
    const pty = shellProcess(script, dir);
    try {
      // Canonical mode would drop what passes a 4 KiB line: write only once the terminal is raw.
      await eventually(() => existsSync(at("ready")), 10_000);
      releasePool = holdThreadPool(dir);
      pty.write(paste);
      writeFileSync(at("go1"), "");
      await eventually(() => existsSync(at("read1")), 10_000);
      // The terminal has room for FIRST_READ bytes; most of the paste still waits in the held queue.
      pty.write(keys);
      void releasePool();
      writeFileSync(at("go2"), "");
      await eventually(() => existsSync(at("out2")) && statSync(at("out2")).size >= rest, 20_000);
      expect(readFileSync(at("out1"), "utf8") + readFileSync(at("out2"), "utf8")).toBe(paste + keys);
    } finally {
      pty.dispose();
    }
  });

  it("input still waiting when the pane closes never reaches a file that reuses the pty's descriptor number", async () => {
    // Attack review: node-pty's queued write ran in the thread pool after the pane closed ("Unhandled pty write
    // error EBADF"). Had the descriptor number been reused by then, the pane's input went into whatever file the
    // server opened next. Held here for certain: the pool is busy while the pane closes and a file takes the
    // number; then the pool is let go.
    dir = mkdtempSync(join(tmpdir(), "ccmux-input-closed-"));
    const at = (name: string) => join(dir as string, name);
    const script = `stty raw -echo; : > ${at("ready")}; exec sleep 60`;
    let exited!: () => void;
    const exit = new Promise<void>((resolve) => {
      exited = resolve;
    });
    const pty = shellProcess(script, dir, () => exited());
    const masterFd = (pty as unknown as { masterFd: number }).masterFd;
    const files: number[] = [];
    try {
      await eventually(() => existsSync(at("ready")), 10_000);
      releasePool = holdThreadPool(dir);
      // sleep reads nothing: the terminal takes its input buffer's worth, the rest waits.
      pty.write("SECRET".repeat(50_000));
      expect(pty.inputPending()).toBe(true);
      pty.dispose();
      await exit;
      // Take descriptor numbers until one is the pty's old one (or enough are held that it was not reused).
      for (let i = 0; i < 64 && !files.includes(masterFd); i++) files.push(openSync(at(`file${i}`), "w+"));
      void releasePool();
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const [i] of files.entries()) expect(statSync(at(`file${i}`)).size, `file${i}`).toBe(0);
      expect(pty.inputPending()).toBe(false);
    } finally {
      for (const fd of files) closeSync(fd);
      pty.dispose();
    }
  });
});
