import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_SEARCHED_DIRECTORIES } from "../../src/panes/sandbox/git-paths.js";
import { MAX_MOUNT_ARGS, MAX_PANE_GROWN_MOUNTS } from "../../src/panes/sandbox/mount-budget.js";
import { planSpawn, type SandboxLayout } from "../../src/panes/sandbox/mount-plan.js";
import { DEFAULT_AGENT_CONFIG, DEFAULT_READ_ONLY } from "../../src/validation/sandbox-paths.js";

/** What a pane can leave in the workspace for the next spawn's plan: it must never make the plan fail. */
let dir: string;
let ws: string;
let home: string;

const layout = (extra: Partial<SandboxLayout> = {}): SandboxLayout => ({
  workspace: [ws],
  hide: [],
  readOnly: DEFAULT_READ_ONLY,
  agentConfig: DEFAULT_AGENT_CONFIG,
  alwaysHide: [],
  alwaysReadOnly: [],
  reveal: [],
  home,
  ...extra,
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw controls is the point.
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Waits on the filesystem clock (not a fixed delay) until a file made now is newer than `than`. */
function waitForNewerCtime(than: number): void {
  const tick = join(dir, "tick");
  do writeFileSync(tick, "");
  while (lstatSync(tick).ctimeMs <= than);
}

beforeEach(() => {
  dir = realpathSync(mkdtempSync("/var/tmp/ccmux-pane-made-"));
  ws = join(dir, "ws");
  home = join(dir, "home");
  mkdirSync(ws);
  mkdirSync(home);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("names and floods a pane leaves behind", () => {
  it("a directory named with ESC, OSC and newlines plus a .git symlink: planned, reported with the name escaped", () => {
    const name = '\u001b]0;pwned\u0007\n{"fake":"json"}\r\u202e';
    mkdirSync(join(ws, name));
    mkdirSync(join(ws, "elsewhere"));
    symlinkSync("../elsewhere", join(ws, name, ".git"));
    const plan = planSpawn(layout(), []);
    expect(plan.mounts).toContainEqual({ op: "ro-bind", path: join(ws, "elsewhere") });
    expect(plan.warnings.length).toBeGreaterThan(0);
    for (const warning of plan.warnings) {
      expect(warning).not.toMatch(RAW_CONTROL);
      expect(warning).not.toContain("\u202e");
    }
    expect(plan.warnings.join("\n")).toContain("\\u001b]0;pwned\\u0007\\n");
  });

  it("a sibling: a dangling .git symlink and a symlinked .claude at the root are reported, not refused", () => {
    symlinkSync("/nonexistent/x", join(ws, ".git"));
    mkdirSync(join(ws, "cfg"));
    symlinkSync("cfg", join(ws, ".claude"));
    const plan = planSpawn(layout(), []);
    expect(plan.mounts).toContainEqual({ op: "ro-bind", path: join(ws, "cfg") });
    expect(plan.warnings).toHaveLength(2);
  });

  it("a directory whose name is not UTF-8 holding a repository is reported (Node cannot name it to bwrap)", () => {
    const raw = Buffer.concat([Buffer.from(`${ws}/`), Buffer.from([0xff, 0xfe, 0x41])]);
    mkdirSync(raw);
    mkdirSync(Buffer.concat([raw, Buffer.from("/.git")]));
    const plan = planSpawn(layout(), []);
    expect(plan.warnings.join("\n")).toMatch(/not valid UTF-8/);
  });

  it("2 000 nested repositories: the plan stays within bwrap's argument limit, the person's older ones first, and says so", () => {
    mkdirSync(join(ws, "zz-person", ".git"), { recursive: true });
    const personTime = lstatSync(join(ws, "zz-person", ".git")).ctimeMs;
    waitForNewerCtime(personTime);
    for (let i = 0; i < 1000; i++) mkdirSync(join(ws, `r${i}`, ".git"), { recursive: true });
    for (let i = 0; i < 1000; i++) mkdirSync(join(ws, "deep", `r${i}`, ".git"), { recursive: true });
    const plan = planSpawn(layout(), []);
    expect(plan.mounts.length).toBeLessThanOrEqual(MAX_PANE_GROWN_MOUNTS + 2);
    expect(plan.mounts.length * 4).toBeLessThan(MAX_MOUNT_ARGS);
    expect(plan.mounts).toContainEqual({ op: "ro-bind", path: join(ws, "zz-person", ".git") });
    expect(plan.mounts.some((m) => m.path.startsWith(join(ws, "deep", "r")))).toBe(false);
    expect(plan.warnings.join("\n")).toMatch(/read-only protections were left out/);
  }, 60_000); // making 2 000 directories takes seconds on a busy machine

  it("more directories than the search lists: the search stops with a warning instead of costing every spawn", () => {
    for (let i = 0; i <= MAX_SEARCHED_DIRECTORIES; i++) mkdirSync(join(ws, `d${i}`));
    const plan = planSpawn(layout(), []);
    expect(plan.warnings.join("\n")).toMatch(/stopped after 5000 directories/);
  }, 60_000);

  it("thousands of files matching a hidden pattern: the oldest (the person's) stay hidden, the rest are reported", () => {
    const homeInWs = join(ws, "home");
    mkdirSync(homeInWs);
    writeFileSync(join(homeInWs, ".claude.json"), "secret");
    const secretTime = lstatSync(join(homeInWs, ".claude.json")).ctimeMs;
    // The flood must be strictly newer than the secret: wait on the clock's tick, not a fixed delay.
    waitForNewerCtime(secretTime);
    for (let i = 0; i < 1200; i++) writeFileSync(join(homeInWs, `.claude-${i}`), "");
    const plan = planSpawn(layout({ home: homeInWs, hide: ["~/.claude*"] }), []);
    expect(plan.mounts).toContainEqual({ op: "empty-file", path: join(homeInWs, ".claude.json") });
    expect(plan.mounts.length).toBeLessThanOrEqual(MAX_PANE_GROWN_MOUNTS + 2);
    expect(plan.warnings.join("\n")).toMatch(
      /hidden paths inside the workspace \(the newest\) are not hidden/,
    );
  });
});
