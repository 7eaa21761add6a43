import { createHash } from "node:crypto";

/** Deepest nesting of a call's arguments that is parsed, redacted and logged (objects and arrays). */
export const MAX_ARGS_DEPTH = 32;
/** Most values (objects, arrays, strings, numbers, …) in a call's arguments that are parsed and logged. */
export const MAX_ARGS_NODES = 20_000;

/** What the audit log keeps of arguments past the bounds: their shape's size and a digest, never their walk. */
export interface UnloggedArgs {
  unlogged: "too-deep" | "too-many-values";
  /** Depth reached before the walk stopped (at most MAX_ARGS_DEPTH + 1). */
  depth: number;
  /** Values seen before the walk stopped. */
  values: number;
  /** UTF-8 bytes of the arguments as JSON (JSON.stringify, keys in the order received), and its SHA-256. */
  bytes: number;
  sha256: string;
}

/**
 * Checks a call's raw arguments before anything walks them recursively (redaction, the schema, JSON of the
 * anomaly rules). Iterative, so it cannot overflow the stack itself. Returns null when the arguments are
 * within MAX_ARGS_DEPTH and MAX_ARGS_NODES, otherwise what the log keeps instead of them.
 */
export function argsOverBound(args: unknown): UnloggedArgs | null {
  const shape = argsShapeOverBound(args);
  return shape === null ? null : { ...shape, ...digestJson(args) };
}

/**
 * Like argsOverBound, without the digest: the walk stops at the bound, so this costs at most
 * MAX_ARGS_NODES steps whatever was sent (the digest walks everything; take it once the call is admitted).
 */
export function argsShapeOverBound(args: unknown): Omit<UnloggedArgs, "bytes" | "sha256"> | null {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: args, depth: 0 }];
  let values = 0;
  let deepest = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    values += 1;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_ARGS_DEPTH) return { unlogged: "too-deep", depth: deepest, values };
    if (values > MAX_ARGS_NODES) return { unlogged: "too-many-values", depth: deepest, values };
    if (value !== null && typeof value === "object") {
      // Stop before queueing more values than the bound allows (counting keys is cheaper than taking values).
      const size = Array.isArray(value) ? value.length : Object.keys(value).length;
      if (values + stack.length + size > MAX_ARGS_NODES) {
        return { unlogged: "too-many-values", depth: deepest, values: values + stack.length + size };
      }
      for (const item of Object.values(value)) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * The bytes and SHA-256 of `JSON.stringify(value)` for any JSON value (keys in the order received), hashed as
 * they are produced: an explicit stack instead of recursion, so 20 000 levels cost memory in proportion, never
 * the call stack. A reviewer holding the arguments can recompute it with JSON.stringify.
 */
export function digestJson(value: unknown): { bytes: number; sha256: string } {
  // The engine's own serializer is many times faster; it recurses, so very deep values take the walk below,
  // which writes the same text.
  try {
    const text = JSON.stringify(value) ?? "null";
    return {
      bytes: Buffer.byteLength(text, "utf8"),
      sha256: createHash("sha256").update(text).digest("hex"),
    };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  return digestByWalk(value);
}

function digestByWalk(value: unknown): { bytes: number; sha256: string } {
  const hash = createHash("sha256");
  let bytes = 0;
  const emit = (text: string): void => {
    hash.update(text);
    bytes += Buffer.byteLength(text, "utf8");
  };
  // Each entry is either a value to write or a literal piece of punctuation.
  const work: Array<{ value: unknown } | { text: string }> = [{ value }];
  while (work.length > 0) {
    const next = work.pop() as { value: unknown } | { text: string };
    if ("text" in next) {
      emit(next.text);
      continue;
    }
    const item = next.value;
    if (item === null || typeof item !== "object") {
      emit(JSON.stringify(item) ?? "null");
      continue;
    }
    const pieces: Array<{ value: unknown } | { text: string }> = [];
    if (Array.isArray(item)) {
      pieces.push({ text: "[" });
      Array.from(item).forEach((element, index) => {
        if (index > 0) pieces.push({ text: "," });
        pieces.push({ value: element ?? null });
      });
      pieces.push({ text: "]" });
    } else {
      const entries = Object.entries(item).filter(([, entry]) => entry !== undefined);
      pieces.push({ text: "{" });
      entries.forEach(([key, entry], index) => {
        pieces.push({ text: `${index > 0 ? "," : ""}${JSON.stringify(key)}:` });
        pieces.push({ value: entry });
      });
      pieces.push({ text: "}" });
    }
    for (let i = pieces.length - 1; i >= 0; i--)
      work.push(pieces[i] as { value: unknown } | { text: string });
  }
  return { bytes, sha256: hash.digest("hex") };
}
