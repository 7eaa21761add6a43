import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI,
  eventually,
  giveToPanes,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";

/**
 * Issue 9 items 3 and 4: rules with `*`/`**` let in options that write files or run programs. Each attack is
 * refused through the real tools; each control runs the same arguments under a rule that spells the option
 * out literally, and the attack works there (so the test can fail), in a real sandboxed pane.
 */
const importWriting = (file: string) =>
  `--import=data:text/javascript,import{writeFileSync}from"node:fs";writeFileSync("${file}","x")`;
const IMPORT = importWriting("pwned-node");

const POLICY = {
  commands: [
    // What `ccmux init` and the README call read-only.
    { command: "git", args: ["status **", "diff **", "log **", "show **"] },
    // Control: the same option, spelled out.
    { command: "git", args: ["log -1 * --output=control.md"] },
    // Control for the label attack: a label, then `e` (the pattern space is the command), spelled out.
    { command: "sed", args: ["-n **", "-n 1e {path}", "-n :a;e {path}"] },
    { command: "awk", args: ["**"] },
    { command: "tar", args: ["-tf {path}"] },
    {
      command: "node",
      args: [
        "--test **",
        `--test ${IMPORT}`,
        "--test --logfile=v8-control.log --no-logfile-per-isolate --log",
      ],
    },
    { command: "uniq", args: ["**", "f.txt uniq-control.txt"] },
    { command: "find", args: ["**", ". -maxdepth 0 -exec touch pwned-find ;"] },
    { command: "env", args: ["**"] },
  ],
  env: { pass: ["PATH", "HOME", "LANG"] },
};

let ws: TestWorkspace;
let mcp: Served;

function git(...args: string[]): void {
  // The workspace is a root server's pane user's: the test's own git must not refuse it as dubious.
  execFileSync("git", ["-c", "safe.directory=*", "-C", ws.root, ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@e",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@e",
    },
    stdio: "ignore",
  });
}

beforeAll(async () => {
  ws = makeWorkspace(POLICY);
  writeFileSync(join(ws.root, "cmds.txt"), "touch pwned-sed\n");
  writeFileSync(join(ws.root, "label-cmds.txt"), "touch pwned-label\n");
  writeFileSync(join(ws.root, "data.txt"), "inside-data\n");
  writeFileSync(join(ws.root, "f.txt"), "one\n");
  // node --test runs --import in each test file's process: give it one test file.
  writeFileSync(join(ws.root, "a.test.js"), 'require("node:test")("t", () => {});\n');
  execFileSync("tar", ["-cf", join(ws.root, "a.tar"), "-C", ws.root, "f.txt"]);
  git("init", "-q");
  git("add", "f.txt");
  git("commit", "-qm", "one");
  giveToPanes(ws.root);
  mcp = await serveWorkspace(ws);
});
afterAll(async () => {
  await mcp?.close();
  ws?.cleanup();
});

/** Spawns a control run and waits for the file it must write. */
async function controlWrites(command: string, file: string, empty = false): Promise<string> {
  const { pane } = await mcp.ok<{ pane: string }>("spawn", { command });
  const path = join(ws.root, file);
  // The program creates the file, then writes it: wait for content, or for the pane to have exited.
  await eventually(() => existsSync(path) && (empty || statSync(path).size > 0), 20_000);
  await mcp.call("kill_pane", { pane });
  return readFileSync(path, "utf8");
}

describe("git rules sold as read-only do not write files", () => {
  it("git log --output writes any bytes to CLAUDE.md: refused under `log **`, naming the option and the way to allow it", async () => {
    const text = await mcp.refused(
      "spawn",
      { command: "git log -1 --format=%x7b%x22hooks%x22%x7d --output=CLAUDE.md" },
      "ARGS_NOT_ALLOWED",
    );
    expect(text).toContain("(--output) writes a file");
    expect(text).toContain('write "--output" as a literal token');
    expect(existsSync(join(ws.root, "CLAUDE.md"))).toBe(false);
    const last = readAudit(ws.auditPath)
      .filter((r) => r.tool === "spawn")
      .at(-1);
    expect(last).toMatchObject({ decision: "deny", code: "ARGS_NOT_ALLOWED" });
  });

  it("sibling spellings: abbreviated --outp, a separate value, --ext-diff, -c before the subcommand", async () => {
    for (const command of [
      "git log -1 --outp=CLAUDE.md",
      "git show --output CLAUDE.md",
      "git diff --ext-diff",
      "git status --textconv",
    ]) {
      await mcp.refused("spawn", { command }, "ARGS_NOT_ALLOWED");
    }
    expect(existsSync(join(ws.root, "CLAUDE.md"))).toBe(false);
  });

  it("control: the rule that spells --output out writes the file (the attack is real)", async () => {
    expect(
      await controlWrites("git log -1 --format=%x7b%x22hooks%x22%x7d --output=control.md", "control.md"),
    ).toBe('{"hooks"}\n');
  });
});

