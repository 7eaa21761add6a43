import { unlinkSync } from "node:fs";
import { createServer as createSocketServer, type Socket, type Server as SocketServer } from "node:net";
import type { AuditRecord } from "../audit/audit-log.js";
import { type Hello, type HelloReply, readFirstLine, writeLine } from "../daemon/hello.js";
import { helloSchema } from "../daemon/hello-schema.js";
import { checkPeer } from "../daemon/peer-check.js";
import { CcmuxError } from "../errors.js";
import { Connection } from "../tools/connection.js";
import { createServer } from "../tools/create-server.js";
import { RecentKills } from "../tools/recent-kills.js";
import { findAttachTarget } from "./attach/attach-target.js";
import { DaemonTerminal } from "./attach/daemon-terminal.js";
import { escapeKeyOf, ViewerSession } from "./attach/viewer-session.js";
import { clientTransport } from "./client-transport.js";
import { describeSessions } from "./daemon-sessions.js";
import type { PaneServer } from "./pane-server.js";
import { packageVersion } from "./version.js";

/** Clients connected at once (each holds a descriptor and, once connected, an MCP server). */
export const MAX_CLIENTS = 64;
/** Refused connections audited one by one per minute; the rest are counted (see Daemon.refuse). */
const REFUSALS_PER_MINUTE = 20;

/** The connections of one daemon, by agent session. */
export class Daemon {
  readonly server: SocketServer;
  readonly sessions = new Map<string, Set<Connection>>();
  private readonly sockets = new Set<Socket>();
  private refusals = { since: 0, written: 0, folded: 0 };
  private refusalTimer: NodeJS.Timeout | undefined;
  /** The people attached to each pane (`ccmux attach`). */
  private readonly viewers = new Map<string, Set<ViewerSession>>();
  /** Each session's kills, so kill_pane answers a repeat the same after a reconnect (bounded per session). */
  private readonly kills = new Map<string, RecentKills>();
  private stopWith: (why: string) => void = () => {};
  readonly stopped = new Promise<string>((resolve) => {
    this.stopWith = resolve;
  });

  constructor(
    private readonly core: PaneServer,
    private readonly socketPath: string,
  ) {
    this.server = createSocketServer((socket) => void this.accept(socket));
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
      process.on(signal, () => this.stopWith(signal));
  }

  private async accept(socket: Socket): Promise<void> {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    // A client that goes away mid-answer is its own loss, never the daemon's crash.
    socket.on("error", () => {});
    // Security: the daemon's own panes (and what they start) never reach the tools, whatever their uid.
    const peer = checkPeer(socket, undefined, {
      refuseDescendantsOf: process.pid,
      refuseNestedPidNamespaces: true,
    });
    if (!peer.ok) {
      // Security: another user's process (a pane run as the pane user, another login) never reaches the tools.
      this.refuse({
        event: "connect",
        decision: "deny",
        reason: peer.reason,
        ...(peer.peer ? { peer: peer.peer } : {}),
      });
      socket.destroy();
      return;
    }
    // Security: one client of our uid opening connection after connection cannot take every descriptor and
    // megabyte of the daemon from the sessions it serves.
    if (this.sockets.size > MAX_CLIENTS) {
      const message = `The daemon serves at most ${MAX_CLIENTS} clients at once.`;
      this.refuse({
        event: "connect",
        decision: "deny",
        code: "LIMIT_EXCEEDED",
        reason: message,
        peer: peer.peer,
      });
      this.reply(socket, { ok: false, code: "LIMIT_EXCEEDED", message });
      socket.end();
      return;
    }
    let hello: Hello;
    try {
      const line = await readFirstLine(socket);
      const parsed = helloSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new Error("not a ccmux hello (or a session name outside [A-Za-z0-9._-], 1-64)");
      hello = parsed.data;
    } catch (error) {
      const reason = (error as Error).message;
      this.refuse({ event: "connect", decision: "deny", code: "INVALID_ARGUMENT", reason, peer: peer.peer });
      this.reply(socket, { ok: false, code: "INVALID_ARGUMENT", message: reason });
      socket.end();
      return;
    }
    if (hello.op !== "connect")
      this.core.logAudit({ event: "connect", decision: "allow", op: hello.op, peer: peer.peer });
    if (hello.op === "ls") {
      this.reply(socket, {
        ok: true,
        ...(await describeSessions(this.core.host, this.sessions)),
        pid: process.pid,
      });
      socket.end();
      return;
    }
    if (hello.op === "stop") {
      this.reply(socket, { ok: true, pid: process.pid });
      socket.end();
      this.stopWith("ccmux daemon stop");
      return;
    }
    if (hello.op === "attach") return this.attach(socket, hello, peer.peer);
    await this.serveSession(socket, hello.session, peer.peer);
  }

