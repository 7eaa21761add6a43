import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

/**
 * Makes `transport.send` write one message at a time, in order: the next message is written once the previous
 * one has been taken by the pipe (its `drain` awaited when the pipe was full). Returns the same transport.
 *
 * Why: the SDK's stdio transports write every message at once and park one `drain` listener per message the
 * full pipe did not take, so a burst of more than ten answers to a slow reader (or calls to a busy server)
 * printed `MaxListenersExceededWarning: Possible EventEmitter memory leak` and held every message in memory.
 * A send that fails (the pipe closed) rejects for its caller and does not stop the ones after it.
 */
export function oneSendAtATime<T extends Transport>(transport: T): T {
  const send = transport.send.bind(transport);
  let previous: Promise<void> = Promise.resolve();
  transport.send = (message, options) => {
    const sent = previous.then(() => send(message, options));
    previous = sent.catch(() => {});
    return sent;
  };
  return transport;
}
