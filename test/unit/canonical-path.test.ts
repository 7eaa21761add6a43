import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalizeInside, canonicalRoot, isInside } from "../../src/validation/canonical-path.js";
import { codeOf, makeTree, type Tree } from "../fixtures/validation-tree.js";

let tree: Tree;
let canon: (input: string, cwd?: string) => string;
let refusal: (input: string, cwd?: string) => string;

beforeAll(() => {
  tree = makeTree();
  canon = (input, cwd = tree.ws) => canonicalizeInside(input, { cwd, roots: [tree.ws] });
  refusal = (input, cwd = tree.ws) => codeOf(() => canon(input, cwd));
});
afterAll(() => tree.remove());

describe("isInside", () => {
  it("sibling prefix /root2 is not inside /root", () => {
    expect(isInside("/srv/app2", "/srv/app")).toBe(false);
    expect(isInside("/srv/app2/x", "/srv/app")).toBe(false);
    expect(isInside("/srv/app", "/srv/app")).toBe(true);
    expect(isInside("/srv/app/x", "/srv/app")).toBe(true);
  });

  it("root / contains every absolute path", () => {
    expect(isInside("/etc/passwd", "/")).toBe(true);
    expect(isInside("/", "/")).toBe(true);
  });
});

describe("canonicalRoot", () => {
  it("returns the realpath of an existing directory", () => {
    expect(canonicalRoot(path.join(tree.ws, "link-in"))).toBe(path.join(tree.ws, "a"));
  });

  it("refuses a missing directory, a file and a relative path with PATH_INVALID", () => {
    expect(codeOf(() => canonicalRoot(path.join(tree.base, "nope")))).toBe("PATH_INVALID");
    expect(codeOf(() => canonicalRoot(path.join(tree.ws, "file.txt")))).toBe("PATH_INVALID");
    expect(codeOf(() => canonicalRoot("ws"))).toBe("PATH_INVALID");
  });
});

describe("canonicalizeInside: accepted paths", () => {
  it("resolves a relative path against cwd", () => {
    expect(canon("a/f.txt")).toBe(path.join(tree.ws, "a", "f.txt"));
    expect(canon("f.txt", path.join(tree.ws, "a"))).toBe(path.join(tree.ws, "a", "f.txt"));
    expect(canon(".")).toBe(tree.ws);
  });

  it("symlink to inside is allowed and resolved", () => {
    expect(canon("link-in/f.txt")).toBe(path.join(tree.ws, "a", "f.txt"));
  });

  it("a file that does not exist yet resolves through its deepest existing ancestor", () => {
    expect(canon("a/new/deeper.txt")).toBe(path.join(tree.ws, "a", "new", "deeper.txt"));
  });

  it("a dangling symlink pointing inside is allowed", () => {
    expect(canon("dangling-in")).toBe(path.join(tree.ws, "new.txt"));
  });

  it("`..` that stays inside is fine", () => {
    expect(canon("a/../file.txt")).toBe(path.join(tree.ws, "file.txt"));
  });

  it("seed §2.2 `....//....//etc/passwd` names literal `....` directories and stays inside", () => {
    expect(canon("....//....//etc/passwd")).toBe(path.join(tree.ws, "....", "....", "etc", "passwd"));
  });
});

