import { readFileSync } from "node:fs";

/** The version in package.json (read once, at the first call). */
export function packageVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
let cached: string | undefined;
