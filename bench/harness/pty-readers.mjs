// Reading a program's output from a pty, for the ingest references: the pty's own limit (util-linux `script`, a C
// reader), the raw rate node-pty reads a pty at in this process, and that rate with @xterm/headless parsing what
// it reads (what a terminal emulator in Node can do, with no server).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync, readSync } from "node:fs";
import xtermHeadless from "@xterm/headless";
import * as nodePty from "node-pty";
import { now } from "./sampling.mjs";
import { PANE_ENV } from "./workspace.mjs";

/**
 * Runs the shell command `command` in a pty read by `script -qe` (its output to /dev/null), timed until `script`
 * exits (it reads the pty to its end first).
 * @param {string} command
 * @param {string} cwd
 */
export async function scriptRun(command, cwd) {
  const devNull = openSync("/dev/null", "w");
  try {
    const start = now();
    const child = spawn("script", ["-q", "-e", "-c", command, "/dev/null"], {
      cwd,
      env: PANE_ENV,
      stdio: ["ignore", devNull, "inherit"],
    });
    const [code] = await once(child, "exit");
    if (code !== 0) throw new Error(`script -c ${JSON.stringify(command)} exited ${code}`);
    return { ms: now() - start };
  } finally {
    closeSync(devNull);
  }
}

/**
 * Runs `argv` in a node-pty pty of `cols`×`rows` and hands every chunk it prints to `onData`; resolves with the
 * ms from the spawn to node-pty's exit event and the bytes read. The end of the output is not lost: node-pty's
 * stream stops at the pty's hangup while the kernel still holds bytes for it (microsoft/node-pty #72, #85), so,
 * as ccmux's pty reader does, what is left is read synchronously at the stream's end, before the fd is closed.
 * @param {string[]} argv
 * @param {{ cwd: string, cols: number, rows: number, onData?: (chunk: Buffer, pty: nodePty.IPty) => void }} options
 */
export async function ptyRun([file = "", ...args], { cwd, cols, rows, onData }) {
  const start = now();
  const pty = nodePty.spawn(file, args, {
    name: "xterm-256color",
    cols,
    rows,
    cwd,
    env: PANE_ENV,
    encoding: null,
  });
  let bytes = 0;
  /** @param {Buffer} chunk */
  const take = (chunk) => {
    bytes += chunk.length;
    onData?.(chunk, pty);
  };
  pty.onData((chunk) => take(/** @type {Buffer} */ (/** @type {unknown} */ (chunk))));
  const internals = /** @type {{ _socket?: import("node:net").Socket, _fd?: number }} */ (
    /** @type {unknown} */ (pty)
  );
  const fd = internals._fd;
  internals._socket?.once("end", () => {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let read = 0;
      try {
        read = fd === undefined ? 0 : readSync(fd, buffer, 0, buffer.length, null);
      } catch {
        break; // EAGAIN: nothing more now; EIO: every writer is gone
      }
      if (read <= 0) break;
      take(Buffer.from(buffer.subarray(0, read)));
    }
  });
  const exit = await new Promise((resolve) => pty.onExit(resolve));
  return { ms: now() - start, bytes, exit: /** @type {{ exitCode: number, signal?: number }} */ (exit) };
}

/**
 * `argv` in node-pty, every chunk parsed by @xterm/headless (scrollback as ccmux's, the watermark flow control
 * the xterm.js docs describe, as ccmux feeds its screens: pause the pty at 512 KiB unparsed, resume at 64 KiB);
 * resolves once the program exited and everything it printed is parsed, with the ms and the screen's text.
 * @param {string[]} argv
 * @param {{ cwd: string, cols: number, rows: number, scrollback: number }} options
 */
export async function ptyToXterm(argv, { cwd, cols, rows, scrollback }) {
  const term = new xtermHeadless.Terminal({
    cols,
    rows,
    scrollback,
    allowProposedApi: true,
    logLevel: "off",
  });
  let pending = 0;
  let paused = false;
  /** @type {() => void} */
  let drained = () => {};
  const parsed = new Promise((resolve) => {
    drained = () => resolve(undefined);
  });
  let exited = false;
  const start = now();
  const run = await ptyRun(argv, {
    cwd,
    cols,
    rows,
    onData(chunk, pty) {
      pending += chunk.length;
      term.write(chunk, () => {
        pending -= chunk.length;
        if (paused && pending <= 64 * 1024) {
          paused = false;
          pty.resume();
        }
        if (exited && pending === 0) drained();
      });
      if (!paused && pending >= 512 * 1024) {
        paused = true;
        pty.pause();
      }
    },
  });
  exited = true;
  if (pending > 0) await parsed;
  const ms = now() - start;
  const buffer = term.buffer.active;
  let screen = "";
  for (let row = 0; row < rows; row++)
    screen += `${buffer.getLine(buffer.baseY + row)?.translateToString(true) ?? ""}\n`;
  term.dispose();
  return { ms, screen, bytes: run.bytes };
}