describe("canonicalizeInside: seed §2.2 traversal payloads", () => {
  it("refuses ../../../etc/passwd", () => {
    expect(refusal("../../../etc/passwd")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("refuses an absolute path outside", () => {
    expect(refusal("/etc/passwd")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("sibling prefix /root2 is refused", () => {
    expect(refusal(tree.ws2)).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("../ws2/x.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it.each([
    ["%2e%2e%2fetc/passwd"],
    ["%2E%2E/x"],
    ["a%2fb"],
    ["file%00.txt"],
    ["%252e%252e%252f"],
    ["%c0%ae%c0%ae/x"],
  ])("refuses percent-encoding %j with PATH_INVALID (never decoded)", (input) => {
    expect(refusal(input)).toBe("PATH_INVALID");
  });

  it("refuses NUL `file\\x00.txt` with PATH_INVALID", () => {
    expect(refusal("file\u0000.txt")).toBe("PATH_INVALID");
  });

  it("refuses an empty path", () => {
    expect(refusal("")).toBe("PATH_INVALID");
  });

  it("refuses `~` paths as outside (a program may expand them to $HOME)", () => {
    expect(refusal("~/x")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("~")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("~root/.ssh")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a symlink to outside is refused", () => {
    expect(refusal("link-out/secret.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("link-out")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a symlink chain out (chain1 -> chain2 -> link-out) is refused", () => {
    expect(refusal("chain1/secret.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a dangling symlink pointing outside is refused (open(O_CREAT) would follow it)", () => {
    expect(refusal("dangling-out")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("`link/..` is resolved physically, like the kernel, not lexically", () => {
    // Lexically link-out/.. is the workspace; physically it is the parent of `outside`, which is outside the
    // workspace: the walk refuses there, even though ../ws/file.txt would lead back in.
    expect(refusal("link-out/../ws/file.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("link-out/../outside/secret.txt")).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(refusal("link-in/../../outside")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("an agent cannot map directories outside the workspace: existing and missing ones answer alike", () => {
    // Attack review: `ws/../outside/../ws/x` was allowed when `outside` existed and PATH_INVALID when not.
    const ws = path.basename(tree.ws);
    for (const probe of ["outside", "no-such-dir", "outside/secret.txt", "link-out"]) {
      expect(refusal(`../${probe}/../${ws}/file.txt`), probe).toBe("PATH_OUTSIDE_WORKSPACE");
      expect(refusal(`../${probe}/../../${path.basename(path.dirname(tree.ws))}/${ws}/file.txt`), probe).toBe(
        "PATH_OUTSIDE_WORKSPACE",
      );
    }
    for (const probe of ["/root/.cargo", "/root/.no-such", "/etc", "/etc/no-such", "/etc/passwd"]) {
      expect(refusal(`${probe}/../../..${tree.ws}/file.txt`), probe).toBe("PATH_OUTSIDE_WORKSPACE");
    }
  });

  it("`..` under a directory that does not exist yet is refused", () => {
    expect(refusal("new/../../outside")).toBe("PATH_INVALID");
    expect(refusal("new/../file.txt")).toBe("PATH_INVALID");
  });

  it("a symlink loop is refused with PATH_INVALID", () => {
    expect(refusal("loop1/x")).toBe("PATH_INVALID");
  });

  it("/proc/self/root/etc/passwd is refused", () => {
    expect(refusal("/proc/self/root/etc/passwd")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("/proc/self/cwd/../.. is refused even when the server's cwd is inside the workspace", () => {
    const roots = [tree.ws, process.cwd()];
    expect(codeOf(() => canonicalizeInside("/proc/self/cwd/x", { cwd: tree.ws, roots }))).toBe(
      "PATH_OUTSIDE_WORKSPACE",
    );
    expect(refusal("/proc/self/cwd/../..")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it("a workspace symlink into /proc/self/cwd is refused", () => {
    expect(refusal("proc-cwd/x")).toBe("PATH_OUTSIDE_WORKSPACE");
  });

  it.skipIf(!fs.existsSync("/dev/fd"))(
    "/dev/fd/N and /dev/stdin are refused (they name the server's files)",
    () => {
      expect(codeOf(() => canonicalizeInside("/dev/fd/0", { cwd: tree.ws, roots: ["/"] }))).toBe(
        "PATH_OUTSIDE_WORKSPACE",
      );
      expect(refusal("/dev/stdin")).toBe("PATH_OUTSIDE_WORKSPACE");
    },
  );

  it("a file used as a directory resolves inside but climbing out of it is refused", () => {
    expect(canon("file.txt/x")).toBe(path.join(tree.ws, "file.txt", "x"));
    expect(refusal("file.txt/../../outside")).toBe("PATH_INVALID");
  });

  it("refuses nothing by string prefix: a root / still admits everything but /proc", () => {
    expect(canonicalizeInside("/etc", { cwd: tree.ws, roots: ["/"] })).toBe(fs.realpathSync.native("/etc"));
  });
});
