import { afterAll } from "vitest";

// npm test prints no listener-leak warnings: a test file during which this process warned fails (vitest runs
// this setup file once per test file). The warning still prints, naming what leaked.
const leaks: string[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === "MaxListenersExceededWarning") leaks.push(warning.message);
};
process.on("warning", onWarning);
afterAll(() => {
  process.off("warning", onWarning);
  if (leaks.length > 0) throw new Error(`this test file made the test process warn: ${leaks[0]}`);
});
