import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeWorkspace, type Served, serveWorkspace, type TestWorkspace } from "../support/mcp-harness.js";

// Issue 11 attack review: audit redaction was complete for values, but three routes took a secret past it.
// - An argument *named* after a secret: `spawn {command, "setsecret-…": 1}` logged the name whole.
// - A refusal quoting the agent's input cut short: `keys: ["C-<AWS secret>"]` left 30 of its 40 characters in
//   `reason` and `detail`; a connection string cut after its password kept the whole password.
// - A connection string's password typed on its own, and a secret under a `*_PASS` name.
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const DB_PASSWORD = "Pw0rdSecretXyz";
const DB_URL = `postgres://dbuser:${DB_PASSWORD}@dbhost/db`;
const SET_SECRET = "setsecret-Zq81xYv2Lm";
const PASS_SECRET = "smtp-pass-4Kx9Lq2Wm";
const GITHUB = `ghp_${"aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".slice(0, 36)}`;

describe("secrets leak past audit redaction through names, cut quotes and passwords", () => {
  let ws: TestWorkspace;
  let mcp: Served;
  beforeAll(async () => {
    ws = makeWorkspace({
      commands: [
        { command: "echo", args: ["**"] },
        { command: "cat", args: [""], input: "keys" },
      ],
      env: { pass: ["PATH", "LANG"], fromAgent: [], set: { DEPLOY_API_KEY: SET_SECRET } },
      sandbox: { mode: "off" },
    });
    mcp = await serveWorkspace(ws, {
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      DATABASE_URL: DB_URL,
      SMTP_PASS: PASS_SECRET,
    });
  });
  afterAll(async () => {
    await mcp?.close();
    ws?.cleanup();
  });

  const log = (): string => readFileSync(ws.auditPath, "utf8");

  it("an argument named after a secret is redacted in the record and in its `redacted` field path", async () => {
    for (const secret of [SET_SECRET, GITHUB, AWS_SECRET]) {
      await mcp.refused("spawn", { command: "echo x", [secret]: 1 }, "INVALID_ARGUMENT");
      await mcp.refused("policy", { [secret]: 1 }, "INVALID_ARGUMENT");
    }
    const text = log();
    for (const secret of [SET_SECRET, GITHUB, AWS_SECRET]) expect(text).not.toContain(secret);
    // Control: the calls are in the log, with their names redacted.
    expect(text.match(/"\[REDACTED\]":1/g)?.length ?? 0).toBeGreaterThanOrEqual(6);
  });

  it("a refusal that quotes a secret cut short keeps none of its leading characters", async () => {
    const { pane } = await mcp.ok<{ pane: string }>("spawn", { command: "cat" });
    for (const key of [`C-${AWS_SECRET}`, DB_URL, `M-${GITHUB}x`]) {
      await mcp.refused("send_keys", { pane, keys: [key] }, "UNKNOWN_KEY");
    }
    const text = log();
    expect(text).not.toContain(AWS_SECRET.slice(0, 10));
    expect(text).not.toContain(DB_PASSWORD);
    expect(text).not.toContain(GITHUB.slice(0, 12));
    // Control: the refusals were logged, with their reasons.
    expect(text.match(/"code":"UNKNOWN_KEY"/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("a connection string's password typed alone, and a *_PASS value, are redacted", async () => {
    await mcp.ok("spawn", { command: `echo --password=${DB_PASSWORD} ${PASS_SECRET}` });
    const text = log();
    expect(text).not.toContain(DB_PASSWORD);
    expect(text).not.toContain(PASS_SECRET);
    expect(text).toContain("echo --password=[REDACTED] [REDACTED]");
  });
});
