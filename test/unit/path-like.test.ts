import { describe, expect, it } from "vitest";
import { argPieces, looksLikePath } from "../../src/validation/path-like.js";

/** The pieces spawn-check holds to the workspace even when they do not exist. */
const pathParts = (arg: string) => argPieces(arg).filter(looksLikePath);

describe("looksLikePath", () => {
  it("is true for ., .., absolute, ~ and anything with a slash", () => {
    expect([".", "..", "/x", "~", "~u", "a/b", "a/"].map(looksLikePath)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it("is false for bare names, which resolve to an entry of cwd", () => {
    expect(["x", "...", "a..b", "-", "HEAD~1", "a\\b"].map(looksLikePath)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("argPieces", () => {
  it("yields bare option values so that existing files among them can be checked", () => {
    expect(argPieces("--file=notes.txt")).toEqual(["--file=notes.txt", "--file", "notes.txt"]);
    expect(argPieces("notes.txt")).toEqual(["notes.txt"]);
  });
});

describe("path-like pieces", () => {
  it.each([["status"], ["-n"], ["5"], ["HEAD~1"], ["main..feature"], ["--oneline"], ["-xvf"], [""], ["a=b"]])(
    "%j is not path-like",
    (arg) => {
      expect(pathParts(arg)).toEqual([]);
    },
  );

  it.each([
    ["/etc/passwd", ["/etc/passwd"]],
    ["~", ["~"]],
    ["~/x", ["~/x"]],
    ["src/x.ts", ["src/x.ts"]],
    ["..", [".."]],
    [".", ["."]],
    ["../x", ["../x"]],
  ])("%j is checked as %j", (arg, parts) => {
    expect(pathParts(arg)).toEqual(parts);
  });

  it("--output=/etc/x checks the value", () => {
    expect(pathParts("--output=/etc/x")).toContain("/etc/x");
  });

  it("--output=sub/x checks the value too (it is allowed later, being inside)", () => {
    expect(pathParts("--output=sub/x")).toEqual(["--output=sub/x", "sub/x"]);
  });

  it("-o=/etc/x checks the value", () => {
    expect(pathParts("-o=/etc/x")).toContain("/etc/x");
  });

  it("an attached short-option value -o/etc/x is checked", () => {
    expect(pathParts("-o/etc/x")).toContain("/etc/x");
    expect(pathParts("-xzf../a.tar")).toContain("../a.tar");
    expect(pathParts("-o~/x")).toContain("~/x");
  });

  it("-I./sub/dir has no absolute reading; -Isub/dir might mean -Isub + /dir", () => {
    expect(pathParts("-I./sub/dir").some((p) => p.startsWith("/"))).toBe(false);
    expect(pathParts("-Isub/dir")).toContain("/dir");
  });

  it("dd-style if=/etc/passwd and curl-style @/etc/passwd carry a path", () => {
    expect(pathParts("if=/etc/passwd")).toContain("/etc/passwd");
    expect(pathParts("@/etc/passwd")).toContain("/etc/passwd");
  });

  it("comma and colon lists carry paths: -Wl,-rpath,/x and host:/etc", () => {
    expect(pathParts("-Wl,-rpath,/x")).toContain("/x");
    expect(pathParts("host:/etc")).toContain("/etc");
  });

  it("file:///etc is a path in disguise", () => {
    expect(pathParts("file:///etc/passwd")).toContain("///etc/passwd");
    expect(pathParts("FILE:/etc/passwd")).toContain("/etc/passwd");
  });

  it("http(s) URLs are checked whole, as the relative path a program would open, not split at the colon", () => {
    expect(argPieces("https://example.com/a/b")).toEqual(["https://example.com/a/b"]);
    expect(argPieces("--url=https://example.com/x")).toContain("https://example.com/x");
    expect(argPieces("--url=https://example.com/x")).not.toContain("//example.com/x");
  });

  it("a comma after a URL starts a new piece: --x=https://a,/etc", () => {
    expect(pathParts("--x=https://a,/etc")).toContain("/etc");
  });

  it("ssh:// and git@host:path forms are checked", () => {
    expect(pathParts("ssh://host/srv/repo")).toContain("//host/srv/repo");
    expect(pathParts("git@github.com:org/repo")).toContain("org/repo");
  });
});
