import { parentPort } from "node:worker_threads";
import { compileWaitRegex, compileWaitRegexLocator } from "../shared/wait-regex.js";
import { sanitizeText } from "./sanitize.js";
import { excerptOfMatch, type Locate, searchWindows } from "./text-query.js";

/**
 * A matcher thread: one regex wait_for's at a time (see RegexMatcher; an idle thread serves the next wait). It
 * compiles the pattern (refusals go back as `{ refused }`), then receives rendered text, sanitizes it and searches
 * it, so a costly pattern spends its own thread's time, never the screen thread's, and the wait can stop it by
 * terminating the thread.
 */
const port = parentPort;
if (port === null) throw new Error("regex-thread.js must run as a worker thread");

let matches: ((text: string) => boolean) | undefined;
let pattern = "";
/** Compiled on the first check that asks for an excerpt (the pattern already passed compileWaitRegex). */
let locate: Locate | undefined;

// A pattern message starts a wait (the thread is started ahead of need, or kept from an earlier wait, see
// RegexMatcher); every later one is text to search until the next pattern.
port.on("message", (message: { pattern: string } | { check: number; text: string; excerpt?: boolean }) => {
  if ("pattern" in message) {
    pattern = message.pattern;
    matches = undefined;
    locate = undefined;
    port.postMessage({ compiling: true }); // the compile limit counts from here (RegexMatcher)
    try {
      const test = compileWaitRegex(message.pattern);
      matches = (text) => test(sanitizeText(text));
      port.postMessage({ ready: true });
    } catch (error) {
      const { code, message: why } = error as { code?: string; message: string };
      port.postMessage({ refused: { code, message: why } });
    }
    return;
  }
  const matched = matches ? searchWindows(message.text, matches) : false;
  // Where the match is only once there is one: locating costs more than testing (no lazy DFA for positions).
  if (matched && message.excerpt) {
    locate ??= compileWaitRegexLocator(pattern);
    port.postMessage({ check: message.check, matched, excerpt: excerptOfMatch(message.text, locate) });
    return;
  }
  port.postMessage({ check: message.check, matched });
});
