import { CcmuxError } from "../errors.js";

/**
 * Key names `send_keys` accepts, and the bytes xterm sends for each in its default configuration. Source: xterm
 * ctlseqs ("PC-Style Function Keys": cursor keys by DECCKM, function keys, the modifier parameter; "Alt and Meta
 * Keys": metaSendsEscape), and xterm(1) (modifyCursorKeys and modifyFunctionKeys default 2: the modifier is the
 * second parameter, after a 1 when there is no other; backarrowKey: Control toggles Backspace between DEL and BS).
 *
 * Grammar: modifiers `C-` (Control), `M-` (Meta/Alt, as tmux spells it) and `S-` (Shift), in any order and case,
 * each at most once, then a named key (case-insensitive) or, after `C-` or `M-`, one printable ASCII character.
 * - Cursor, editing and function keys carry modifiers as xterm's parameter 1 + Shift 1 + Alt 2 + Control 4:
 *   C-Left = CSI 1;5D, S-Up = CSI 1;2A, M-F5 = CSI 15;3~, S-F1 = CSI 1;2P (SS3 becomes CSI with a parameter).
 * - `C-` on a character is the ASCII control code: C-a…C-z, C-@ (NUL), C-[ (ESC), C-\, C-], C-^, C-_, and C-?
 *   (DEL); C-Space is NUL and C-Backspace BS.
 * - `M-` elsewhere prefixes ESC (metaSendsEscape, what readline expects): M-x, M-Enter, M-Backspace, C-M-x.
 * - Combinations xterm sends no distinct bytes for without modifyOtherKeys (C-Enter, S-Space, C-Tab, …) are
 *   refused rather than sent as the plain key. Only S-Tab (CSI Z) exists among Shift on the plain keys.
 */

const ESC = "\x1b";
const CSI = `${ESC}[`;
const SS3 = `${ESC}O`;

type NamedKey =
  /** Up/Down/Right/Left/Home/End: CSI x, or SS3 x in application cursor mode (DECCKM); modified CSI 1;m x. */
  | { kind: "cursor"; final: string }
  /** F1…F4: SS3 x; modified CSI 1;m x. */
  | { kind: "pf"; final: string }
  /** Editing keys and F5…F12: CSI n ~; modified CSI n;m ~. */
  | { kind: "tilde"; code: number }
  /** Keys that send a character: modifiers as C- (control code) and M- (ESC prefix) where xterm has them. */
  | { kind: "plain"; bytes: string; control?: string; shift?: string };

const NAMED: ReadonlyArray<readonly [string, NamedKey]> = [
  ["Enter", { kind: "plain", bytes: "\r" }],
  ["Tab", { kind: "plain", bytes: "\t", shift: `${CSI}Z` }],
  ["Space", { kind: "plain", bytes: " ", control: "\0" }],
  ["Escape", { kind: "plain", bytes: ESC }],
  ["Backspace", { kind: "plain", bytes: "\x7f", control: "\b" }],
  ["Up", { kind: "cursor", final: "A" }],
  ["Down", { kind: "cursor", final: "B" }],
  ["Right", { kind: "cursor", final: "C" }],
  ["Left", { kind: "cursor", final: "D" }],
  ["Home", { kind: "cursor", final: "H" }],
  ["End", { kind: "cursor", final: "F" }],
  ["PageUp", { kind: "tilde", code: 5 }],
  ["PageDown", { kind: "tilde", code: 6 }],
  ["Insert", { kind: "tilde", code: 2 }],
  ["Delete", { kind: "tilde", code: 3 }],
  ...["P", "Q", "R", "S"].map((final, i): [string, NamedKey] => [`F${i + 1}`, { kind: "pf", final }]),
  ...[15, 17, 18, 19, 20, 21, 23, 24].map((code, i): [string, NamedKey] => [
    `F${i + 5}`,
    { kind: "tilde", code },
  ]),
];

/** tmux and common spellings agents reach for: alias → [named key, Shift implied]. */
const ALIASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ["Esc", "Escape", false],
  ["Return", "Enter", false],
  ["BSpace", "Backspace", false],
  ["BTab", "Tab", true],
  ["PgUp", "PageUp", false],
  ["PgDn", "PageDown", false],
  ["PPage", "PageUp", false],
  ["NPage", "PageDown", false],
  ["IC", "Insert", false],
  ["DC", "Delete", false],
];

/** The named keys (without modifiers), in table order; aliases are accepted but not listed. */
export const KEY_NAMES: readonly string[] = Object.freeze(NAMED.map(([name]) => name));

/** The key grammar in one line, for the tool's description and every UNKNOWN_KEY message. */
export const KEY_GRAMMAR =
  "modifiers C-, M- (Alt), S- then Enter, Tab, Space, Escape, Backspace, Up, Down, Left, Right, Home, End, " +
  "PageUp, PageDown, Insert, Delete, F1…F12, or (after C- or M-) one ASCII character: C-a…C-z, " +
  "C-@ C-[ C-\\ C-] C-^ C-_ C-?, M-x, M-Enter, C-M-x, C-Left, S-Up, M-F5, S-Tab";

/** Lower-cased name or alias → the key and whether the name implies Shift. A Map: "__proto__" is just unknown. */
const LOOKUP = new Map<string, { key: NamedKey; shift: boolean }>();
for (const [name, key] of NAMED) LOOKUP.set(name.toLowerCase(), { key, shift: false });
for (const [alias, name, shift] of ALIASES) {
  const entry = LOOKUP.get(name.toLowerCase());
  if (entry) LOOKUP.set(alias.toLowerCase(), { key: entry.key, shift });
}

