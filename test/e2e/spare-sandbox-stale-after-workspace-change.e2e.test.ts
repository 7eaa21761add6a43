import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readProcesses } from "../../src/panes/process-session.js";
import { BWRAP } from "../support/bwrap-path.js";
import {
  eventually,
  giveToPanes,
  makeWorkspace,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * A sandbox built ahead of its spawn (a spare, issue 16) is planned and mounted before the agent asks for the
 * pane. Between the two, a pane (or anyone) can make a repository, or swap a protected directory for a fresh one
 * (a read-only bind follows the directory it was made on, wherever it is moved). The spare must then not be used:
 * the spawn builds its own sandbox from the workspace as it is.
 */
const POLICY = {
  commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
  sandbox: { mode: "required" },
};

/**
 * The bwrap command line of a pane's first process: the launcher's `await` (a spare) or `run` (built at the
 * spawn). A fresh one may not have exec'd yet when the spawn answers (it shows the server's command line until
 * then): waited for.
 */
async function launchedBy(pid: number): Promise<"spare" | "spawn"> {
  return eventually(() => {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    if (cmdline.includes("await")) return "spare";
    if (cmdline.includes("run")) return "spawn";
    return undefined;
  });
}

/** How many of the server's spares are built: their launchers run inside bwrap, waiting for a program. */
function sparesReady(serverPid: number): number {
  const table = readProcesses();
  const spareRoots = [...table.values()].filter(
    (entry) =>
      entry.ppid === serverPid &&
      readFileSync(`/proc/${entry.pid}/cmdline`, "utf8").split("\0").includes("await"),
  );
  const below = (pid: number, root: number): boolean => {
    for (let at = table.get(pid); at !== undefined; at = table.get(at.ppid))
      if (at.ppid === root) return true;
    return false;
  };
  return [...table.values()].filter((entry) => {
    try {
      const comm = readFileSync(`/proc/${entry.pid}/comm`, "utf8").trim();
      return comm === ".ccmux-pane-lau" && spareRoots.some((root) => below(entry.pid, root.pid));
    } catch {
      return false;
    }
  }).length;
}

describe.skipIf(!BWRAP)(
  "a spare sandbox is not used once the workspace changed under it (needs bubblewrap)",
  () => {
    let ws: TestWorkspace | undefined;
    let mcp: Served | undefined;
    afterEach(async () => {
      await mcp?.close();
      ws?.cleanup();
      mcp = undefined;
      ws = undefined;
    });

    async function serveWithRepo(): Promise<{ ws: TestWorkspace; mcp: Served }> {
      ws = makeWorkspace(POLICY);
      mkdirSync(join(ws.root, "sub", ".git", "hooks"), { recursive: true });
      writeFileSync(join(ws.root, "sub", ".git", "HEAD"), "ref: refs/heads/main\n");
      giveToPanes(join(ws.root, "sub"));
      // A home of its own: the sandbox's plan lists the home directory, and a file another test or program makes
      // in the shared one (CI runs the suites side by side) rightly ends the spare, which the tests here must
      // not mistake for a change to the workspace.
      const home = join(ws.dir, "home");
      mkdirSync(home);
      mcp = await serveWorkspace(ws, { HOME: home });
      const serverPid = mcp.serverPid;
      // Spawns in a row each find a spare: the server keeps two.
      await eventually(() => sparesReady(serverPid) >= 2);
      return { ws, mcp };
    }

    async function shell(served: Served): Promise<{ pane: string; pid: number }> {
      return served.ok<{ pane: string; pid: number }>("spawn", { command: "bash --norc --noprofile" });
    }

    it("control: with the workspace unchanged the spare serves the spawn, and its protections hold", async () => {
      const served = await serveWithRepo();
      const { pane, pid } = await shell(served.mcp);
      expect(await launchedBy(pid)).toBe("spare");
      const text = await runInShell(served.mcp, pane, "touch sub/.git/hooks/post-checkout; echo hook=$?");
      expect(text).toMatch(/hook=1/);
      expect(existsSync(join(served.ws.root, "sub", ".git", "hooks", "post-checkout"))).toBe(false);
    });

    it("spawns in a row are each served by a spare, and a change made between them reaches the next", async () => {
      const served = await serveWithRepo();
      const first = await shell(served.mcp);
      const second = await shell(served.mcp);
      expect(await launchedBy(first.pid)).toBe("spare");
      expect(await launchedBy(second.pid)).toBe("spare");
      // The spares made next reuse the plan while nothing it read changed: a repository planted now must not be.
      await runInShell(served.mcp, first.pane, "mkdir -p late/.git/hooks; echo made=$?");
      await eventually(() => sparesReady(served.mcp.serverPid) >= 1);
      const third = await shell(served.mcp);
      const text = await runInShell(served.mcp, third.pane, "touch late/.git/hooks/pre-commit; echo hook=$?");
      expect(text).toMatch(/hook=1/);
      expect(existsSync(join(served.ws.root, "late", ".git", "hooks", "pre-commit"))).toBe(false);
    });

    it("a protected directory swapped for a fresh one after the spare was built is read-only in the new pane", async () => {
      const served = await serveWithRepo();
      const dotGit = join(served.ws.root, "sub", ".git");
      renameSync(dotGit, join(served.ws.root, "sub", "old-git"));
      mkdirSync(join(dotGit, "hooks"), { recursive: true });
      writeFileSync(join(dotGit, "HEAD"), "ref: refs/heads/main\n");
      writeFileSync(join(dotGit, "planted"), "the new .git\n");
      giveToPanes(join(served.ws.root, "sub"));
      const { pane, pid } = await shell(served.mcp);
      expect(await launchedBy(pid)).toBe("spawn");
      const text = await runInShell(
        served.mcp,
        pane,
        "cat sub/.git/planted; touch sub/.git/hooks/post-checkout; echo hook=$?",
      );
      expect(text).toContain("the new .git");
      expect(text).toMatch(/hook=1/);
      expect(existsSync(join(dotGit, "hooks", "post-checkout"))).toBe(false);
    });

    it("a protected directory deleted and made again (its inode number reused) after the spare was built is read-only in the new pane", async () => {
      const served = await serveWithRepo();
      const dotGit = join(served.ws.root, "sub", ".git");
      // What a person's `rm -rf .git && git init` does: on ext4 the new directory usually gets the freed inode
      // number, and the spare's read-only mount on the old one is dropped with it (an attack review).
      rmSync(dotGit, { recursive: true });
      mkdirSync(join(dotGit, "hooks"), { recursive: true });
      writeFileSync(join(dotGit, "HEAD"), "ref: refs/heads/main\n");
      giveToPanes(join(served.ws.root, "sub"));
      const { pane, pid } = await shell(served.mcp);
      expect(await launchedBy(pid)).toBe("spawn");
      const text = await runInShell(served.mcp, pane, "touch sub/.git/hooks/post-checkout; echo hook=$?");
      expect(text).toMatch(/hook=1/);
      expect(existsSync(join(dotGit, "hooks", "post-checkout"))).toBe(false);
    });

    it("a repository made after the spare was built is read-only in the new pane", async () => {
      const served = await serveWithRepo();
      const nested = join(served.ws.root, "deep", "a", "b", ".git");
      mkdirSync(join(nested, "hooks"), { recursive: true });
      writeFileSync(join(nested, "HEAD"), "ref: refs/heads/main\n");
      giveToPanes(join(served.ws.root, "deep"));
      const { pane, pid } = await shell(served.mcp);
      expect(await launchedBy(pid)).toBe("spawn");
      const text = await runInShell(served.mcp, pane, "touch deep/a/b/.git/hooks/pre-commit; echo hook=$?");
      expect(text).toMatch(/hook=1/);
      expect(existsSync(join(nested, "hooks", "pre-commit"))).toBe(false);
    });
  },
);