  /** A person's terminal attaches to a pane (`ccmux attach`): refused, audited, when there is no such pane. */
  private async attach(
    socket: Socket,
    hello: Extract<Hello, { op: "attach" }>,
    peer: { pid: number; uid: number },
  ): Promise<void> {
    let pane: Awaited<ReturnType<typeof findAttachTarget>>;
    try {
      const personNames = new Set(this.core.policy.panes.map((each) => each.name));
      pane = await findAttachTarget(this.core.host, hello.session, hello.pane, personNames);
    } catch (error) {
      const code = error instanceof CcmuxError ? error.code : "INTERNAL";
      const message = (error as Error).message;
      this.core.logAudit({
        event: "attach",
        decision: "deny",
        origin: "person",
        code,
        reason: message,
        args: { pane: hello.pane, session: hello.session },
        peer,
      });
      this.reply(socket, { ok: false, code, message });
      socket.end();
      return;
    }
    const sessions = this.viewers.get(pane.id) ?? new Set<ViewerSession>();
    this.viewers.set(pane.id, sessions);
    // Security: see DaemonTerminal.open (the peer passed checkPeer: its own controlling terminal only).
    const terminal =
      hello.terminal && escapeKeyOf(hello.terminal.escapeKey)
        ? DaemonTerminal.open(peer.pid, hello.terminal.path, hello.terminal.rdev)
        : undefined;
    const session = new ViewerSession(
      socket,
      pane,
      hello,
      peer,
      {
        host: this.core.host,
        logAudit: this.core.logAudit,
        viewersChanged: (id) => {
          for (const each of this.viewers.get(id) ?? []) each.sendStatus();
        },
      },
      terminal,
    );
    sessions.add(session);
    socket.once("close", () => {
      sessions.delete(session);
      if (sessions.size === 0 && this.viewers.get(pane.id) === sessions) this.viewers.delete(pane.id);
    });
  }

  /**
   * Audits a refused connection, at most REFUSALS_PER_MINUTE records a minute; past that they are counted, and the
   * count is written as a record of its own (`alsoRefused`) when the minute ends, and at stop — so a flood of
   * connections cannot flood the log, and none goes unrecorded (a second review found counts lost at stop).
   */
  private refuse(record: AuditRecord): void {
    const now = Date.now();
    if (now - this.refusals.since >= 60_000) {
      this.flushRefusals();
      this.refusals = { since: now, written: 0, folded: 0 };
    }
    if (this.refusals.written >= REFUSALS_PER_MINUTE) {
      this.refusals.folded += 1;
      this.refusalTimer ??= setTimeout(() => {
        this.refusalTimer = undefined;
        this.flushRefusals();
      }, 60_000).unref();
      return;
    }
    this.refusals.written += 1;
    console.error(`ccmux daemon: refused a connection: ${record.reason}`);
    this.core.logAudit(record);
  }

  /** Writes how many refused connections were only counted since the last such record, if any. */
  private flushRefusals(): void {
    const folded = this.refusals.folded;
    if (folded === 0) return;
    this.refusals.folded = 0;
    console.error(`ccmux daemon: refused ${folded} more connections (counted, not recorded one by one)`);
    this.core.logAudit({
      event: "connect",
      decision: "deny",
      reason: `${folded} more refused connections, counted, not recorded one by one`,
      alsoRefused: folded,
    });
  }

  private reply(socket: Socket, reply: HelloReply): void {
    if (!socket.destroyed) writeLine(socket, reply);
  }

  /** One MCP connection of agent session `session` over `socket`, until either side closes it. */
  private async serveSession(
    socket: Socket,
    session: string,
    peer: { pid: number; uid: number },
  ): Promise<void> {
    const { policy, host, audit, serverEnv, warn, startPersonPanes, logAudit } = this.core;
    const kills = this.kills.get(session) ?? new RecentKills();
    this.kills.set(session, kills);
    const connection = new Connection(policy.limits, policy.anomalies, policy.audit, kills);
    const members = this.sessions.get(session) ?? new Set<Connection>();
    members.add(connection);
    this.sessions.set(session, members);
    logAudit({
      event: "connect",
      decision: "allow",
      op: "connect",
      connection: connection.id,
      agentSession: session,
      peer,
    });
    const server = createServer(
      { policy, host, audit, connection, session, serverEnv, warn, startPersonPanes },
      packageVersion(),
    );
    const { transport, input } = clientTransport(socket, { audit, connection });
    const closed = new Promise<string>((resolve) => {
      socket.once("close", () => resolve("the client went away"));
      transport.onclose = () => resolve("the client closed the connection");
    });
    this.reply(socket, { ok: true, pid: process.pid, connection: connection.id, session });
    await server.connect(transport);
    // The hello's reader paused the socket; the transport's reader takes over from the byte after the hello.
    socket.pipe(input);
    const why = await closed;
    // A transport that closed on its own lets the socket go too, after what it wrote.
    socket.end();
    members.delete(connection);
    if (members.size === 0) this.sessions.delete(session);
    const summary = connection.auditBudget.takeSummary(connection.id);
    if (summary) logAudit(summary);
    logAudit({
      event: "disconnect",
      decision: "info",
      connection: connection.id,
      agentSession: session,
      reason: why,
    });
    await server.close().catch(() => {});
  }

  /** Stops accepting, ends every connection, then the panes (SIGHUP, the grace, SIGKILL) and the log. */
  async close(why: string): Promise<void> {
    this.server.close();
    clearTimeout(this.refusalTimer);
    this.flushRefusals();
    for (const sessions of this.viewers.values())
      for (const viewer of sessions) viewer.end(`the daemon stopped (${why})`);
    for (const socket of this.sockets) socket.destroy();
    try {
      unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
    await this.core.stop(why);
  }
}
