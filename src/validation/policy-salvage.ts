import type { z } from "zod";
import { pathKey } from "./json-source.js";
import { type PolicyFile, policySchema } from "./policy-schema.js";

/**
 * The parts of a policy file that pass the schema, so that meaning checks can run on them in the same pass
 * as the schema errors (a person fixes everything in one round, not one kind at a time). A section that does
 * not parse falls back to its default (`workspace` to none); an array keeps its elements that parse, and
 * `restorePath` maps the indices of what was kept back to the file's.
 */
export interface SalvagedPolicy {
  policy: PolicyFile;
  /** `commands[1].args[0]` in the kept parts → the same place in the file. */
  restorePath(path: string): string;
}

type Salvage = { ok: true; data: unknown } | { ok: false };

interface ZodInternals {
  _zod: {
    def: { type: string; innerType?: z.ZodType; element?: z.ZodType; shape?: Record<string, z.ZodType> };
  };
}

/** The schema under `.default()`/`.optional()`/`.nullable()`. */
function unwrap(schema: z.ZodType): z.ZodType {
  let inner = schema;
  for (;;) {
    const def = (inner as unknown as ZodInternals)._zod.def;
    if (!["default", "prefault", "optional", "nullable"].includes(def.type) || !def.innerType) return inner;
    inner = def.innerType;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function salvage(schema: z.ZodType, value: unknown, path: string, kept: Map<string, number[]>): Salvage {
  const whole = schema.safeParse(value);
  if (whole.success) return { ok: true, data: whole.data };
  const def = (unwrap(schema) as unknown as ZodInternals)._zod.def;
  if (def.type === "object" && def.shape && isPlainObject(value)) {
    const out = salvageFields(def.shape, value, path, kept);
    if (out === undefined) return { ok: false };
    const again = schema.safeParse(out);
    return again.success ? { ok: true, data: again.data } : { ok: false };
  }
  if (def.type === "array" && def.element && Array.isArray(value)) {
    const element = def.element;
    const indices: number[] = [];
    const items: unknown[] = [];
    for (const [index, item] of value.entries()) {
      // An element is kept whole or not at all: half an allow rule must not be checked as a rule.
      const parsed = element.safeParse(item);
      if (!parsed.success) continue;
      indices.push(index);
      items.push(parsed.data);
    }
    const again = schema.safeParse(items);
    if (!again.success) return { ok: false };
    kept.set(path, indices);
    return { ok: true, data: again.data };
  }
  return { ok: false };
}

/** Each field salvaged, or its default; undefined when a required field has neither. */
function salvageFields(
  shape: Record<string, z.ZodType>,
  value: Record<string, unknown>,
  path: string,
  kept: Map<string, number[]>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const part = salvage(field, value[key], pathKey(path, key), kept);
    if (part.ok) {
      if (part.data !== undefined) out[key] = part.data;
      continue;
    }
    const fallback = field.safeParse(undefined);
    if (!fallback.success) return undefined;
    if (fallback.data !== undefined) out[key] = fallback.data;
  }
  return out;
}

/** What of `raw` passes the policy schema (see SalvagedPolicy). Use only when the whole does not. */
export function salvagePolicy(raw: unknown): SalvagedPolicy {
  const kept = new Map<string, number[]>();
  const { workspace, ...sections } = (policySchema as unknown as ZodInternals)._zod.def.shape ?? {};
  const file = isPlainObject(raw) ? raw : {};
  // Every other section has a default, so this never gives up.
  const out = salvageFields(sections, file, "", kept) ?? {};
  // A workspace that does not parse leaves none: the checks that need roots then find none to check.
  const roots = workspace ? salvage(workspace, file.workspace, "workspace", kept) : { ok: false as const };
  const policy = { ...out, workspace: roots.ok ? roots.data : [] } as PolicyFile;
  return { policy, restorePath: (path) => restore(path, kept) };
}

function restore(path: string, kept: ReadonlyMap<string, number[]>): string {
  let out = "";
  for (const token of path.match(/\[\d+\]|[^.[\]]+/g) ?? []) {
    if (token.startsWith("[")) {
      const index = Number(token.slice(1, -1));
      out = pathKey(out, kept.get(out)?.[index] ?? index);
    } else {
      out = pathKey(out, token);
    }
  }
  return out;
}
