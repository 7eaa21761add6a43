/**
 * Where things are in a JSON text: the first syntax error, and where each value starts, by JSON path. Node's
 * JSON.parse stays the parser; this strict RFC 8259 scanner only finds positions, because V8's messages give
 * none for "Unexpected token" or "Unexpected end", and echo the whole text instead.
 */

/** A 1-based line and column (columns count UTF-16 code units, as editors on ASCII files do). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** The first syntax error in a JSON text: what was expected, and where. */
export interface JsonSyntaxError extends SourcePosition {
  /** Offset into the text, in UTF-16 code units. */
  offset: number;
  message: string;
}

/** The result of scanning: the first syntax error, or the offset where each value starts, keyed by path. */
export type JsonScan =
  | { error: JsonSyntaxError }
  | { error?: undefined; starts: ReadonlyMap<string, number> };

/** A JSON path in the policy's error format: `commands[0].args[1]`, `env.fromAgent[0]`, "" for the root. */
export function pathKey(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

class Syntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Scans `text` as strict JSON (no comments, no trailing commas, no BOM). */
export function scanJson(text: string): JsonScan {
  const starts = new Map<string, number>();
  let i = 0;
  const describe = (at: number): string => {
    if (at >= text.length) return "the end of the file";
    const char = text[at] as string;
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f || code === 0xfeff
      ? `character U+${code.toString(16).toUpperCase().padStart(4, "0")}`
      : JSON.stringify(char);
  };
  const fail = (what: string, at = i): never => {
    throw new Syntax(at, `expected ${what}, found ${describe(at)}`);
  };
  const space = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[i] !== char) fail(`${JSON.stringify(word)}`);
      i++;
    }
  };
  const string = (): void => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail('a closing "');
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i++;
        return;
      }
      if (code < 0x20) throw new Syntax(i, `${describe(i)} must be escaped inside a string`);
      if (code === 0x5c) {
        const escaped = text[i + 1];
        if (escaped === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail("four hex digits after \\u", i + 2);
          i += 6;
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
          i += 2;
        } else {
          throw new Syntax(i, 'a backslash must start an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX');
        }
        continue;
      }
      i++;
    }
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[i] ?? "")) fail("a digit");
    while (/[0-9]/.test(text[i] ?? "")) i++;
  };
  const number = (): void => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits();
    }
  };
  const value = (path: string): void => {
    space();
    starts.set(path, i);
    const char = text[i];
    if (char === "{") {
      i++;
      space();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"')
          fail("a property name in double quotes (JSON has no trailing commas or comments)");
        const keyStart = i;
        string();
        const key = JSON.parse(text.slice(keyStart, i)) as string;
        space();
        if (text[i] !== ":") fail('":" after the property name');
        i++;
        value(pathKey(path, key));
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail('"," or "}" after the property value');
      }
    }
    if (char === "[") {
      i++;
      space();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (let index = 0; ; index++) {
        value(pathKey(path, index));
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail('"," or "]" after the array element');
      }
    }
    if (char === '"') string();
    else if (char === "t") literal("true");
    else if (char === "f") literal("false");
    else if (char === "n") literal("null");
    else if (char === "-" || /[0-9]/.test(char ?? "")) number();
    else fail("a value (an object, array, string, number, true, false or null)");
  };
  try {
    value("");
    space();
    if (i < text.length) fail("the end of the file after the value");
    return { starts };
  } catch (error) {
    if (!(error instanceof Syntax)) throw error;
    return { error: { offset: error.offset, message: error.message, ...positionOf(text, error.offset) } };
  }
}

/** The line and column of an offset into `text`. */
export function positionOf(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf("\n"); at !== -1 && at < offset; at = text.indexOf("\n", at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where the value at `path` (as a policy error names it) starts, or its nearest ancestor that the text has
 * (an unknown key's error names its object; a missing field names its parent).
 */
export function positionOfPath(
  text: string,
  starts: ReadonlyMap<string, number>,
  path: string,
): SourcePosition | undefined {
  for (let candidate = path; ; candidate = parentOf(candidate)) {
    const offset = starts.get(candidate);
    if (offset !== undefined) return positionOf(text, offset);
    if (candidate === "") return undefined;
  }
}

function parentOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return cut <= 0 ? "" : path.slice(0, cut);
}
