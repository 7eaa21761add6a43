import { readFileSync } from "node:fs";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Served } from "./mcp-harness.js";
import { textOf } from "./mcp-harness.js";

/**
 * One tool call of a recorded transcript (JSONL under test/fixtures/transcripts): `t` the wall-clock time it
 * was made (for reading; the replay does not wait), `args` with `"@name"` for the pane a spawn `as` named,
 * `expect` "ok" or the refusal code the server answers.
 */
export interface TranscriptCall {
  t: string;
  tool: string;
  args: Record<string, unknown>;
  expect: string;
  as?: string;
  note?: string;
}

/** What one replayed call got. */
export interface ReplayedCall {
  call: TranscriptCall;
  /** "ok" or the refusal's code. */
  outcome: string;
  /** Client-side latency, in milliseconds. */
  ms: number;
  /** Text blocks after the first (the probing brake's one-time notice). */
  notices: string[];
}

export function readTranscript(path: string): TranscriptCall[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as TranscriptCall);
}

/** Replays calls one after the other, as fast as the server answers (a whole morning in a minute or two). */
export async function replay(mcp: Served, calls: readonly TranscriptCall[]): Promise<ReplayedCall[]> {
  const panes = new Map<string, string>();
  const results: ReplayedCall[] = [];
  for (const call of calls) {
    const args = { ...call.args };
    if (typeof args.pane === "string" && args.pane.startsWith("@")) {
      args.pane = panes.get(args.pane.slice(1)) ?? args.pane;
    }
    const started = performance.now();
    const result = (await mcp.client.callTool({ name: call.tool, arguments: args }, undefined, {
      timeout: 120_000,
    })) as CallToolResult;
    const ms = performance.now() - started;
    const outcome = result.isError ? (textOf(result).split(":")[0] ?? "") : "ok";
    const structured = result.structuredContent as { pane?: unknown } | undefined;
    if (call.as !== undefined && typeof structured?.pane === "string") panes.set(call.as, structured.pane);
    const notices = result.content.slice(1).flatMap((block) => (block.type === "text" ? [block.text] : []));
    results.push({ call, outcome, ms, notices });
  }
  return results;
}
