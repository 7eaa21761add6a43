import { createHash, randomBytes } from "node:crypto";

/** The `prev` of a log's very first header: there is nothing before it. */
export const GENESIS = "0".repeat(64);

/** Where the chain stands: the last record's sequence number and hash. */
export interface ChainState {
  seq: number;
  hash: string;
}

/**
 * JSON with object keys sorted at every level and no whitespace: the bytes a record's hash covers, the same
 * whatever order the writer put the keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${Array.from(value, (item) => canonicalJson(item ?? null)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
}

/** SHA-256 (hex) over a record's canonical bytes, `hash` left out; `prev` is inside, which links the chain. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _ignored, ...rest } = record;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

/** Seals `fields` as the record after `state`: sequence number, link to the previous hash, own hash. */
export function seal(
  fields: Record<string, unknown>,
  state: ChainState,
): { record: Record<string, unknown>; state: ChainState } {
  // Security: the chain's own fields come last, so nothing in `fields` can set them.
  const { v: _v, seq: _seq, prev: _prev, hash: _hash, ...rest } = fields;
  const record: Record<string, unknown> = { v: 2, seq: state.seq + 1, ...rest, prev: state.hash };
  const hash = recordHash(record);
  record.hash = hash;
  return { record, state: { seq: state.seq + 1, hash } };
}

/**
 * The first record of every log file: a fresh random nonce anchors the file, and `continues` names the last
 * record of the file before it (rotation), whose hash is also this header's `prev`.
 */
export function headerFields(time: string, continues: ChainState | null): Record<string, unknown> {
  return {
    time,
    event: "header",
    nonce: randomBytes(16).toString("hex"),
    continues: continues === null ? null : { seq: continues.seq, hash: continues.hash },
  };
}
