import { addon } from "../native/addon.js";

/**
 * V8 flags of a bridge (`serve --daemon`), which runs beside every MCP client and only forwards lines (issue 16):
 * no JIT (`--jitless`: no executable code space, V8's interpreter and regexp interpreter only; WebAssembly, which
 * needs one, is turned off by name so V8 does not warn) and a young generation that does not grow. Measured
 * after initialize and a list_panes: 44.9 instead of 46.4 MiB RSS on Node 20, 50.1 instead of 53.1 on Node 24;
 * about 0.03 ms more per message.
 */
const BRIDGE_V8_FLAGS = [
  "--jitless",
  // The V8 of Node 20 and 22 warns on stderr that --jitless turns WebAssembly off unless told so; Node 24
  // refuses the flag.
  ...(Number(process.versions.node.split(".")[0]) < 24 ? ["--no-expose-wasm"] : []),
  "--semi-space-growth-factor=1",
];

/**
 * Gives this bridge process BRIDGE_V8_FLAGS. `--jitless` takes effect only from the command line, so the bridge
 * executes itself again with the flags before anything else runs (execInPlace: the same pid, stdio, environment
 * and parent; one Node start more, 50–110 ms here, once per MCP client). When that fails, or the flags are given
 * already, the flags V8 still takes at run time are set instead. Resolves only when this process goes on.
 */
export async function leanBridge(): Promise<void> {
  if (!process.execArgv.includes("--jitless")) {
    try {
      addon.execInPlace(process.execPath, [
        process.execPath,
        ...BRIDGE_V8_FLAGS,
        ...process.execArgv,
        ...process.argv.slice(1),
      ]);
    } catch {
      // Not executed again: the run-time flags below keep most of the saving.
    }
  }
  if (BRIDGE_V8_FLAGS.every((flag) => process.execArgv.includes(flag))) return;
  // node:v8 is loaded only here: a bridge started with the flags needs none of it.
  const { setFlagsFromString } = await import("node:v8");
  setFlagsFromString("--no-opt --no-maglev --no-sparkplug --semi-space-growth-factor=1");
}
