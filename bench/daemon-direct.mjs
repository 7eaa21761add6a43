// The SDK client straight on a daemon's socket, with no `serve --daemon` bridge in between: the bench's way to
// split a bridged round trip into the bridge's hop and the daemon's own cost. It does what the bridge does before
// it forwards (verify the daemon, say hello) with the CLI's own functions, then speaks MCP over the socket.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import { askDaemon, reachDaemon } from "../dist/cli/daemon-client.js";

/** An MCP client transport over a connected socket: newline-delimited JSON-RPC, as the stdio transports. */
class SocketTransport {
  constructor(socket) {
    this.socket = socket;
    this.buffer = new ReadBuffer();
  }

  async start() {
    this.socket.on("data", (chunk) => {
      this.buffer.append(chunk);
      for (;;) {
        let message;
        try {
          message = this.buffer.readMessage();
        } catch (error) {
          this.onerror?.(error);
          continue;
        }
        if (message === null) break;
        this.onmessage?.(message);
      }
    });
    this.socket.on("error", (error) => this.onerror?.(error));
    this.socket.once("close", () => this.onclose?.());
    // The hello's reader paused the socket (and put back what followed the reply).
    this.socket.resume();
  }

  send(message) {
    return new Promise((resolveSent) => {
      if (this.socket.write(serializeMessage(message))) resolveSent();
      else this.socket.once("drain", resolveSent);
    });
  }

  async close() {
    this.socket.end();
  }
}

/**
 * Connects to the verified daemon of `policyFile` (a real path) in `socketDir` as agent session `session` and
 * returns { client, call(name, args, options), ok(name, args, options), close() }, like support.mjs's serve()
 * (`ok` returns structuredContent, or throws with the error text). Throws when no daemon runs or it refuses the
 * hello.
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
  const call = (name, args = {}, options = {}) =>
    client.callTool({ name, arguments: args }, undefined, options);
  return {
    client,
    call,
    async ok(name, args = {}, options = {}) {
      const result = await call(name, args, options);
      const text = result.content?.[0]?.type === "text" ? result.content[0].text : "";
      if (result.isError) throw new Error(`daemon-direct: ${name} -> isError: ${text}`);
      return result.structuredContent;
    },
    close: async () => {
      await client.close().catch(() => {});
      socket.destroy();
    },
  };
}
