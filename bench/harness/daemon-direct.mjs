// The SDK client straight on a daemon's socket, with no `serve --daemon` bridge in between: the bench's way to
// split a bridged round trip into the bridge's hop and the daemon's own cost. It does what the bridge does before
// it forwards (verify the daemon, say hello) with the CLI's own functions, then speaks MCP over the socket.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import { daemonClientModule } from "./built.mjs";
import { toolCalls } from "./mcp-server.mjs";

const { askDaemon, reachDaemon } = await daemonClientModule();

/**
 * @typedef {import("@modelcontextprotocol/sdk/shared/transport.js").Transport} Transport
 * @typedef {import("@modelcontextprotocol/sdk/types.js").JSONRPCMessage} JSONRPCMessage
 */

/**
 * An MCP client transport over a connected socket: newline-delimited JSON-RPC, as the stdio transports.
 * @implements {Transport}
 */
class SocketTransport {
  /** @param {import("node:net").Socket} socket */
  constructor(socket) {
    this.socket = socket;
    this.buffer = new ReadBuffer();
    /** @type {((message: JSONRPCMessage) => void) | undefined} */
    this.onmessage = undefined;
    /** @type {((error: Error) => void) | undefined} */
    this.onerror = undefined;
    /** @type {(() => void) | undefined} */
    this.onclose = undefined;
  }

  async start() {
    this.socket.on("data", (chunk) => {
      this.buffer.append(chunk);
      for (;;) {
        try {
          const message = this.buffer.readMessage();
          if (message === null) break;
          this.onmessage?.(message);
        } catch (error) {
          this.onerror?.(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
    this.socket.on("error", (error) => this.onerror?.(error));
    this.socket.once("close", () => this.onclose?.());
    // The hello's reader paused the socket (and put back what followed the reply).
    this.socket.resume();
  }

  /** @param {JSONRPCMessage} message */
  send(message) {
    return new Promise((resolveSent) => {
      if (this.socket.write(serializeMessage(message))) resolveSent(undefined);
      else this.socket.once("drain", resolveSent);
    }).then(() => {});
  }

  async close() {
    this.socket.end();
  }
}

/**
 * Connects to the verified daemon of `policyFile` (a real path) in `socketDir` as agent session `session`; `call`
 * and `ok` as serve()'s. Throws when no daemon runs or it refuses the hello.
 * @param {string} socketDir
 * @param {string} policyFile
 * @param {string} session
 */
export async function connectDirect(socketDir, policyFile, session) {
  const reached = await reachDaemon(socketDir, policyFile, false);
  if (!reached.ok) throw new Error(`daemon-direct: ${reached.reason}`);
  const { socket } = reached;
  const reply = await askDaemon(socket, { ccmux: 1, op: "connect", session });
  if (!reply.ok) {
    socket.destroy();
    throw new Error(`daemon-direct: the daemon refused: ${reply.code}: ${reply.message}`);
  }
  const client = new Client({ name: "ccmux-bench-direct", version: "0.0.0" });
  await client.connect(new SocketTransport(socket));
  return {
    ...toolCalls(client),
    close: async () => {
      await client.close().catch(() => {});
      socket.destroy();
    },
  };
}
