import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planSpawn, type SandboxLayout } from "../../src/panes/sandbox/mount-plan.js";
import { fitOf, stillFits } from "../../src/panes/sandbox/spare-fit.js";
import { spawnLayout } from "../support/spawn-layout.js";

let dir: string;
let ws: string;
let home: string;

const layout = (): SandboxLayout => spawnLayout(ws, home, ["~/.ssh"]);

beforeEach(() => {
  dir = realpathSync(mkdtempSync("/var/tmp/ccmux-spare-fit-"));
  ws = join(dir, "ws");
  home = join(dir, "home");
  mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
  mkdirSync(join(home, ".ssh"), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a spare sandbox fits only the workspace it was built for", () => {
  it("control: nothing changed, it fits", () => {
    const fit = fitOf(planSpawn(layout(), []));
    expect(stillFits(fit, planSpawn(layout(), []))).toBe(true);
  });

  it("files written inside mounted directories do not matter (the mounts show them)", () => {
    const fit = fitOf(planSpawn(layout(), []));
    writeFileSync(join(ws, "notes.txt"), "x");
    writeFileSync(join(ws, "repo", ".git", "config"), "[core]\n");
    expect(stillFits(fit, planSpawn(layout(), []))).toBe(true);
  });

  it("a protected directory swapped for a fresh one at the same path: no fit", () => {
    const fit = fitOf(planSpawn(layout(), []));
    renameSync(join(ws, "repo", ".git"), join(ws, "repo", "moved"));
    mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
    const now = planSpawn(layout(), []);
    expect(now.mounts).toEqual(fit.mounts);
    expect(stillFits(fit, now)).toBe(false);
  });

  it("a directory on the way to a protected one swapped: no fit", () => {
    const fit = fitOf(planSpawn(layout(), []));
    renameSync(join(ws, "repo"), join(ws, "elsewhere"));
    mkdirSync(join(ws, "repo", ".git", "hooks"), { recursive: true });
    expect(stillFits(fit, planSpawn(layout(), []))).toBe(false);
  });

  it("a new nested repository, or a symlink planted on a protected path: no fit", () => {
    const fit = fitOf(planSpawn(layout(), []));
    mkdirSync(join(ws, "a", "b", ".git"), { recursive: true });
    expect(stillFits(fit, planSpawn(layout(), []))).toBe(false);
    const fit2 = fitOf(planSpawn(layout(), []));
    mkdirSync(join(ws, "c"));
    symlinkSync(join(ws, "repo", ".git"), join(ws, "c", ".git"));
    expect(stillFits(fit2, planSpawn(layout(), []))).toBe(false);
  });

  it("a hidden directory made after it was built: no fit", () => {
    rmSync(join(home, ".ssh"), { recursive: true });
    const fit = fitOf(planSpawn(layout(), []));
    mkdirSync(join(home, ".ssh"));
    expect(stillFits(fit, planSpawn(layout(), []))).toBe(false);
  });
});
