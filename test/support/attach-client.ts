import { connect, type Socket } from "node:net";
import type { ViewerStatus } from "../../src/cli/attach/attach-protocol.js";
import { readJsonLines } from "../../src/cli/attach/json-lines.js";
import { applyFrameRows, type FrameRows, type PaneFrame } from "../../src/panes/screen-frame.js";

/** A frame's rows as text (runs joined, trailing blanks trimmed). */
export function frameRows(frame: PaneFrame): string[] {
  return frame.lines.map((runs) =>
    runs
      .map((run) => run[0])
      .join("")
      .trimEnd(),
  );
}

/**
 * The daemon's side of `ccmux attach`, spoken directly over its socket (no terminal): for tests of the attach
 * protocol, the viewer bookkeeping and the audit. The test process is a peer the daemon accepts (same uid, not
 * below the daemon).
 */
export class AttachClient {
  reply: Record<string, unknown> | undefined;
  /** Every frame the person saw, in order: whole frames as sent, `{rows}` applied to the frame before. */
  frames: PaneFrame[] = [];
  /** How many `{rows}` messages came, and the first that did not fit the frame before it. */
  rowUpdates = 0;
  misfit: unknown;
  statuses: ViewerStatus[] = [];
  end: string | undefined;
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly socket: Socket) {}

  /** Connects to `socketPath` and says an attach hello (`pane`, and the rest with defaults). */
  static async attach(
    socketPath: string,
    hello: {
      pane: string;
      session?: string;
      write?: boolean;
      resize?: boolean;
      cols?: number;
      rows?: number;
      /** The hello's `terminal`: the daemon is to draw into this process's terminal, device `rdev`. */
      terminal?: { escapeKey: string; path: string; rdev: number };
    },
  ): Promise<AttachClient> {
    const socket = connect(socketPath);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const client = new AttachClient(socket);
    socket.on("close", () => {
      client.closed = true;
      client.notify();
    });
    socket.on("error", () => {});
    let first = true;
    readJsonLines(
      socket,
      64 * 1024 * 1024,
      (value) => {
        const message = value as Record<string, unknown>;
        if (first) {
          first = false;
          client.reply = message;
        } else if ("frame" in message) client.frames.push(message.frame as PaneFrame);
        else if ("rows" in message) {
          client.rowUpdates += 1;
          const last = client.frames.at(-1);
          const next = last && applyFrameRows(last, message.rows as FrameRows);
          if (next) client.frames.push(next);
          else client.misfit ??= message;
        } else if ("status" in message) client.statuses.push(message.status as ViewerStatus);
        else if ("end" in message) client.end = message.end as string;
        client.notify();
      },
      () => socket.destroy(),
    );
    socket.write(
      `${JSON.stringify({
        ccmux: 1,
        op: "attach",
        session: hello.session ?? "default",
        pane: hello.pane,
        write: hello.write ?? false,
        resize: hello.resize ?? false,
        cols: hello.cols ?? 120,
        rows: hello.rows ?? 40,
        ...(hello.terminal ? { terminal: hello.terminal } : {}),
      })}\n`,
    );
    await client.until(() => client.reply !== undefined || client.closed, "the daemon's reply");
    return client;
  }

  /** Sends one attach-protocol message as it is (a test may send what no honest client would). */
  send(message: unknown): void {
    this.socket.write(typeof message === "string" ? message : `${JSON.stringify(message)}\n`);
  }

  /** The last frame's rows as text. */
  screen(): string[] {
    const last = this.frames.at(-1);
    return last ? frameRows(last) : [];
  }

  /** Resolves once `condition` holds (checked on every message), or rejects after `timeoutMs` naming `what`. */
  until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; last screen:\n${this.screen().join("\n")}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Waits until the screen shows `text`. */
  untilScreen(text: string): Promise<void> {
    return this.until(
      () => this.screen().join("\n").includes(text),
      `the screen to show ${JSON.stringify(text)}`,
    );
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
