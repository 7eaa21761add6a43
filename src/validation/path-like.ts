/** An http(s) URL, whole or as an option value, names a network resource, not a file. */
const HTTP_URL = /(^|=)https?:\/\//i;
// Security: `of=/etc/x`, `-Wl,-rpath,/x`, `file:///etc`, `host:/etc` all carry a path after a delimiter.
const DELIMITERS = /[=,:]/;
const OPTION_LETTER = /[A-Za-z0-9]/;
/** Bound on the attached-value split points tried in one short-option cluster. */
const MAX_OPTION_CLUSTER = 64;

function isPathLike(s: string): boolean {
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
 * The parts of one argument that a program might open as a file, to be held to the workspace; empty when
 * the argument does not look like a path. Path-like: `.`, `..`, absolute, starting with `~`, or containing
 * `/`. Checked: the whole argument; each piece between `=`, `,` and `:` (so `--out=/etc/x`, `of=/etc/x`,
 * `file:///etc`), with a leading `@` or `+` dropped (`@/etc/passwd`); and every value a short-option
 * cluster may carry (`-o/etc/x`; `-Isub/dir` is refused as it might mean `-Isub` + `/dir`, write `-I./sub/dir`).
 * http(s) URLs are not paths; every other scheme is (`file:///etc` is `/etc`).
 */
export function pathParts(arg: string): string[] {
  const url = HTTP_URL.exec(arg);
  const head = url ? arg.slice(0, url.index + (url[1] ?? "").length) : arg;
  const parts = new Set<string>();
  const consider = (candidate: string): void => {
    if (isPathLike(candidate)) parts.add(candidate);
  };
  consider(head);
  const pieces = head.split(DELIMITERS);
  for (const piece of pieces) consider(piece.replace(/^[@+]+/, ""));
  for (const value of attachedValues(pieces[0] ?? "")) consider(value);
  return [...parts];
}
