import { CcmuxError } from "../errors.js";
import type { Keystroke } from "../shared/keystroke.js";
import { keyBytes, resolveKey } from "./key-table.js";
import { endsInOpenSequence } from "./open-sequence.js";

/** A policy `input` mode `send_keys` can act on. */
import type { InputMode } from "./policy-schema.js";

export type { InputMode };

export interface SendKeysRequest {
  /** Typed literally: "Enter" types E-n-t-e-r. An empty string counts as absent. */
  text?: string;
  /** Named keys from the key table, sent in order after `text`. */
  keys?: string[];
  /** Press Enter after everything else. */
  submit?: boolean;
}

export interface SendKeysOptions {
  /**
   * The `input` mode of the policy entry that started the pane; for a validated shell, the mode of the program in
   * front (the command `run` started) or `prompt` (the shell itself holds the terminal). `validated` alone is
   * taken as `prompt`.
   */
  input: InputMode | "prompt";
  /** `limits.maxInputBytes`: the most UTF-8 bytes one call may deliver. */
  maxInputBytes: number;
  /** The pane's emulator has DECCKM set, so cursor keys use application mode. */
  applicationCursor?: boolean;
}

export interface Keystrokes {
  /** Everything to write to the pty: text, then keys, then "\r" when submitting. */
  bytes: string;
  /** `bytes` as the terminal would send it: the text in one write, then each key (and submit's Enter) in its own. */
  strokes: readonly Keystroke[];
  /** UTF-8 length of `bytes`. */
  byteLength: number;
}

/**
 * Checks one `send_keys` request against the pane's input mode and size limit and turns it into the
 * keystrokes to write. Under `keys`, every key of the table is allowed (C-] too: telnet's escape), including
 * M- on named keys and control codes (M-Enter, C-M-x), but not M- on a printable character (see below).
 * Order is fixed: text, then keys, then Enter if `submit`. In `raw` mode text may hold control characters
 * (a "\x03" is a C-c, as a person at the keyboard could type); lone surrogates are refused (no keystroke
 * sends one), and so is NUL (the key C-@ sends it: one way to say it, and no stray NUL in text).
 */
export function planKeystrokes(request: SendKeysRequest, options: SendKeysOptions): Keystrokes {
  const text = request.text ?? "";
  const keys = request.keys ?? [];
  const submit = request.submit === true;
  if (text === "" && keys.length === 0 && !submit) {
    throw new CcmuxError("INVALID_ARGUMENT", "nothing to send; expected text, keys or submit");
  }
  // Security: input-mode bypass — a pane whose policy allows no input, or named keys only, is never typed into.
  if (options.input === "none") {
    throw new CcmuxError("INPUT_NOT_ALLOWED", 'this pane accepts no input (input mode "none")', {
      data: { input: options.input },
    });
  }
  if (options.input === "keys" && text !== "") {
    throw new CcmuxError(
      "INPUT_NOT_ALLOWED",
      'this pane accepts named keys only (input mode "keys"), not text',
      {
        data: { input: options.input },
      },
    );
  }
  if (options.input === "prompt" || options.input === "validated") return promptKeys(keys, text, submit);
  // Every key is at least one byte and UTF-8 is never shorter than UTF-16, so these bound the work below.
  if (keys.length > options.maxInputBytes || text.length > options.maxInputBytes) {
    throw limitExceeded(Math.max(keys.length, text.length), options.maxInputBytes, "at least ");
  }
  if (text.includes("\0")) {
    throw new CcmuxError("INVALID_ARGUMENT", "text contains a NUL character; expected no NUL");
  }
  if (/\p{Cs}/u.test(text)) {
    throw new CcmuxError("INVALID_ARGUMENT", "text contains a lone surrogate; expected well-formed Unicode");
  }
  const cursor = { applicationCursor: options.applicationCursor === true };
  const parts = text === "" ? [] : [text];
  for (const name of keys) {
    const key = resolveKey(name, cursor);
    // Security: input-mode bypass — under "keys", M-<character> would type that character (ESC, then the
    // letter) into any program that has no Meta binding for it (vi, a C-v quoted insert): text by the back door.
    if (options.input === "keys" && key.typesCharacter) {
      throw new CcmuxError(
        "INPUT_NOT_ALLOWED",
        `this pane accepts named keys only (input mode "keys"); ${JSON.stringify(name)} sends a character after ESC`,
        { data: { input: options.input } },
      );
    }
    parts.push(key.bytes);
  }
  if (submit) parts.push(keyBytes("Enter"));
  const bytes = parts.join("");
  const byteLength = Buffer.byteLength(bytes, "utf8");
  // Security: input flooding — one call cannot push more than the policy's maxInputBytes into a pane.
  if (byteLength > options.maxInputBytes) throw limitExceeded(byteLength, options.maxInputBytes, "");
  const strokes = parts.map((part) => ({
    bytes: part,
    settle: endsInOpenSequence(part),
  }));
  return { bytes, strokes, byteLength };
}

/**
 * The bytes of the keys a validated shell at its prompt accepts: C-c, C-d, C-z and C-\\, the keys that cannot
 * start a command (they only signal, or end input). Security: text, Enter, or a key that edits or recalls a line
 * is refused: at the prompt there is no program to take it, and the shell runs only what `run` checked.
 */
const PROMPT_KEYS: ReadonlySet<string> = new Set(["\u0003", "\u0004", "\u001a", "\u001c"]);

function promptKeys(keys: readonly string[], text: string, submit: boolean): Keystrokes {
  const refuse = (what: string): CcmuxError =>
    new CcmuxError(
      "INPUT_NOT_ALLOWED",
      `the validated shell is at its prompt: ${what}; only C-c, C-d, C-z and C-\\ are sent there (commands go through run {pane, command})`,
      { data: { input: "validated" } },
    );
  if (text !== "") throw refuse("text is not typed");
  if (submit) throw refuse("Enter is not sent");
  if (keys.length > 16) throw refuse("at most 16 keys");
  const parts = keys.map((name) => {
    const key = resolveKey(name, { applicationCursor: false });
    if (!PROMPT_KEYS.has(key.bytes)) throw refuse(`${JSON.stringify(name)} is not sent`);
    return key.bytes;
  });
  const bytes = parts.join("");
  return { bytes, strokes: parts.map((part) => ({ bytes: part, settle: false })), byteLength: bytes.length };
}

function limitExceeded(got: number, limit: number, bound: "at least " | ""): CcmuxError {
  return new CcmuxError("LIMIT_EXCEEDED", `input is ${bound}${got} bytes; the limit is ${limit}`, {
    data: { bytes: got, maxInputBytes: limit },
  });
}
