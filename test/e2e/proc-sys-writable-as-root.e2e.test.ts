import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PANE_LAUNCHER } from "../../src/native/addon.js";
import { bwrapArgs } from "../../src/panes/sandbox/bwrap-args.js";
import { buildSeccompFilter } from "../../src/panes/sandbox/seccomp-filter.js";
import { switchUserArgv } from "../../src/panes/user-switch.js";
import { BWRAP } from "../support/bwrap-path.js";
import { fixturePath } from "../support/fixture-path.js";
import {
  AS_ROOT,
  makeWorkspace,
  NOBODY,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * Issue 9, item 1: a root server's sandboxed pane reached host root. bwrap skips its read-only cover of
 * /proc/sys when run as root (procfs answers EACCES to its access(W_OK) check), and a capability-less uid 0
 * still owns the sysctl files: `|script` in kernel.core_pattern then runs as real root in the host's
 * namespaces. Root-only files (/etc/shadow) were readable too. Panes of a root server must run as an
 * unprivileged host uid, sandboxed or not.
 */
interface Report {
  uid: number;
  euid: number;
  gid: number;
  groups: number[];
  capEff: string;
  capSets: Record<"CapInh" | "CapPrm" | "CapEff" | "CapBnd" | "CapAmb", string>;
  noNewPrivs: string;
  writable: string[];
  readable: string[];
}

/** What the user switch leaves a root server's pane (setpriv's arguments, or the pane launcher's switch_user). */
const NO_PRIVILEGE = {
  uid: NOBODY.uid,
  euid: NOBODY.uid,
  gid: NOBODY.gid,
  groups: [],
  capSets: {
    CapInh: "0".repeat(16),
    CapPrm: "0".repeat(16),
    CapEff: "0".repeat(16),
    CapBnd: "0".repeat(16),
    CapAmb: "0".repeat(16),
  },
  noNewPrivs: "1",
};

const PYTHON = ["/usr/bin/python3", "/bin/python3"].find((path) => existsSync(path));
const CORE_PATTERN = "/proc/sys/kernel/core_pattern";

function parseReport(text: string, marker: string): Report {
  const line = text.split("\n").find((row) => row.startsWith(`${marker} {`));
  if (line === undefined) throw new Error(`no report in: ${text.slice(-500)}`);
  return JSON.parse(line.slice(marker.length + 1)) as Report;
}

/** Runs the probe under bwrap with exactly the arguments ccmux builds (with or without the user switch). */
function probeUnderBwrap(switched: boolean): Report {
  const dir = makeWorkspace({});
  const filterPath = join(dir.dir, "filter.bpf");
  writeFileSync(filterPath, buildSeccompFilter());
  const fd = openSync(filterPath, "r");
  try {
    const argv = [PYTHON as string, fixturePath("root-escape-probe.py"), "REPORT"];
    const args = bwrapArgs({
      mounts: [],
      network: false,
      cwd: "/",
      seccompFd: 3,
      program: { argv },
      emptyFile: filterPath,
      launcher: { path: PANE_LAUNCHER, statusFd: 4 },
      ...(switched
        ? { userSwitch: { user: { ...NOBODY, name: "nobody", home: "" }, setpriv: "/usr/bin/setpriv" } }
        : {}),
    });
    const run = spawnSync(BWRAP as string, args, {
      stdio: ["ignore", "pipe", "pipe", fd, "pipe"],
      encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`bwrap failed: ${run.stderr}`);
    return parseReport(run.stdout, "REPORT");
  } finally {
    closeSync(fd);
    dir.cleanup();
  }
}

describe.skipIf(!BWRAP || !PYTHON)("proc/sys writable as root: bwrap's own arguments", () => {
  it.skipIf(!AS_ROOT)(
    "control: the unfixed arguments leave a root server's pane able to write /proc/sys and read /etc/shadow",
    () => {
      const report = probeUnderBwrap(false);
      expect(report.uid).toBe(0);
      expect(report.writable).toContain(CORE_PATTERN);
      expect(report.readable).toContain("/etc/shadow");
    },
  );

  it.skipIf(!AS_ROOT)(
    "with the user switch the same pane is nobody: no capability, no sysctl, no shadow",
    () => {
      const report = probeUnderBwrap(true);
      expect(report).toMatchObject({ ...NO_PRIVILEGE, writable: [], readable: [] });
    },
  );

  it("switchUserArgv clears supplementary groups and every capability set", () => {
    const argv = switchUserArgv(
      { user: { uid: 7, gid: 8, name: "x", home: "" }, setpriv: "/usr/bin/setpriv" },
      ["/bin/true"],
    );
    expect(argv).toEqual([
      "/usr/bin/setpriv",
      "--reuid=7",
      "--regid=8",
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
      "--",
      "/bin/true",
    ]);
  });
});

for (const mode of ["required", "off"] as const) {
  describe.skipIf(!BWRAP || !PYTHON)(`proc/sys writable as root: through the tools (sandbox ${mode})`, () => {
    let ws: TestWorkspace;
    let mcp: Served;
    const before = readFileSync(CORE_PATTERN, "utf8");

    beforeAll(async () => {
      ws = makeWorkspace({
        commands: [
          { command: "python3", args: ["{path} *"] },
          { command: "bash", args: ["--norc --noprofile"], input: "raw" },
        ],
        sandbox: { mode },
      });
      mcp = await serveWorkspace(ws);
    });
    afterAll(async () => {
      await mcp?.close();
      ws?.cleanup();
    });
    afterEach(() => {
      // Security: should the attack ever work, put the host's setting back before anything dumps core.
      if (readFileSync(CORE_PATTERN, "utf8") !== before) {
        writeFileSync(CORE_PATTERN, before);
        throw new Error("a pane changed the host's kernel.core_pattern");
      }
    });

    it("a pane can open no host kernel tunable or trigger for writing and no root-only file for reading", async () => {
      const probe = join(ws.root, "probe.py");
      writeFileSync(probe, readFileSync(fixturePath("root-escape-probe.py")));
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: `python3 ${probe} PROBE` });
      await mcp.ok("wait_for", { pane, exit: true, text: "PROBE {" });
      const { text } = await mcp.ok<{ text: string }>("read_pane", { pane, mode: "scrollback" });
      const report = parseReport(text.replaceAll("\n", ""), "PROBE");
      expect(report.writable).toEqual([]);
      expect(report.readable).toEqual([]);
      expect(BigInt(`0x${report.capEff}`)).toBe(0n);
      // The pane was started ahead (issue 16: the launcher switched the user, not setpriv); the same as setpriv's.
      if (AS_ROOT) expect(report).toMatchObject(NO_PRIVILEGE);
    });

    it("the issue's core_pattern attack fails and runs nothing as root", async () => {
      const marker = join(ws.root, "ran-as-root");
      writeFileSync(join(ws.root, "h.sh"), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      const text = await runInShell(
        mcp,
        pane,
        `echo "|$PWD/h.sh" > ${CORE_PATTERN}; echo "core=$?"; bash -c 'kill -SEGV $$'; id -u`,
      );
      expect(text).toMatch(/core=1/);
      expect(readFileSync(CORE_PATTERN, "utf8")).toBe(before);
      expect(existsSync(marker)).toBe(false);
      if (AS_ROOT) expect(text).toContain(`\n${NOBODY.uid}\n`);
    });
  });
}

describe.skipIf(!AS_ROOT)("proc/sys writable as root: sandbox.user", () => {
  for (const user of ["root", 0, "toor-does-not-exist"] as const) {
    it(`serve runs nothing with sandbox.user ${JSON.stringify(user)}: it names the problem and exits 2`, () => {
      const ws = makeWorkspace({ commands: [{ command: "true" }], sandbox: { mode: "required", user } });
      try {
        const run = spawnSync(
          process.execPath,
          [join(import.meta.dirname, "../../dist/cli/main.js"), "serve", "--config", ws.policyPath],
          {
            input: "",
            encoding: "utf8",
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: ws.dir,
              XDG_STATE_HOME: join(ws.dir, "s"),
            },
            timeout: 20_000,
          },
        );
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/sandbox\.user|Too small|must be/);
      } finally {
        ws.cleanup();
      }
    });
  }

  it("doctor does not call root safe: it warns and names the user panes run as", () => {
    const ws = makeWorkspace({ commands: [{ command: "true" }] });
    try {
      const run = spawnSync(
        process.execPath,
        [join(import.meta.dirname, "../../dist/cli/main.js"), "doctor", "--json", "--config", ws.policyPath],
        {
          encoding: "utf8",
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: ws.dir },
          timeout: 20_000,
        },
      );
      const report = JSON.parse(run.stdout) as Array<{ check: string; status: string; meaning: string }>;
      const root = report.find((item) => item.check === "running as root");
      expect(root?.status).toBe("warn");
      expect(root?.meaning).toContain("Panes run as nobody (uid 65534");
      expect(root?.meaning).not.toMatch(/drops every capability/);
    } finally {
      ws.cleanup();
    }
  });

  it("panes run as the workspace owner when that is not root, with its HOME", async () => {
    const ws = makeWorkspace({
      commands: [{ command: "bash", args: ["--norc --noprofile"], input: "raw" }],
      env: { pass: ["PATH", "HOME", "USER"] },
    });
    const mcp = await serveWorkspace(ws, { USER: "root" });
    try {
      const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
      const text = await runInShell(
        mcp,
        pane,
        'echo "who=$(id -u):$USER:$HOME"; touch made-here && echo wrote',
      );
      expect(text).toContain(`who=${NOBODY.uid}:nobody:/nonexistent`);
      expect(text).toContain("wrote");
      expect(mcp.stderr()).toContain("panes run as nobody (uid 65534)");
    } finally {
      await mcp.close();
      ws.cleanup();
    }
  });
});
