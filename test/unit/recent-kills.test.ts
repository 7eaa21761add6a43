import { describe, expect, it } from "vitest";
import { type KillResult, RecentKills } from "../../src/tools/recent-kills.js";

const result = (pane: string): KillResult => ({ pane, alive: false, exitCode: 0, signal: null });

describe("RecentKills: kill_pane's memory of one connection's kills", () => {
  it("answers a repeat with the first kill's result, also while that kill is still running", async () => {
    const kills = new RecentKills();
    let finish: (value: KillResult) => void = () => {};
    const pending = new Promise<KillResult>((resolve) => {
      finish = resolve;
    });
    kills.add("p-1", pending);
    const repeat = kills.get("p-1");
    finish(result("p-1"));
    expect(await repeat).toEqual(result("p-1"));
    expect(kills.get("p-2")).toBeUndefined();
  });

  it("is bounded: past its size the oldest kill is forgotten", async () => {
    const kills = new RecentKills(2);
    for (const pane of ["p-1", "p-2", "p-3"]) kills.add(pane, Promise.resolve(result(pane)));
    expect(kills.get("p-1")).toBeUndefined();
    expect(await kills.get("p-3")).toEqual(result("p-3"));
  });

  it("forgets a kill that failed, so a retry tries again", async () => {
    const kills = new RecentKills();
    const failed = Promise.reject(new Error("kill failed"));
    kills.add("p-1", failed);
    await failed.catch(() => {});
    await Promise.resolve();
    expect(kills.get("p-1")).toBeUndefined();
  });
});