describe("sed, awk, find, env and node scripts let in by `**`", () => {
  it("sed $e and 1e runs a program: refused under `-n **`; the `-n 1e {path}` rule runs it (control)", async () => {
    await mcp.refused("spawn", { command: "sed -n '$e' cmds.txt" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "sed -n '1e sh cmds.txt' cmds.txt" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "sed -n 's/x/y/e' cmds.txt" }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-sed"))).toBe(false);
    await controlWrites("sed -n 1e cmds.txt", "pwned-sed", true);
  });

  it("sed ':a e CMD' runs CMD (a label ends at a blank; what follows is a command): refused under `-n **`; spelled out, it runs (control)", async () => {
    const text = await mcp.refused(
      "spawn",
      { command: "sed -n ':a e touch pwned-label2' f.txt" },
      "ARGS_NOT_ALLOWED",
    );
    expect(text).toContain("(sed e) runs a program");
    // Siblings: a label ended by `;` then a second label and a blank; a label then W (writes a file).
    await mcp.refused("spawn", { command: "sed -n ':a;:b e touch pwned-label2' f.txt" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "sed -n ':a W pwned-label3' f.txt" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "sed -n 'ba;:a e touch pwned-label2' f.txt" }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-label2"))).toBe(false);
    expect(existsSync(join(ws.root, "pwned-label3"))).toBe(false);
    // Control: GNU sed itself reads `:a e CMD` as a label and then `e CMD` (run here, outside ccmux, in a
    // scratch directory: no rule token can hold a blank), and a label then `e` runs in a pane when spelled out.
    const scratch = mkdtempSync(join(tmpdir(), "ccmux-sed-label-"));
    try {
      writeFileSync(join(scratch, "f.txt"), "one\n");
      spawnSync("sed", ["-n", ":a e touch pwned-direct", "f.txt"], { cwd: scratch });
      expect(existsSync(join(scratch, "pwned-direct"))).toBe(true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    await controlWrites("sed -n ':a;e' label-cmds.txt", "pwned-label", true);
  });

  it("awk -e 'BEGIN{system(…)}' (gawk's --source) is scanned like the program operand: refused", async () => {
    await mcp.refused(
      "spawn",
      { command: `awk -e 'BEGIN{system("touch pwned-awk-e")}'` },
      "ARGS_NOT_ALLOWED",
    );
    await mcp.refused(
      "spawn",
      { command: `awk --source='BEGIN{system("touch pwned-awk-e")}'` },
      "ARGS_NOT_ALLOWED",
    );
    expect(existsSync(join(ws.root, "pwned-awk-e"))).toBe(false);
  });

  it("tar -tf {path} given a HOST:FILE archive (rsh/ssh runs a ProxyCommand) is refused; a local archive lists", async () => {
    const text = await mcp.refused(
      "spawn",
      { command: "tar -tf 'u@-oProxyCommand=touch pwned-tar:f'" },
      "ARGS_NOT_ALLOWED",
    );
    expect(text).toContain("remote file");
    await mcp.refused("spawn", { command: "tar -tf host:a.tar" }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-tar"))).toBe(false);
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "tar -tf a.tar" });
    await mcp.ok("wait_for", { pane, text: "f.txt", timeout_ms: 20_000 });
    await mcp.call("kill_pane", { pane });
  });

  it("sed 'r /etc/hostname' (a path after a space inside one argument) is refused", async () => {
    await mcp.refused("spawn", { command: "sed -n 'r /etc/hostname' f.txt" }, "ARGS_NOT_ALLOWED");
  });

  it("awk getline from a path after a quote is held to the workspace; inside it reads (control)", async () => {
    const outside = `awk 'BEGIN{while((getline l < "/etc/hostname")>0) print l}'`;
    await mcp.refused("spawn", { command: outside }, "PATH_OUTSIDE_WORKSPACE");
    const { pane } = await mcp.ok<{ pane: string }>("spawn", {
      command: `awk 'BEGIN{while((getline l < "data.txt")>0) print l}'`,
    });
    await mcp.ok("wait_for", { pane, text: "inside-data", timeout_ms: 20_000 });
    await mcp.call("kill_pane", { pane });
  });

  it("awk system() and pipes run programs: refused", async () => {
    await mcp.refused("spawn", { command: `awk 'BEGIN{system("touch pwned-awk")}'` }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: `awk 'BEGIN{print | "sh"}'` }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-awk"))).toBe(false);
  });

  it("find -exec under `**` is refused; the rule that spells it out runs it (control)", async () => {
    const attack = "find . -maxdepth 0 -exec touch pwned-find2 ';'";
    await mcp.refused("spawn", { command: attack }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-find2"))).toBe(false);
    await controlWrites("find . -maxdepth 0 -exec touch pwned-find ';'", "pwned-find", true);
  });

  it("env as a launcher: a program or LD_PRELOAD= chosen by `**` is refused", async () => {
    await mcp.refused("spawn", { command: "env sh -c 'touch pwned-env'" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "env LD_PRELOAD=./x.so true" }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-env"))).toBe(false);
  });

  it("node --test '--import=data:…' runs anything: refused under `--test **`; spelled out, it runs (control)", async () => {
    const attack = `node --test '${importWriting("pwned-attack")}'`;
    const text = await mcp.refused("spawn", { command: attack }, "ARGS_NOT_ALLOWED");
    expect(text).toContain("(--import) loads code");
    await mcp.refused("spawn", { command: "node --test --require ./x.js" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "node --test -r./x.js" }, "ARGS_NOT_ALLOWED");
    await mcp.refused("spawn", { command: "node --test --experimental_loader=./x.js" }, "ARGS_NOT_ALLOWED");
    expect(existsSync(join(ws.root, "pwned-attack"))).toBe(false);
    await controlWrites(`node --test '${IMPORT}'`, "pwned-node");
  });
});

describe("flags and operands that write files, let in by `**`", () => {
  it("node --test --logfile=CLAUDE.md --no-logfile-per-isolate (V8's log) is refused under `--test **`; spelled out, it writes (control)", async () => {
    const text = await mcp.refused(
      "spawn",
      { command: "node --test --logfile=CLAUDE.md --no-logfile-per-isolate --log-all" },
      "ARGS_NOT_ALLOWED",
    );
    expect(text).toContain("(--logfile) writes a file");
    await mcp.refused("spawn", { command: "node --test --prof" }, "ARGS_NOT_ALLOWED");
    await mcp.refused(
      "spawn",
      { command: "node --test --test-name-pattern x --logfile=CLAUDE.md" },
      "ARGS_NOT_ALLOWED",
    );
    expect(existsSync(join(ws.root, "CLAUDE.md"))).toBe(false);
    // V8 names the log per isolate unless --no-logfile-per-isolate: then the name is exactly the caller's.
    await controlWrites(
      "node --test --logfile=v8-control.log --no-logfile-per-isolate --log",
      "v8-control.log",
    );
  });

  it("uniq IN OUT writes OUT: refused under `uniq **`; spelled out, it writes (control)", async () => {
    const text = await mcp.refused("spawn", { command: "uniq f.txt CLAUDE.md" }, "ARGS_NOT_ALLOWED");
    expect(text).toContain("(an output operand) writes a file");
    expect(existsSync(join(ws.root, "CLAUDE.md"))).toBe(false);
    expect(await controlWrites("uniq f.txt uniq-control.txt", "uniq-control.txt")).toBe("one\n");
  });
});

describe("wildcards on programs that run code are warned about", () => {
  it("serve prints the warning at start", () => {
    expect(mcp.stderr()).toMatch(/warning: commands\[2\]: sed runs code and "-n \*\*"/);
  });

  it("policy check prints it with the decision, and denies the attack", () => {
    const out = spawnSync(
      process.execPath,
      [CLI, "policy", "check", "--config", ws.policyPath, "sed -n 1p f.txt"],
      {
        cwd: ws.dir,
        encoding: "utf8",
      },
    );
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/warning: sed runs code/);
    expect(out.stderr).toMatch(/warning: commands\[2\]: sed runs code/);
    const denied = spawnSync(
      process.execPath,
      [CLI, "policy", "check", "--config", ws.policyPath, "git log --output=CLAUDE.md"],
      { cwd: ws.dir, encoding: "utf8" },
    );
    expect(denied.status).toBe(1);
    expect(denied.stdout).toMatch(/^denied: ARGS_NOT_ALLOWED: .*\(--output\) writes a file/);
  });
});

describe("input: keys on a shell is no boundary", () => {
  it("a policy giving bash keys input does not load: policy check exits 2 and says why", () => {
    const bad = join(ws.dir, "keys-shell.json");
    writeFileSync(
      bad,
      JSON.stringify({ workspace: ["ws"], commands: [{ command: "bash", args: ["--norc"], input: "keys" }] }),
    );
    const out = spawnSync(process.execPath, [CLI, "policy", "check", "--config", bad, "bash --norc"], {
      cwd: ws.dir,
      encoding: "utf8",
    });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/commands\[0\]\.input.*no boundary for the shell bash: Up then Enter re-runs/);
    expect(out.stdout).toBe("");
  });
});
