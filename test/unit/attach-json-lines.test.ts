import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJsonLines } from "../../src/cli/attach/json-lines.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real Unix socket pair: what the test writes on `client` arrives on `server`. */
async function socketPair(): Promise<{ client: Socket; server: Socket }> {
  const dir = mkdtempSync(join(tmpdir(), "ccmux-lines-"));
  const path = join(dir, "s");
  const accepted = new Promise<Socket>((resolve) => {
    const listener = createServer((socket) => resolve(socket));
    listener.listen(path);
    cleanups.push(() => listener.close());
  });
  const client = connect(path);
  const server = await accepted;
  cleanups.push(() => {
    client.destroy();
    server.destroy();
    rmSync(dir, { recursive: true, force: true });
  });
  return { client, server };
}

describe("attach JSON lines", () => {
  it("delivers each line's value in order, whatever the chunking", async () => {
    const { client, server } = await socketPair();
    const values: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      readJsonLines(
        server,
        1024,
        (value) => {
          values.push(value);
          if (values.length === 3) resolve();
        },
        () => {},
      ),
    );
    client.write('{"keys":"a');
    client.write('b"}\n{"write":true}\n{"size":');
    client.write('{"cols":80,"rows":24}}\n');
    await done;
    expect(values).toEqual([{ keys: "ab" }, { write: true }, { size: { cols: 80, rows: 24 } }]);
  });

  it("stops at a line longer than the limit without buffering it", async () => {
    const { client, server } = await socketPair();
    const values: unknown[] = [];
    const bad = new Promise<string>((resolve) =>
      readJsonLines(server, 100, (value) => values.push(value), resolve),
    );
    client.write('{"write":false}\n');
    client.write(`"${"x".repeat(500)}"\n{"write":true}\n`);
    expect(await bad).toMatch(/longer than 100 bytes/);
    expect(values).toEqual([{ write: false }]);
  });

  it("stops at a line that is not JSON", async () => {
    const { client, server } = await socketPair();
    const bad = new Promise<string>((resolve) => readJsonLines(server, 100, () => {}, resolve));
    client.write("\x1b]52;c;aGk=\x07\n");
    expect(await bad).toMatch(/not JSON/);
  });
});
