import { RE2JS } from "re2js";
import { CcmuxError } from "../errors.js";

/** Longest pattern accepted for wait_for. */
export const MAX_REGEX_LENGTH = 1024;

/**
 * Compiles a wait_for pattern with RE2 semantics: matching is linear in the input, so a pane cannot stall the
 * server with catastrophic backtracking (ReDoS), whatever the pattern. Backreferences and lookaround, which
 * need backtracking, are refused as syntax errors.
 */
export function compileWaitRegex(pattern: string): (text: string) => boolean {
  if (pattern.length === 0 || pattern.length > MAX_REGEX_LENGTH) {
    throw new CcmuxError("INVALID_ARGUMENT", `regex must be 1 to ${MAX_REGEX_LENGTH} characters.`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, RE2JS.MULTILINE);
  } catch (cause) {
    throw new CcmuxError("INVALID_ARGUMENT", `regex is not valid RE2 syntax: ${(cause as Error).message}`, {
      cause,
    });
  }
  return (text) => compiled.test(text);
}
