import { configDefaults, defineConfig } from "vitest/config";
import {
  INSIDE_PANE_SANDBOX,
  NEEDS_THE_HOST,
  SKIPPED_INSIDE_PANE,
} from "./test/support/inside-pane-sandbox.js";

// An agent running this suite in a ccmux pane gets a verdict on what can run there, and is told what was left out.
if (INSIDE_PANE_SANDBOX) console.warn(SKIPPED_INSIDE_PANE);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: [...configDefaults.exclude, ...(INSIDE_PANE_SANDBOX ? NEEDS_THE_HOST : [])],
    setupFiles: ["test/support/no-leak-warnings.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // PTY-heavy suites share two cores; a bounded pool keeps timing-sensitive tests honest.
    maxWorkers: 2,
    // Memory tests read the RSS after a full collection (global.gc), not wherever V8's heap has grown to: on Node 24
    // under load a flood's heap grew 57–71 MB in seconds before its first collection, and no leak was there.
    execArgv: ["--expose-gc"],
  },
});
