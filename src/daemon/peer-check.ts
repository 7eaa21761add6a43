import { existsSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { currentUid } from "../shared/owner-check.js";
import { isDescendant } from "./process-ancestry.js";
import { type PeerCredentials, peerCredentials } from "./socket-fd.js";

/** The daemon's verdict on one accepted connection; `reason` is a sentence for the audit log and stderr. */
export type PeerVerdict =
  | { ok: true; peer: PeerCredentials }
  | { ok: false; peer?: PeerCredentials; reason: string };

export interface PeerCheckOptions {
  /**
   * Refuse peers running below this pid (pass the daemon's own process.pid): its panes and whatever they start.
   * With the daemon a child subreaper, a pane's orphans are reparented to it, so they stay below it.
   */
  refuseDescendantsOf?: number;
  /**
   * Refuse peers inside a pid namespace nested below the daemon's (every ccmux pane sandbox has its own): a
   * sandboxed pane of any ccmux server that can see some daemon's socket never reaches its tools.
   */
  refuseNestedPidNamespaces?: boolean;
}

/**
 * Checks an accepted connection's peer (SO_PEERCRED, seed §5.2): its uid must be `uid` (the daemon's own), its
 * pid must still exist in this pid namespace, and (with `refuseDescendantsOf`) it must not run below the daemon.
 * Never throws: a connection whose credentials cannot be read is refused too. The caller destroys a refused
 * socket and audits the reason.
 */
export function checkPeer(
  socket: Socket,
  uid: number = currentUid(),
  options: PeerCheckOptions = {},
): PeerVerdict {
  let peer: PeerCredentials;
  try {
    peer = peerCredentials(socket);
  } catch (error) {
    return {
      ok: false,
      reason: `connection refused: its peer credentials cannot be read (${(error as Error).message})`,
    };
  }
  // Security: another local user reaching the socket (a loosened directory, root's daemon, a copied fd) would get
  // every pane of this user and this policy: the daemon serves its own uid only, root included.
  if (peer.uid !== uid)
    return {
      ok: false,
      peer,
      reason: `connection refused: peer pid ${peer.pid} runs as uid ${peer.uid}, the daemon serves uid ${uid} only`,
    };
  // Security: a peer in a pid namespace we cannot see (a container or sandbox that reached the socket) shows
  // as pid 0; it could not be named in the audit log, so it is refused.
  if (peer.pid <= 0)
    return {
      ok: false,
      peer,
      reason: "connection refused: the peer is in a pid namespace the daemon cannot see (pid 0)",
    };
  // Security: credentials are recorded at connect(); if that process has exited, the connection lives on in a
  // process it handed the descriptor to, and the audit would name a pid that may be reused: refused.
  if (!existsSync(`/proc/${peer.pid}`))
    return {
      ok: false,
      peer,
      reason: `connection refused: the connecting process (pid ${peer.pid}) no longer exists`,
    };
  // Security: a pane of the same uid (sandbox off, or one that can see the socket) connecting back to its own
  // daemon could attach to any session by name and read or type into its panes, outside its own sandbox.
  if (options.refuseDescendantsOf !== undefined && isDescendant(peer.pid, options.refuseDescendantsOf))
    return {
      ok: false,
      peer,
      reason: `connection refused: pid ${peer.pid} runs inside the daemon's own panes (below pid ${options.refuseDescendantsOf})`,
    };
  // Security: a sandboxed pane of another daemon (or of a plain serve) is not below this daemon, yet has our uid:
  // an attack review reached a second daemon's socket from one (a custom XDG_RUNTIME_DIR that pane's server did
  // not hide) and typed into an unsandboxed pane of it. Sandboxes run in a pid namespace of their own, which
  // /proc/PID/status shows (NSpid: one pid per namespace level; readable even for non-dumpable processes).
  if (options.refuseNestedPidNamespaces) {
    const depth = pidNamespaceDepth(peer.pid);
    ownDepth ??= pidNamespaceDepth(process.pid);
    const own = ownDepth;
    if (depth === undefined || own === undefined || depth > own)
      return {
        ok: false,
        peer,
        reason: `connection refused: pid ${peer.pid} runs in a pid namespace below the daemon's (a sandbox)`,
      };
  }
  return { ok: true, peer };
}

/** This process's pid namespace depth, read once (it cannot change). */
let ownDepth: number | undefined;

/** How many pid namespaces `pid` is nested in, as seen from our /proc (the NSpid line's count). */
export function pidNamespaceDepth(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((entry) => entry.startsWith("NSpid:"));
    return line === undefined ? undefined : line.slice("NSpid:".length).trim().split(/\s+/).length;
  } catch {
    return undefined;
  }
}
