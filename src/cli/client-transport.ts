import type { Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { oneSendAtATime } from "../shared/one-send-at-a-time.js";
import { answerMalformedFrames } from "../tools/malformed-frames.js";
import type { ToolDeps } from "../tools/tool-deps.js";
import { LineLimit, MAX_FRAME_BYTES } from "./line-limit.js";

/**
 * The MCP transport for one client, `serve`'s stdio or a daemon connection's socket: answers go to `output`, one
 * send at a time; the client's bytes go into `input` (pipe them in), where a frame over MAX_FRAME_BYTES is dropped
 * as it streams; every frame that cannot be read is answered and audited (answerMalformedFrames).
 */
export function clientTransport(
  output: Writable,
  deps: Pick<ToolDeps, "audit" | "connection">,
): { transport: StdioServerTransport; input: LineLimit } {
  const input = new LineLimit();
  const transport = oneSendAtATime(new StdioServerTransport(input, output));
  answerMalformedFrames(transport, deps, { take: () => input.takeOversized(), limit: MAX_FRAME_BYTES });
  return { transport, input };
}
