import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  eventually,
  makeWorkspace,
  readAudit,
  type Served,
  serveWorkspace,
  type TestWorkspace,
} from "../support/mcp-harness.js";
import { runInShell } from "../support/shell-pane.js";

/**
 * `-----BEGIN PRIVATE KEY-----` with no END line was redacted to the end of the string: typed text
 * `: -----BEGIN PRIVATE KEY-----; <command>` ran the command and the audit log kept only `[REDACTED]`.
 */
let ws: TestWorkspace | undefined;
let mcp: Served | undefined;
afterEach(async () => {
  await mcp?.close();
  ws?.cleanup();
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A real PKCS#8 key's body lines. */
const KEY_BODY = (
  generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string
)
  .trim()
  .split("\n")
  .slice(1, -1)
  .join("\n");

async function start(): Promise<{ mcp: Served; ws: TestWorkspace; pane: string }> {
  ws = makeWorkspace({
    commands: [
      { command: "bash", args: ["--norc --noprofile"], input: "raw" },
      { command: "echo", args: ["**"] },
    ],
    sandbox: { mode: "off" },
  });
  mcp = await serveWorkspace(ws);
  const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "bash --norc --noprofile" });
  return { mcp, ws, pane };
}

const typed = (path: string) =>
  readAudit(path)
    .filter((r) => r.event === "call" && r.tool === "send_keys")
    .map((r) => r as { args: { text: string }; redacted?: unknown });

describe("a private-key marker cannot erase a command from the audit log", () => {
  it("send_keys `: -----BEGIN PRIVATE KEY-----; touch …` runs the command and the log shows it", async () => {
    const { mcp, ws, pane } = await start();
    const text = ": -----BEGIN PRIVATE KEY-----; touch ran-unseen";
    await runInShell(mcp, pane, text);
    await eventually(() => existsSync(join(ws.root, "ran-unseen")));
    const record = typed(ws.auditPath).find((r) => r.args.text.includes("BEGIN PRIVATE KEY"));
    expect(record?.args.text).toContain("; touch ran-unseen");
    expect(record?.redacted).toBeUndefined();
  });

  it("the same marker followed by command lines: every command line is logged", async () => {
    const { mcp, ws, pane } = await start();
    // A key-looking line, then a short command word (`true`: base64 letters too), then a command.
    await runInShell(
      mcp,
      pane,
      `: -----BEGIN PRIVATE KEY-----\n${KEY_BODY.split("\n")[0]}\ntrue\ntouch line-two`,
    );
    await eventually(() => existsSync(join(ws.root, "line-two")));
    const record = typed(ws.auditPath).find((r) => r.args.text.includes("BEGIN PRIVATE KEY"));
    expect(record?.args.text).toContain("-----BEGIN PRIVATE KEY-----\n[REDACTED]\ntrue\ntouch line-two\n");
  });

  it("a spawn command line with the marker keeps its arguments", async () => {
    const { mcp, ws } = await start();
    await mcp.ok("spawn", { command: "echo -----BEGIN PRIVATE KEY----- kept-argument" });
    const spawn = readAudit(ws.auditPath).find(
      (r) =>
        r.event === "call" &&
        r.tool === "spawn" &&
        String((r.args as { command: string }).command).startsWith("echo"),
    );
    expect((spawn?.args as { command?: string } | undefined)?.command).toBe(
      "echo -----BEGIN PRIVATE KEY----- kept-argument",
    );
  });

  it("a real key block typed into a pane: its body is hidden, the rest is kept, with length and SHA-256", async () => {
    const { mcp, ws, pane } = await start();
    const text = `cat > k.pem <<'E'\n-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\nE\ntouch after-key`;
    await runInShell(mcp, pane, text);
    await eventually(() => existsSync(join(ws.root, "after-key")));
    expect(readFileSync(join(ws.root, "k.pem"), "utf8")).toContain(KEY_BODY);
    const record = typed(ws.auditPath).find((r) => r.args.text.includes("k.pem"));
    expect(record?.args.text).not.toContain(KEY_BODY.slice(0, 40));
    expect(record?.args.text).toContain(
      "cat > k.pem <<'E'\n-----BEGIN PRIVATE KEY-----\n[REDACTED]\n-----END PRIVATE KEY-----\nE\ntouch after-key",
    );
    // runInShell appends its marker echo to the typed text.
    const sent = record?.args.text.replace("[REDACTED]", KEY_BODY) as string;
    expect(record?.redacted).toEqual([{ field: "args.text", length: sent.length, sha256: sha256(sent) }]);
  });
});
