import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

/**
 * `npm install` builds ccmux's native helpers with node-gyp, which downloads Node's headers unless told where
 * they are; where it could not download them, the install failed with a message that never named ccmux. The
 * install step now builds against the headers beside the node that runs it, and a failure names ccmux and
 * `--nodedir`. Each case runs `npm run install` in a copy of the native sources with an empty HOME: no user
 * npmrc (so no nodedir) and no node-gyp header cache.
 */
const ROOT = resolve(import.meta.dirname, "../..");
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function npmRunInstall(env: Record<string, string> = {}) {
  dir = mkdtempSync(join(tmpdir(), "ccmux-native-"));
  for (const part of ["binding.gyp", "native", "scripts/build-native.mjs"]) {
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "native-copy",
      private: true,
      scripts: { install: "node scripts/build-native.mjs" },
    }),
  );
  mkdirSync(join(dir, "home"));
  const run = spawnSync("npm", ["run", "install"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 180_000,
    env: {
      // The node running the tests runs the install, as npm runs it with the node first on the PATH.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: join(dir, "home"),
      LANG: "C.UTF-8",
      ...env,
    },
  });
  return {
    ...run,
    output: `${run.stdout}${run.stderr}`,
    built: existsSync(join(dir, "build/Release/fd_flags.node")),
  };
}

describe("the header download", () => {
  it(`with no nodedir and no header cache, the helpers build against node ${process.version}'s own headers: no download`, () => {
    const run = npmRunInstall();
    expect(run.output).toContain("ccmux: building the native helpers against the local headers in");
    expect(run.output).not.toMatch(/gyp http GET|headers\.tar\.gz/);
    expect(run.status, run.output).toBe(0);
    expect(run.built).toBe(true);
  }, 200_000);

  it("a build that cannot find headers fails naming ccmux and how to point node-gyp at local headers", () => {
    const empty = mkdtempSync(join(tmpdir(), "ccmux-no-headers-"));
    try {
      const run = npmRunInstall({ npm_config_nodedir: empty });
      expect(run.status).not.toBe(0);
      expect(run.output).toContain(
        "ccmux: building its native helpers (fd_flags.node, pane_launcher) with node-gyp failed",
      );
      expect(run.output).toContain(`nodedir is set to ${empty}`);
      expect(run.output).toContain("npm install --nodedir=/path/to/node");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 200_000);
});
