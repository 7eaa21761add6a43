import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProgram } from "../../src/validation/program-resolve.js";
import { codeOf, makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
beforeAll(() => {
  tree = makeTree();
});
afterAll(() => tree.remove());

describe("resolveProgram", () => {
  it("finds a bare name on the server's PATH and returns the lookup path and realpath", () => {
    const found = resolveProgram("tool", { serverPath: `/nonexistent:${tree.bin}`, roots: [tree.ws] });
    expect(found).toEqual({ path: path.join(tree.bin, "tool"), realpath: path.join(tree.bin, "tool") });
  });

  it("keeps a symlinked lookup path as argv[0] and reports its realpath", () => {
    const found = resolveProgram("ls-alike", { serverPath: tree.bin, roots: [tree.ws] });
    expect(found).toEqual({ path: path.join(tree.bin, "ls-alike"), realpath: path.join(tree.bin, "multi") });
  });

  it("malicious repo shadowing: a PATH entry inside the workspace is skipped", () => {
    const shadow = path.join(tree.ws, "node_modules", ".bin");
    expect(codeOf(() => resolveProgram("git", { serverPath: shadow, roots: [tree.ws] }))).toBe(
      "COMMAND_NOT_ALLOWED",
    );
    fs.copyFileSync(path.join(tree.bin, "tool"), path.join(tree.bin, "git"));
    fs.chmodSync(path.join(tree.bin, "git"), 0o755);
    const found = resolveProgram("git", { serverPath: `${shadow}:${tree.bin}`, roots: [tree.ws] });
    expect(found.path).toBe(path.join(tree.bin, "git"));
  });

  it("a PATH symlink pointing into the workspace is skipped", () => {
    const dir = path.join(tree.base, "bin-into-ws");
    fs.mkdirSync(dir);
    fs.symlinkSync(path.join(tree.ws, "node_modules", ".bin", "git"), path.join(dir, "evil"));
    expect(codeOf(() => resolveProgram("evil", { serverPath: dir, roots: [tree.ws] }))).toBe(
      "COMMAND_NOT_ALLOWED",
    );
  });

  it("empty and relative PATH entries (the current directory) are skipped", () => {
    const cwd = process.cwd();
    try {
      process.chdir(tree.bin);
      expect(codeOf(() => resolveProgram("tool", { serverPath: "::.:bin", roots: [tree.ws] }))).toBe(
        "COMMAND_NOT_ALLOWED",
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it("a file without the executable bit is not a program", () => {
    expect(codeOf(() => resolveProgram("plain.txt", { serverPath: tree.bin, roots: [tree.ws] }))).toBe(
      "COMMAND_NOT_ALLOWED",
    );
  });

  it("an undefined server PATH finds nothing", () => {
    expect(codeOf(() => resolveProgram("tool", { serverPath: undefined, roots: [tree.ws] }))).toBe(
      "COMMAND_NOT_ALLOWED",
    );
  });

  it("accepts an absolute path to an executable as given", () => {
    const exe = path.join(tree.bin, "rm-alike");
    expect(resolveProgram(exe, { serverPath: undefined, roots: [tree.ws] })).toEqual({
      path: exe,
      realpath: path.join(tree.bin, "multi"),
    });
  });

  it.each([["./tool"], ["../bin/tool"], ["bin/tool"], ["."], [".."], [""]])(
    "relative %j is refused",
    (word) => {
      expect(codeOf(() => resolveProgram(word, { serverPath: tree.bin, roots: [tree.ws] }))).toBe(
        "COMMAND_NOT_ALLOWED",
      );
    },
  );

  it("an absolute path not in normal form is refused", () => {
    for (const word of [`${tree.bin}/../bin/tool`, `${tree.bin}//tool`, `${tree.bin}/./tool`]) {
      expect(codeOf(() => resolveProgram(word, { serverPath: undefined, roots: [tree.ws] }))).toBe(
        "COMMAND_NOT_ALLOWED",
      );
    }
  });

  it("a directory is not a program", () => {
    expect(codeOf(() => resolveProgram(tree.bin, { serverPath: undefined, roots: [tree.ws] }))).toBe(
      "COMMAND_NOT_ALLOWED",
    );
  });

  it("unicode look-alikes ｇit and git\\u200b are not found", () => {
    for (const word of ["ｇit", "git\u200b"]) {
      expect(codeOf(() => resolveProgram(word, { serverPath: tree.bin, roots: [tree.ws] }))).toBe(
        "COMMAND_NOT_ALLOWED",
      );
    }
  });
});
