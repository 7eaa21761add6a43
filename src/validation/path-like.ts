/** An http(s) URL, whole or as an option value. */
const HTTP_URL = /(^|=)https?:\/\//i;
// Security: `of=/etc/x`, `-Wl,-rpath,/x`, `file:///etc`, `host:/etc` all carry a path after a delimiter.
const DELIMITERS = /[=,:]/;
// Security: one argument can hold a whole program (`sed 'r /etc/hostname'`, awk `getline < "/etc/x"`,
// `perl -e 'open(F,"/etc/x")'`): a path after a space, a quote, a bracket or a shell-like operator is a path.
const WORD_BREAKS = /[\s'"`()<>|;&{}!]+/;
const OPTION_LETTER = /[A-Za-z0-9]/;
/** Bound on the attached-value split points tried in one short-option cluster. */
const MAX_OPTION_CLUSTER = 64;

/** True when a program would resolve `s` somewhere other than an entry of its cwd: `.`, `..`, `~…`, `…/…`. */
export function looksLikePath(s: string): boolean {
  return s === "." || s === ".." || s.startsWith("/") || s.startsWith("~") || s.includes("/");
}

/** Values a getopt-style cluster `-xzf/path` may carry: every suffix after a run of option letters. */
function attachedValues(piece: string): string[] {
  if (!/^-[^-]/.test(piece)) return [];
  let end = 1;
  while (end < piece.length && OPTION_LETTER.test(piece.charAt(end))) end += 1;
  const values: string[] = [];
  for (let k = 1; k <= Math.min(end, MAX_OPTION_CLUSTER) && k < piece.length; k += 1)
    values.push(piece.slice(k));
  if (end < piece.length) values.push(piece.slice(end));
  return values;
}

/**
 * Every substring of one argument that a program might open as a file: the whole argument; each chunk
 * between spaces, quotes, brackets and `<>|;&{}!` (program text: `r /etc/x`, `getline < "/etc/x"`), and in
 * each chunk each piece
 * between `=`, `,` and `:` (so `--out=/etc/x`, `of=/etc/x`, `file:///etc`, `host:/etc`), with a leading `@`
 * or `+` dropped (`@/etc/passwd`); and every value a short-option cluster may carry (`-o/etc/x`; so
 * `-Isub/dir` might be `-Isub` + `/dir` and is held to that reading: write `-I./sub/dir`).
 * An http(s) URL (whole or as an option value) is checked as one relative path, not split at its colon: a
 * program that is given it as a file name resolves it that way.
 */
export function argPieces(arg: string): string[] {
  const chunks = arg.split(WORD_BREAKS).filter((chunk) => chunk !== "");
  return dedupe([arg, ...chunks.flatMap(chunkPieces)]);
}

function chunkPieces(arg: string): string[] {
  const url = HTTP_URL.exec(arg);
  if (!url) return plainPieces(arg);
  const start = url.index + (url[1] ?? "").length;
  const [address = "", ...rest] = arg.slice(start).split(",");
  // Security: `https://../../etc/passwd` is a path to any program that opens it, through a directory named
  // `https:` (which a cloned repository can ship): the URL is held to the workspace as a whole, and whatever
  // follows a comma (`https://a,/etc`) is checked like any other piece.
  const head = arg.slice(0, start);
  return dedupe([...(head ? plainPieces(head) : []), address, ...rest.flatMap(plainPieces)]);
}

function plainPieces(arg: string): string[] {
  const pieces = arg.split(DELIMITERS);
  return dedupe([
    arg,
    ...pieces.map((piece) => piece.replace(/^[@+]+/, "")),
    ...attachedValues(pieces[0] ?? ""),
  ]);
}

function dedupe(pieces: string[]): string[] {
  return [...new Set(pieces)].filter((piece) => piece !== "");
}
