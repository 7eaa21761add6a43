import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/no-leak-warnings.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // PTY-heavy suites share two cores; a bounded pool keeps timing-sensitive tests honest.
    maxWorkers: 2,
  },
});
