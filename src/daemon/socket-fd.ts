import type { Socket } from "node:net";
import { addon } from "../native/addon.js";

/** A Unix socket peer's credentials, as SO_PEERCRED reports them. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * The file descriptor under a connected net.Socket (Node keeps it on the internal handle; Linux). Throws when
 * the socket has none: not connected yet, or destroyed.
 */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0)
    throw new Error("the socket has no file descriptor (not connected yet, or already closed)");
  return fd;
}

/**
 * SO_PEERCRED of a connected Unix socket: on the daemon's side the client's pid/uid/gid at connect(), on the
 * client's side the daemon's at listen(). Throws when the socket has no descriptor or is not a Unix socket.
 */
export function peerCredentials(socket: Socket): PeerCredentials {
  return addon.peerCred(socketFd(socket));
}
