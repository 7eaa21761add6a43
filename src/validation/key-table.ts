import { CcmuxError } from "../errors.js";

/**
 * The fixed table of named keys `send_keys` accepts, and the bytes xterm sends for each. Beyond the keys
 * DESIGN.md lists: `S-Tab` (reverse completion, menus), `Space`, `Insert`, and `C-\` (SIGQUIT, for a
 * program that ignores C-c). Meta keys and C-@ (a NUL byte) are left out.
 */

const ESC = "\x1b";

/** Keys whose bytes depend on DECCKM (application cursor mode): `[normal, application]`. */
const CURSOR_KEYS: ReadonlyArray<readonly [string, string, string]> = [
  ["Up", `${ESC}[A`, `${ESC}OA`],
  ["Down", `${ESC}[B`, `${ESC}OB`],
  ["Right", `${ESC}[C`, `${ESC}OC`],
  ["Left", `${ESC}[D`, `${ESC}OD`],
  ["Home", `${ESC}[H`, `${ESC}OH`],
  ["End", `${ESC}[F`, `${ESC}OF`],
];

const PLAIN_KEYS: ReadonlyArray<readonly [string, string]> = [
  ["Enter", "\r"],
  ["Tab", "\t"],
  ["S-Tab", `${ESC}[Z`],
  ["Space", " "],
  ["Escape", ESC],
  ["Backspace", "\x7f"],
  ["PageUp", `${ESC}[5~`],
  ["PageDown", `${ESC}[6~`],
  ["Insert", `${ESC}[2~`],
  ["Delete", `${ESC}[3~`],
  ...Array.from({ length: 26 }, (_, i): [string, string] => [
    `C-${String.fromCharCode(0x61 + i)}`,
    String.fromCharCode(1 + i),
  ]),
  ["C-\\", "\x1c"],
  ...["OP", "OQ", "OR", "OS", "[15~", "[17~", "[18~", "[19~", "[20~", "[21~", "[23~", "[24~"].map(
    (tail, i): [string, string] => [`F${i + 1}`, `${ESC}${tail}`],
  ),
];

/** tmux and common spellings agents reach for; each maps to a name of the table. */
const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ["Esc", "Escape"],
  ["Return", "Enter"],
  ["BSpace", "Backspace"],
  ["BTab", "S-Tab"],
  ["PgUp", "PageUp"],
  ["PgDn", "PageDown"],
];

/** Every canonical key name, in table order (aliases are accepted but not listed). */
export const KEY_NAMES: readonly string[] = Object.freeze([
  ...CURSOR_KEYS.map(([name]) => name),
  ...PLAIN_KEYS.map(([name]) => name),
]);

/** Lower-cased name or alias → canonical name. A Map, so "constructor" or "__proto__" is just unknown. */
const CANONICAL = new Map<string, string>([
  ...KEY_NAMES.map((name): [string, string] => [name.toLowerCase(), name]),
  ...ALIASES.map(([alias, name]): [string, string] => [alias.toLowerCase(), name]),
]);
const NORMAL = new Map<string, string>([...CURSOR_KEYS.map(([n, b]) => [n, b] as const), ...PLAIN_KEYS]);
const APPLICATION = new Map<string, string>(CURSOR_KEYS.map(([n, , b]) => [n, b] as const));

const VALID_KEYS_SUMMARY =
  "Enter, Tab, S-Tab, Space, Escape, Backspace, Up, Down, Left, Right, Home, End, PageUp, PageDown, " +
  "Insert, Delete, C-a…C-z, C-\\, F1…F12";
/** How much of an unknown name the error message repeats. */
const MAX_ECHOED_NAME = 32;

export interface KeyBytesOptions {
  /** DECCKM is set (the program asked for application cursor keys): arrows, Home and End send `ESC O x`. */
  applicationCursor?: boolean;
}

/**
 * The bytes xterm sends for the named key. Names match case-insensitively (`enter`, `C-A` = `C-a`: a
 * terminal sends the same byte for Ctrl with or without Shift). Throws CcmuxError `UNKNOWN_KEY` otherwise.
 */
export function keyBytes(name: string, options: KeyBytesOptions = {}): string {
  const canonical = CANONICAL.get(name.toLowerCase());
  const bytes =
    canonical === undefined
      ? undefined
      : ((options.applicationCursor === true ? APPLICATION.get(canonical) : undefined) ??
        NORMAL.get(canonical));
  if (bytes === undefined) {
    const shown = name.length > MAX_ECHOED_NAME ? `${name.slice(0, MAX_ECHOED_NAME)}…` : name;
    throw new CcmuxError(
      "UNKNOWN_KEY",
      `unknown key ${JSON.stringify(shown)}; expected one of ${VALID_KEYS_SUMMARY}`,
      { data: { key: shown } },
    );
  }
  return bytes;
}
