import type { Socket } from "node:net";

/**
 * The daemon socket's first exchange. The client writes one JSON line saying what it wants; the daemon answers
 * one JSON line. After an accepted `connect`, the socket carries MCP's JSON-RPC messages, one per line, both
 * ways (the same framing as MCP's stdio transport, so the bridge forwards lines without rewriting them). After an
 * accepted `attach`, it carries the attach protocol's JSON lines (src/cli/attach/attach-protocol.ts).
 * The daemon reads a hello with the schema in hello-schema.ts; this file stays free of zod, so that a bridge
 * (`serve --daemon`, on every call's path) does not load it.
 */

/** The largest terminal side an attaching person's terminal may report (columns or rows). */
export const MAX_TERMINAL_SIDE = 1000;

export { SESSION_NAME } from "./session-name.js";

/** What a client may say first (checked by the daemon against hello-schema.ts's `Hello`). */
export type Hello =
  /** Become an MCP connection of agent session `session`. */
  | { ccmux: 1; op: "connect"; session: string }
  /**
   * A person watches pane `pane` (an id, or a name in `session` or among the person's panes) on a terminal of
   * `cols`×`rows` (`ccmux attach`); with `write` they ask to type into it, with `resize` the pane follows their
   * terminal's size while they hold write. With `terminal` the daemon draws into the client's terminal itself
   * (its stdin and stdout and controlling terminal: `path`, character device `rdev`) and reads the keys there,
   * `escapeKey` (as `--escape-key`) starting an attach command; the client then only reports size changes
   * (src/cli/attach/daemon-terminal.ts).
   */
  | {
      ccmux: 1;
      op: "attach";
      session: string;
      pane: string;
      write: boolean;
      resize: boolean;
      cols: number;
      rows: number;
      terminal?: { escapeKey: string; path: string; rdev: number };
    }
  /** Describe the daemon: its sessions and their panes (`ccmux ls`). */
  | { ccmux: 1; op: "ls" }
  /** End the daemon: panes get SIGHUP, then the shutdown grace, then SIGKILL (`ccmux daemon stop`). */
  | { ccmux: 1; op: "stop" };

/** The daemon's answer: `ok` with what was asked, or a stable code and a sentence. */
export type HelloReply =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; code: string; message: string };

/** What the daemon prints as its first stdout line once it accepts connections (a starting client waits for it). */
export const READY_LINE = "ccmux-daemon-ready";

/** A hello is one short line; anything longer is not a ccmux client. */
export const MAX_HELLO_BYTES = 4096;
/** A client that connects and says nothing is dropped after this long. */
export const HELLO_TIMEOUT_MS = 10_000;

/**
 * Reads the first line from `socket` (at most `maxBytes`, within `timeoutMs`) and puts back whatever followed it
 * in the same chunk, so the next reader sees the stream from the byte after the newline. Rejects with a sentence
 * when the line is too long, the time runs out, or the socket closes first; the socket is paused either way.
 */
export function readFirstLine(
  socket: Socket,
  maxBytes = MAX_HELLO_BYTES,
  timeoutMs = HELLO_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error: Error | undefined, line?: string, rest?: Buffer): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      if (error) reject(error);
      else resolve(line as string);
    };
    const onData = (chunk: Buffer): void => {
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > maxBytes) done(new Error(`the first line is longer than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk.subarray(0, newline));
      size += newline;
      if (size > maxBytes) done(new Error(`the first line is longer than ${maxBytes} bytes`));
      else done(undefined, Buffer.concat(chunks).toString("utf8"), chunk.subarray(newline + 1));
    };
    const onClose = (): void => done(new Error("the other side closed the connection"));
    const onError = (error: Error): void => done(error);
    const timer = setTimeout(() => done(new Error(`nothing was said within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("error", onError);
  });
}

/** Writes one JSON line. */
export function writeLine(socket: Socket, message: unknown): void {
  socket.write(`${JSON.stringify(message)}\n`);
}
