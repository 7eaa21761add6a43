import { parentPort } from "node:worker_threads";
import { compileWaitRegex, compileWaitRegexLocator } from "../shared/wait-regex.js";
import type { ToMatcherThread } from "./matcher-threads.js";
import { sanitizeText } from "./sanitize.js";
import { excerptOfMatch, type Locate, searchWindows } from "./text-query.js";

/**
 * A matcher thread: the regex wait_for patterns of one connection, up to PATTERNS_PER_THREAD at a time (see
 * matcher-threads.ts and RegexMatcher). It compiles each pattern (refusals go back as `{ refused }`), then
 * receives rendered text, sanitizes it and searches it, so a costly pattern spends this thread's time, never the
 * screen thread's, and a wait can stop it by terminating the thread (its other patterns move to another).
 */
const port = parentPort;
if (port === null) throw new Error("regex-thread.js must run as a worker thread");

interface Compiled {
  pattern: string;
  matches: (text: string) => boolean;
  /** Compiled on the first check that asks for an excerpt (the pattern already passed compileWaitRegex). */
  locate?: Locate;
}

/** The patterns served, by the id their matcher gave them. */
const patterns = new Map<number, Compiled>();

port.on("message", (message: ToMatcherThread) => {
  const { id } = message;
  if ("pattern" in message) {
    port.postMessage({ id, compiling: true }); // the compile limit counts from here (RegexMatcher)
    try {
      const test = compileWaitRegex(message.pattern);
      patterns.set(id, { pattern: message.pattern, matches: (text) => test(sanitizeText(text)) });
      port.postMessage({ id, ready: true });
    } catch (error) {
      const { code, message: why } = error as { code?: string; message: string };
      port.postMessage({ id, refused: { code, message: why } });
    }
    return;
  }
  if ("drop" in message) {
    patterns.delete(id);
    return;
  }
  const compiled = patterns.get(id);
  const matched = compiled ? searchWindows(message.text, compiled.matches) : false;
  // Where the match is only once there is one: locating costs more than testing (no lazy DFA for positions).
  if (compiled && matched && message.excerpt) {
    compiled.locate ??= compileWaitRegexLocator(compiled.pattern);
    port.postMessage({
      id,
      check: message.check,
      matched,
      excerpt: excerptOfMatch(message.text, compiled.locate),
    });
    return;
  }
  port.postMessage({ id, check: message.check, matched });
});