/** Characters `C-` turns into a control code other than the letters (caret notation: ^@ ^[ ^\ ^] ^^ ^_ ^?). */
const CONTROL_PUNCTUATION = new Map<string, string>([
  ["@", "\0"],
  ["[", ESC],
  ["\\", "\x1c"],
  ["]", "\x1d"],
  ["^", "\x1e"],
  ["_", "\x1f"],
  ["?", "\x7f"],
]);

/** How much of an unknown name the error message repeats. */
const MAX_ECHOED_NAME = 32;

export interface KeyBytesOptions {
  /** DECCKM is set (the program asked for application cursor keys): arrows, Home and End send `SS3 x`. */
  applicationCursor?: boolean;
}

export interface ResolvedKey {
  /** What the terminal sends for the key. */
  bytes: string;
  /**
   * The key is M- on a printable character: ESC then that character, which a program without a binding for it
   * (vi, a line read after C-v, a cooked-mode read) takes as the character typed.
   */
  typesCharacter: boolean;
}

interface Modifiers {
  control: boolean;
  meta: boolean;
  shift: boolean;
}
const MODIFIERS = new Map<string, keyof Modifiers>([
  ["c", "control"],
  ["m", "meta"],
  ["s", "shift"],
]);

/**
 * The bytes xterm sends for the named key (see the grammar above). Throws CcmuxError `UNKNOWN_KEY` with the reason
 * and the grammar for a name that is not a key or a combination a terminal cannot send distinctly.
 */
export function resolveKey(name: string, options: KeyBytesOptions = {}): ResolvedKey {
  const mods: Modifiers = { control: false, meta: false, shift: false };
  let rest = name;
  while (rest.length > 2 && rest[1] === "-") {
    const flag = MODIFIERS.get(rest.slice(0, 1).toLowerCase());
    if (flag === undefined) break;
    if (mods[flag]) throw unknownKey(name, "a modifier is repeated");
    mods[flag] = true;
    rest = rest.slice(2);
  }
  const named = LOOKUP.get(rest.toLowerCase());
  if (named !== undefined) {
    if (named.shift && mods.shift) throw unknownKey(name, "a modifier is repeated");
    const bytes = encodeNamed(named.key, { ...mods, shift: mods.shift || named.shift }, options, name);
    return { bytes, typesCharacter: false };
  }
  if (rest.length !== 1 || rest < "!" || rest > "~") throw unknownKey(name, "not a key");
  if (!mods.control && !mods.meta) throw unknownKey(name, "a character alone is text; give C- or M-");
  if (mods.shift) throw unknownKey(name, "S- applies to named keys; use the shifted character (M-X)");
  const bytes = mods.control ? controlCode(rest, name) : rest;
  return { bytes: mods.meta ? ESC + bytes : bytes, typesCharacter: mods.meta && !mods.control };
}

/** The bytes of `resolveKey`, for callers that need no more. */
export function keyBytes(name: string, options: KeyBytesOptions = {}): string {
  return resolveKey(name, options).bytes;
}

function encodeNamed(key: NamedKey, mods: Modifiers, options: KeyBytesOptions, name: string): string {
  // xterm's modifier parameter: 1 + Shift 1 + Alt 2 + Control 4 (ctlseqs, PC-Style Function Keys).
  const parameter = 1 + (mods.shift ? 1 : 0) + (mods.meta ? 2 : 0) + (mods.control ? 4 : 0);
  switch (key.kind) {
    case "cursor":
      if (parameter > 1) return `${CSI}1;${parameter}${key.final}`;
      return (options.applicationCursor === true ? SS3 : CSI) + key.final;
    case "pf":
      return parameter > 1 ? `${CSI}1;${parameter}${key.final}` : SS3 + key.final;
    case "tilde":
      return parameter > 1 ? `${CSI}${key.code};${parameter}~` : `${CSI}${key.code}~`;
    case "plain": {
      let bytes = key.bytes;
      if (mods.shift && mods.control) throw unknownKey(name, "a terminal sends no distinct bytes for it");
      if (mods.shift) bytes = key.shift ?? throwNoDistinct(name);
      if (mods.control) bytes = key.control ?? throwNoDistinct(name);
      return mods.meta ? ESC + bytes : bytes;
    }
  }
}

function controlCode(char: string, name: string): string {
  const lower = char.toLowerCase();
  // A terminal sends the same code for Ctrl with or without Shift: C-A is C-a.
  if (lower >= "a" && lower <= "z") return String.fromCharCode(lower.charCodeAt(0) - 0x60);
  const code = CONTROL_PUNCTUATION.get(char);
  if (code === undefined) throw unknownKey(name, "C- takes a letter, @ [ \\ ] ^ _ ? or Space");
  return code;
}

function throwNoDistinct(name: string): never {
  throw unknownKey(name, "a terminal sends no distinct bytes for it");
}

function unknownKey(name: string, reason: string): CcmuxError {
  const shown = name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
  return new CcmuxError(
    "UNKNOWN_KEY",
    `unknown key ${JSON.stringify(shown)} (${reason}); keys: ${KEY_GRAMMAR}`,
    {
      data: { key: shown },
    },
  );
}
