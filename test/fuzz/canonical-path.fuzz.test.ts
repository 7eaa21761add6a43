import fs from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCcmuxError } from "../../src/errors.js";
import { canonicalizeInside } from "../../src/validation/canonical-path.js";
import { makeTree, type Tree } from "../fixtures/validation-tree.js";

const runs = Number(process.env.CCMUX_FUZZ_RUNS ?? 300);
const params = { seed: 42, numRuns: runs };

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => tree.remove());

const segment = fc.constantFrom(
  "..",
  ".",
  "a",
  "f.txt",
  "file.txt",
  "link-out",
  "link-in",
  "chain1",
  "dangling-out",
  "dangling-in",
  "loop1",
  "proc-cwd",
  "....",
  "new",
  "ws",
  "ws2",
  "outside",
  "secret.txt",
  "%2e",
  "%2f",
  "\u0000",
  "~",
  "",
);
const separator = fc.constantFrom("/", "//");
/** Relative paths, absolute paths from /, and absolute paths through the workspace root. */
const input = fc
  .tuple(
    fc.constantFrom("", "/", "WS/", "/proc/self/cwd/"),
    fc.array(fc.tuple(segment, separator), { maxLength: 8 }),
    segment,
  )
  .map(([prefix, parts, last]) => {
    const body = parts.map(([s, sep]) => s + sep).join("") + last;
    return prefix === "WS/" ? `${tree.ws}/${body}` : prefix + body;
  });

/** An oracle independent of the code under test. */
function inside(p: string): boolean {
  return p === tree.ws || p.startsWith(`${tree.ws}/`);
}

function attempt(p: string): { ok: true; value: string } | { ok: false; code: string } {
  try {
    return { ok: true, value: canonicalizeInside(p, { cwd: tree.ws, roots: [tree.ws] }) };
  } catch (error) {
    return { ok: false, code: isCcmuxError(error) ? error.code : `foreign: ${String(error)}` };
  }
}

/** The kernel's own answer for a path that exists, or undefined. */
function kernelRealpath(p: string): string | undefined {
  try {
    return fs.realpathSync.native(p.startsWith("/") ? p : `${tree.ws}/${p}`);
  } catch {
    return undefined;
  }
}

describe("canonicalizeInside properties", () => {
  it("everything accepted lies inside the workspace and agrees with the kernel's realpath", () => {
    fc.assert(
      fc.property(input, (p) => {
        const result = attempt(p);
        if (!result.ok) {
          expect(["PATH_INVALID", "PATH_OUTSIDE_WORKSPACE"]).toContain(result.code);
          return;
        }
        expect(inside(result.value)).toBe(true);
        const real = p.includes("\0") ? undefined : kernelRealpath(p);
        if (real !== undefined) expect(result.value).toBe(real);
      }),
      params,
    );
  });

  it("a path the kernel resolves outside the workspace is never accepted", () => {
    fc.assert(
      fc.property(input, (p) => {
        const real = p.includes("\0") ? undefined : kernelRealpath(p);
        fc.pre(real !== undefined && !inside(real));
        expect(attempt(p).ok).toBe(false);
      }),
      { ...params, numRuns: Math.max(50, Math.floor(runs / 3)) },
    );
  });

  it("canonicalization is idempotent", () => {
    fc.assert(
      fc.property(input, (p) => {
        const first = attempt(p);
        fc.pre(first.ok);
        if (first.ok) expect(attempt(first.value)).toEqual(first);
      }),
      params,
    );
  });
});
