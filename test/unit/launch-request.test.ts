import { describe, expect, it } from "vitest";
import { encodeLaunchRequest } from "../../src/panes/sandbox/launch-request.js";

describe("the request a spare's launcher reads", () => {
  it("is the directory, the user, the argv and the environment, each NUL-terminated after its count", () => {
    const bytes = encodeLaunchRequest({
      cwd: "/w",
      argv: ["/bin/echo", "", "a b"],
      env: { A: "1=2" },
      user: { uid: 65534, gid: 65534 },
    });
    expect(bytes.toString("utf8").split("\0")).toEqual([
      "/w",
      "65534:65534",
      "3",
      "/bin/echo",
      "",
      "a b",
      "1",
      "A=1=2",
      "",
    ]);
    expect(encodeLaunchRequest({ cwd: "/w", argv: ["/bin/true"], env: {} }).toString("utf8")).toBe(
      "/w\0\x001\0/bin/true\x000\0",
    );
  });

  it.each([
    ["a NUL in an argument (it would split into two)", { argv: ["/bin/echo", "a\0b"] }],
    ["a NUL in the directory", { cwd: "/w\0/x" }],
    ["a NUL in a value", { env: { A: "x\0B=1" } }],
    ["= in a variable name", { env: { "A=B": "1" } }],
    ["root as the pane user", { user: { uid: 0, gid: 0 } }],
    ["a user that is not a number", { user: { uid: Number.NaN, gid: 1 } }],
  ])("refuses %s", (_, change) => {
    expect(() => encodeLaunchRequest({ cwd: "/w", argv: ["/bin/true"], env: {}, ...change })).toThrow();
  });
});
