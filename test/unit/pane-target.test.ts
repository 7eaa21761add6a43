import { describe, expect, it } from "vitest";
import { authorizePaneTarget, isPaneListed } from "../../src/validation/pane-target.js";

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe("pane-target authorization (seed §6.1 pane escape)", () => {
  it("a connection reaches its own panes with every tool", () => {
    for (const tool of ["read_pane", "wait_for", "send_keys", "kill_pane", "resize_pane"] as const) {
      expect(codeOf(() => authorizePaneTarget({ kind: "agent", session: "c1" }, "c1", tool))).toBeUndefined();
    }
  });

  it("another connection's pane answers exactly like a missing one", () => {
    expect(codeOf(() => authorizePaneTarget({ kind: "agent", session: "c2" }, "c1", "read_pane"))).toBe(
      "PANE_NOT_FOUND",
    );
    expect(codeOf(() => authorizePaneTarget(undefined, "c1", "read_pane"))).toBe("PANE_NOT_FOUND");
    expect(isPaneListed({ kind: "agent", session: "c2" }, "c1")).toBe(false);
  });

  it.each([
    ["read", "read_pane", undefined],
    ["read", "wait_for", undefined],
    ["read", "send_keys", "PANE_FORBIDDEN"],
    ["read", "kill_pane", "PANE_FORBIDDEN"],
    ["write", "send_keys", undefined],
    ["write", "kill_pane", undefined],
    ["read", "resize_pane", "PANE_FORBIDDEN"],
    ["write", "resize_pane", undefined],
    ["none", "resize_pane", "PANE_FORBIDDEN"],
    ["none", "read_pane", "PANE_FORBIDDEN"],
    ["none", "wait_for", "PANE_FORBIDDEN"],
  ] as const)("person pane with access %s: %s → %s", (access, tool, code) => {
    expect(codeOf(() => authorizePaneTarget({ kind: "person", access }, "c1", tool))).toBe(code);
    expect(isPaneListed({ kind: "person", access }, "c1")).toBe(true);
  });
});
