import type { Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import type { AuditRecord } from "../../audit/audit-log.js";
import type { PaneChange, PaneHost, PaneInfo, PaneViewer } from "../../panes/pane-host.js";
import type { FrameUpdate } from "../../panes/screen-frame.js";
import type { FrameWatch } from "../../panes/screen-port.js";
import {
  type AttachAccepted,
  FromViewer,
  MAX_ATTACH_LINE,
  type ToViewer,
  type ViewerStatus,
} from "./attach-protocol.js";
import type { DaemonTerminal } from "./daemon-terminal.js";
import { escapeKeyByte } from "./escape-key.js";
import { FramePump } from "./frame-pump.js";
import { readJsonLines } from "./json-lines.js";
import { TerminalView } from "./terminal-view.js";
import { TypingRecord } from "./typing-record.js";

/** A viewer's socket holding more than this many bytes unsent gets no new frame until it drains. */
const BACKED_UP_BYTES = 1024 * 1024;
/** The pane sizes `--resize` may set (those spawn allows). */
const RESIZE_COLS = { min: 20, max: 400 };
const RESIZE_ROWS = { min: 5, max: 200 };

/** What a viewer session needs from the daemon. */
export interface ViewerDeps {
  host: PaneHost;
  logAudit: (record: AuditRecord) => void;
  /** Tells every viewer of a pane that who watches it, or who holds write, changed. */
  viewersChanged: (paneId: string) => void;
}

/** The attach request, as the daemon accepted it (src/daemon/hello.ts). */
export interface ViewerRequest {
  write: boolean;
  resize: boolean;
  cols: number;
  rows: number;
  terminal?: { escapeKey: string; path: string; rdev: number };
}

/** The client's terminal as this session draws on it (the hello's `terminal`, opened by the daemon). */
interface DrawnTerminal {
  terminal: DaemonTerminal;
  view: TerminalView;
}

/**
 * One person watching one pane through `ccmux attach`, on the daemon's side of the socket (seed §4.2, §6.1). The
 * person gets frames of the pane's screen (FramePump; built from the emulator, never the pane's bytes) and status
 * lines; while they hold write, what they type goes to the pane as it is (the policy's input modes bind the
 * agent, not the person), and the agent's send_keys answers PANE_BUSY. Every step is audited with
 * `origin: "person"`: attach, detach, taking and releasing write, the text typed (length and SHA-256 under
 * `audit.redactInput`), a resize.
 */
export class ViewerSession {
  private readonly viewer: PaneViewer;
  private readonly pump: FramePump;
  private readonly frames: FrameWatch;
  private readonly unwatch: () => void;
  private readonly typed = new TypingRecord((text) =>
    this.audit({ event: "person-input", decision: "allow", bytes: Buffer.byteLength(text), text }),
  );
  private size: { cols: number; rows: number };
  private ended = false;
  private exit: ViewerStatus["exit"];
  private paneSize: { cols: number; rows: number };
  /** What handing the last update on cost (ms): drawing it, or coding and sending it (FramePump's spacing). */
  private updateCost = 0;
  /** Set when the daemon draws into the client's terminal itself; the socket then carries sizes and the end. */
  private readonly drawn: DrawnTerminal | undefined;

  /** Attaches (the pane must exist: see findAttachTarget) and answers the hello; the session runs until either side ends it. */
  constructor(
    private readonly socket: Socket,
    private readonly pane: PaneInfo,
    private readonly request: ViewerRequest,
    peer: { pid: number; uid: number },
    private readonly deps: ViewerDeps,
    terminal?: DaemonTerminal,
  ) {
    const { host } = deps;
    this.size = { cols: request.cols, rows: request.rows };
    this.paneSize = { cols: 0, rows: 0 };
    this.exit = pane.exit ? { exitCode: pane.exit.exitCode, signal: pane.exit.signal ?? null } : undefined;
    this.viewer = host.addViewer(pane.id, peer);
    // The screen pushes each update right after it parsed the change; the pump paces the asks. An echo drawn
    // ahead of the parse answers no ask.
    this.frames = host.watchFrames(pane.id, (update, streaming, echo) => {
      if (echo && this.drawn && "rows" in update) {
        this.drawn.view.echo(update.rows, echo);
        return;
      }
      const started = performance.now();
      this.sendUpdate(update);
      if (echo) return;
      this.updateCost = performance.now() - started;
      this.pump.sent(streaming);
    });
    this.pump = new FramePump({
      want: (spaced) => this.frames.want(spaced),
      backedUp: () => (terminal ? terminal.backedUp : socket.writableLength > BACKED_UP_BYTES),
      drained: () =>
        terminal
          ? terminal.drained()
          : new Promise((resolve) => socket.once("drain", resolve).once("close", resolve)),
      cost: () => this.updateCost,
    });
    this.unwatch = host.watch(pane.id, (change) => this.onChange(change));
    this.audit({
      event: "attach",
      decision: "allow",
      peer,
      wantsWrite: request.write,
      resize: request.resize,
    });
    const granted = request.write && this.takeWrite();
    const accepted: AttachAccepted = {
      pane: {
        id: pane.id,
        name: pane.name,
        argv: pane.argv,
        owner: pane.owner.kind,
        ...(pane.owner.kind === "agent" ? { session: pane.owner.session } : {}),
      },
      viewer: this.viewer.id,
      status: this.status(),
      terminal: terminal !== undefined,
    };
    this.socket.write(`${JSON.stringify({ ok: true, ...accepted })}\n`);
    const escapeKey = request.terminal && escapeKeyOf(request.terminal.escapeKey);
    this.drawn = terminal && escapeKey && this.draw(terminal, accepted, escapeKey);
    if (terminal && !this.drawn) void terminal.close();
    deps.viewersChanged(pane.id);
    if (granted) this.followSize();
    socket.once("close", () => this.detach("the person's terminal closed the connection"));
    readJsonLines(
      socket,
      MAX_ATTACH_LINE,
      (value) => this.onMessage(value),
      (why) => this.end(`the attach client sent ${why}`),
    );
    this.pump.start();
  }

  /** Sends this viewer the current status (who watches, who holds write). */
  sendStatus(): void {
    this.send({ status: this.status() });
  }

  /** Ends the view with a reason the client prints (the daemon stopping, the pane gone). */
  end(why: string): void {
    if (this.ended) return;
    const drawn = this.drawn;
    this.detach(why);
    if (drawn === undefined) {
      this.sendLine({ end: why });
      this.socket.end();
      return;
    }
    // The client leaves the alternate screen when it reads the end: only once the daemon's drawing went out.
    void drawn.terminal.close().then(() => {
      this.sendLine({ end: why });
      this.socket.end();
    });
  }

  private status(): ViewerStatus {
    const viewers = this.deps.host.viewers(this.pane.id);
    const holder = viewers.find((each) => each.write);
    return {
      viewers: viewers.length,
      write: holder?.id === this.viewer.id,
      ...(holder && holder.id !== this.viewer.id ? { writeHeldBy: holder.pid } : {}),
      ...(this.exit ? { exit: this.exit } : {}),
      cols: this.paneSize.cols,
      rows: this.paneSize.rows,
    };
  }

  private onChange(change: PaneChange): void {
    // Screen changes come as frame updates (watchFrames).
    if (change === "gone") this.end("the pane was killed");
    else if (change === "exit") this.exited();
  }

  /** A whole frame (and the status, when the pane's size changed) or the rows that changed. */
  private sendUpdate(update: FrameUpdate): void {
    this.send(update);
    if ("frame" in update) {
      const { cols, rows } = update.frame;
      if (cols !== this.paneSize.cols || rows !== this.paneSize.rows) {
        this.paneSize = { cols, rows };
        this.sendStatus();
      }
    }
  }

  /** The pane's program ended: its last screen, then the end of the view (the person is back at their shell). */
  private exited(): void {
    void this.deps.host.info(this.pane.id).then((info) => {
      if (!info?.exit) return;
      this.exit = { exitCode: info.exit.exitCode, signal: info.exit.signal ?? null };
      const how = info.exit.signal ? `signal ${info.exit.signal}` : `code ${info.exit.exitCode}`;
      // The last frame first, so the person sees what the program printed last.
      void this.deps.host.frame(this.pane.id).then(
        (frame) => {
          this.send({ frame });
          this.end(`the pane exited (${how})`);
        },
        () => this.end(`the pane exited (${how})`),
      );
    });
  }

  /** A line from the attach client, checked (FromViewer): anything else ends the view. */
  private onMessage(value: unknown): void {
    const parsed = FromViewer.safeParse(value);
    if (parsed.success) this.onViewerMessage(parsed.data);
    else this.end("the attach client sent a message ccmux does not know");
  }

  /** A message from the person: from the client's socket (checked), or from the terminal the daemon reads. */
  private onViewerMessage(message: FromViewer): void {
    if ("keys" in message) this.type(message.keys);
    else if ("write" in message) {
      // Security: write is taken only on a connection whose hello asked for it (`attach --write`): a read-only
      // viewer's connection, taken over by a pane (an attack review), cannot be turned into a writer.
      if (message.write && !this.request.write) {
        this.audit({
          event: "person-write",
          decision: "deny",
          code: "INPUT_NOT_ALLOWED",
          take: true,
          reason: "attached read-only",
        });
        return;
      }
      if (message.write) {
        if (this.takeWrite()) this.followSize();
      } else this.releaseWrite("released");
      this.deps.viewersChanged(this.pane.id);
    } else {
      this.size = message.size;
      this.followSize();
      this.drawn?.terminal.refreshSize();
      this.drawn?.view.redraw();
    }
  }

  /** Draws into the client's terminal and reads the person's keys there (the hello's `terminal`). */
  private draw(terminal: DaemonTerminal, accepted: AttachAccepted, escapeKey: EscapeKey): DrawnTerminal {
    const view = new TerminalView(
      { write: (text) => terminal.write(text), size: () => terminal.size() },
      accepted,
      { write: this.request.write, escapeByte: escapeKey.byte, escapeName: escapeKey.name },
      (message) => this.onViewerMessage(message),
      (end) => this.end(end.message.replace(/^ccmux attach: /u, "").replace(/\.$/u, "")),
    );
    const decoder = new StringDecoder("utf8");
    terminal.input.on("data", (chunk: Buffer) => view.onInput(decoder.write(chunk)));
    // A hung-up terminal: the view ends, with no word to the client, which dies of its SIGHUP quietly (a line
    // from here would race it to a terminal that is gone). Its socket's close then has nothing left to do.
    const hungUp = (): void => this.detach("the person's terminal closed");
    terminal.input.once("end", hungUp);
    terminal.input.once("error", hungUp);
    terminal.onError(hungUp);
    // What was dropped while the terminal did not read is drawn again, whole, once it does.
    terminal.whenDrained(() => view.redraw());
    return { terminal, view };
  }

  /** The person's text, to the pane as it is, while they hold write (dropped otherwise: read-only). */
  private type(text: string): void {
    if (!this.holdsWrite() || this.exit) return;
    try {
      this.deps.host.typePersonText(this.pane.id, text);
    } catch {
      return;
    }
    this.typed.add(text);
  }

  private holdsWrite(): boolean {
    return this.deps.host.viewers(this.pane.id).some((each) => each.id === this.viewer.id && each.write);
  }

  private takeWrite(): boolean {
    if (this.holdsWrite()) return true;
    let taken = false;
    try {
      taken = this.deps.host.setViewerWrite(this.pane.id, this.viewer.id, true);
    } catch {
      // the pane is gone: its watch ends the view
    }
    const holder = this.deps.host.viewers(this.pane.id).find((each) => each.write);
    this.audit({
      event: "person-write",
      decision: taken ? "allow" : "deny",
      take: true,
      ...(taken ? {} : { code: "PANE_BUSY", reason: `pid ${holder?.pid ?? "?"} holds write` }),
    });
    return taken;
  }

  private releaseWrite(how: string): void {
    if (!this.holdsWrite()) return;
    this.typed.flush();
    try {
      this.deps.host.setViewerWrite(this.pane.id, this.viewer.id, false);
    } catch {
      // the pane is gone
    }
    this.audit({ event: "person-write", decision: "allow", take: false, reason: how });
  }

  /** With `--resize`, while holding write: the pane takes the person's terminal size (within spawn's bounds). */
  private followSize(): void {
    if (!this.request.resize || !this.holdsWrite() || this.exit) return;
    const cols = clamp(this.size.cols, RESIZE_COLS);
    const rows = clamp(this.size.rows, RESIZE_ROWS);
    if (cols === this.paneSize.cols && rows === this.paneSize.rows) return;
    this.audit({ event: "person-resize", decision: "allow", cols, rows });
    this.deps.host.resize(this.pane.id, cols, rows).catch(() => {});
  }

  private detach(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.pump.stop();
    this.frames.close();
    this.unwatch();
    this.releaseWrite("detached");
    this.typed.flush();
    this.deps.host.removeViewer(this.pane.id, this.viewer.id);
    if (this.drawn) {
      this.drawn.view.dispose();
      void this.drawn.terminal.close();
    }
    this.audit({ event: "detach", decision: "info", reason: why });
    this.deps.viewersChanged(this.pane.id);
  }

  /** A frame, rows or status for the person: drawn here when the daemon holds their terminal, else sent. */
  private send(message: Exclude<ToViewer, { end: string }>): void {
    if (this.drawn) this.drawn.view.onMessage(message);
    else this.sendLine(message);
  }

  private sendLine(message: ToViewer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  private audit(record: AuditRecord): void {
    this.deps.logAudit({
      origin: "person",
      pane: this.pane.id,
      paneName: this.pane.name,
      viewer: this.viewer.id,
      ...record,
    });
  }
}

/** An attach command's escape key: its byte, and how the person wrote it (`--escape-key`). */
interface EscapeKey {
  byte: number;
  name: string;
}

/** The hello's escape key, or undefined when it names no control key (the daemon then does not draw). */
export function escapeKeyOf(name: string): EscapeKey | undefined {
  const byte = escapeKeyByte(name);
  return byte === undefined ? undefined : { byte, name };
}

function clamp(value: number, range: { min: number; max: number }): number {
  return Math.min(range.max, Math.max(range.min, value));
}
