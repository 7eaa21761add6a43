// ccmux's install step: builds its native helpers (fd_flags.node, pane_launcher) with node-gyp. node-gyp needs
// the headers of the node that runs it and downloads them unless told where they are; this points it at the
// headers installed beside that node (official tarballs, the npm `node` package, distributions' /usr) so that
// no download is needed, and says what to do, naming ccmux, when the build fails anyway.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/** The version of the headers under `prefix`/include/node, or undefined when there are none. */
function headerVersion(prefix) {
  try {
    const text = readFileSync(join(prefix, "include", "node", "node_version.h"), "utf8");
    const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
    if (!existsSync(join(prefix, "include", "node", "common.gypi"))) return undefined;
    return `v${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}`;
  } catch {
    return undefined;
  }
}

/** A node installation prefix holding this node's own headers, or undefined. */
function localHeaders() {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  // The npm `node` package runs a hard link in node/bin; its headers are in node/node_modules/node-OS-ARCH.
  const candidates = [prefix, join(prefix, "node_modules", `node-${process.platform}-${process.arch}`)];
  return candidates.find((dir) => headerVersion(dir) === process.version);
}

const configured = process.env.npm_config_nodedir;
const nodedir = configured ? undefined : localHeaders();
const gyp = process.env.npm_config_node_gyp;
const args = ["rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
if (nodedir) console.error(`ccmux: building the native helpers against the local headers in ${nodedir}`);
const run = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit" });
if (run.status !== 0) {
  const where = configured
    ? `nodedir is set to ${configured}`
    : "no local headers were found beside this node";
  console.error(
    [
      `ccmux: building its native helpers (fd_flags.node, pane_launcher) with node-gyp failed (${run.error?.message ?? `exit ${run.status}`}).`,
      `ccmux: node-gyp needs make, a C compiler, python3 and the headers of node ${process.version}; ${where}.`,
      "ccmux: where node-gyp cannot download the headers, point it at a node installation that has include/node/:",
      "ccmux:   npm install --nodedir=/path/to/node   (or once: npm config set nodedir /path/to/node)",
      "ccmux: official Node tarballs, the npm package `node` (node_modules/node-OS-ARCH) and distribution packages (/usr) ship them.",
    ].join("\n"),
  );
  process.exit(run.status || 1);
}
