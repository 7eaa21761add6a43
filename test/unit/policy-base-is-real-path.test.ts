import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { loadPolicy } from "../../src/cli/policy-file.js";

// An attack review: one policy file reached through a symlinked directory meant another workspace (relative
// entries resolved against the path as typed), and the daemon, keyed by the file's real path, served whichever
// meaning started it to every bridge whose bytes matched.
let base: string;
afterEach(() => rmSync(base, { recursive: true, force: true }));

it("a policy read through a symlinked directory resolves its relative paths where the file really is", () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "ccmux-policy-base-")));
  mkdirSync(join(base, "real", "ws"), { recursive: true });
  writeFileSync(
    join(base, "real", "ccmux.json"),
    JSON.stringify({ workspace: ["ws"], audit: { path: "state/a.jsonl" } }),
  );
  symlinkSync(join(base, "real"), join(base, "alias"));
  const direct = loadPolicy(join(base, "real", "ccmux.json"));
  const aliased = loadPolicy(join(base, "alias", "ccmux.json"));
  expect(direct.workspace).toEqual([join(base, "real", "ws")]);
  expect(aliased.workspace).toEqual(direct.workspace);
  expect(aliased.audit.path).toBe(join(base, "real", "state", "a.jsonl"));
});
