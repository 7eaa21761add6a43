import type { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

/**
 * Resolves with why a stdio server should stop: the client closed the transport, stdin ended, or SIGTERM,
 * SIGINT or SIGHUP arrived (the signal's name). Set before `server.connect(transport)`. The signal handlers stay
 * installed: a second signal during shutdown must not kill the process before its panes are gone.
 */
export function whenStdioClosed(transport: StdioServerTransport): Promise<string> {
  return new Promise<string>((resolve) => {
    transport.onclose = () => resolve("the client closed the connection");
    process.stdin.once("end", () => resolve("stdin closed"));
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => resolve(signal));
  });
}
