import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/validation/command-line.js";
import { codeOf } from "../fixtures/validation-tree.js";

const parse = (line: string) => parseCommandLine(line, 4096);
const refusal = (line: string) => codeOf(() => parse(line));

describe("parseCommandLine: words", () => {
  it("splits plain words on spaces", () => {
    expect(parse("git  log --oneline -n 5")).toEqual(["git", "log", "--oneline", "-n", "5"]);
  });

  it("keeps quoted metacharacters as data", () => {
    expect(parse(`echo "a;b" 'x|y' '$z'`)).toEqual(["echo", "a;b", "x|y", "$z"]);
  });

  it("joins adjacent quoted pieces into one word and keeps empty quoted words", () => {
    expect(parse(`echo a'b'"c" '' ""`)).toEqual(["echo", "abc", "", ""]);
  });

  it("reads backslash escapes like bash outside and inside double quotes", () => {
    expect(parse(String.raw`echo a\ b \; "q\"x" "c\d" 'e\f'`)).toEqual([
      "echo",
      "a b",
      ";",
      'q"x',
      "c\\d",
      "e\\f",
    ]);
  });

  it("keeps a tilde as data (it is never expanded; path checks refuse it later)", () => {
    expect(parse("ls ~/x HEAD~1")).toEqual(["ls", "~/x", "HEAD~1"]);
  });

  it("quoted globs and braces are data", () => {
    expect(parse(`ls '*.ts' "{a,b}" '[x]'`)).toEqual(["ls", "*.ts", "{a,b}", "[x]"]);
  });
});

describe("parseCommandLine: history expansion (issue 14: a line in a shell must mean what it shows)", () => {
  it.each([["echo !!"], ["echo !$"], ["!ls"], ['echo "!!"'], ["git log --format=x!"]])(
    "refuses an unquoted or double-quoted `!`: %s",
    (line) => {
      expect(refusal(line)).toBe("COMMAND_SYNTAX_FORBIDDEN");
    },
  );

  it("keeps a single-quoted or escaped `!` as data", () => {
    expect(parse(String.raw`echo '!!' \!`)).toEqual(["echo", "!!", "!"]);
  });
});

describe("parseCommandLine: seed §2.1 injection payloads", () => {
  it.each([
    ["ls; rm -rf /"],
    ["ls & rm -rf /"],
    ["ls | sh"],
    ["ls && rm x"],
    ["ls || rm x"],
    ["ls > /etc/x"],
    ["ls >> x"],
    ["cat < /etc/passwd"],
    ["cat <<< x"],
    ["diff <(ls) x"],
    ["tee >(sh)"],
    ["(ls)"],
    ["ls |& cat"],
    ["ls 2>&1"],
    ["ls &> x"],
  ])("refuses the operator in %j", (line) => {
    expect(refusal(line)).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it.each([
    ["$(cat /etc/passwd)"],
    ["echo $(id)"],
    ["echo `id`"],
    ["echo a`id`b"],
    ['echo "`id`"'],
    ["echo \\`id\\`"],
  ])("refuses command substitution %j", (line) => {
    expect(refusal(line)).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it.each([
    ["echo $HOME"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell payload, not a template
    ["echo ${X}"],
    ['echo "$HOME"'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell payload, not a template
    ['echo "${HOME}"'],
    ["echo $$"],
    ["echo $'\\x41'"],
    ['echo $"x"'],
    ["echo x$"],
    ["echo \\$HOME"],
  ])("refuses variable expansion %j", (line) => {
    expect(refusal(line)).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("'$HOME' in single quotes is data, \"$HOME\" in double quotes is an expansion", () => {
    expect(parse("echo '$HOME'")).toEqual(["echo", "$HOME"]);
    expect(refusal('echo "$HOME"')).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses an unquoted glob *.ts but not a quoted one", () => {
    expect(refusal("ls *.ts")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("ls a?")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("ls [ab].ts")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(parse("ls '*.ts'")).toEqual(["ls", "*.ts"]);
  });

  it("refuses an escaped glob \\* too (shell-quote calls it a glob)", () => {
    expect(refusal("ls \\*")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses unquoted brace expansion {a,b} (bash would make two words)", () => {
    expect(refusal("echo {a,b}")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("git show HEAD@{1}")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses a # comment, also mid-word where shell-quote reads one", () => {
    expect(refusal("ls # rm -rf /")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("ls a#b")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(parse("ls 'a#b'")).toEqual(["ls", "a#b"]);
  });

  it.each([
    ["ls\nrm -rf /", "LF"],
    ["ls\rrm -rf /", "CR"],
    ["ls\0x", "NUL"],
    ["ls\tx", "TAB"],
    ["ls\u001b[2Jx", "ESC"],
    ["ls\u007fx", "DEL"],
    ["ls\u0085rm", "NEL U+0085"],
    ["ls\u009bx", "CSI U+009B"],
    ["ls\u2028rm", "LINE SEPARATOR"],
    ["ls\u2029rm", "PARAGRAPH SEPARATOR"],
    ["git\u200b status", "ZERO WIDTH SPACE"],
    ["echo '\u202eabc'", "RIGHT-TO-LEFT OVERRIDE inside quotes"],
    ["git\u00a0status", "NO-BREAK SPACE (shell-quote splits it, bash does not)"],
    ["git\u3000status", "IDEOGRAPHIC SPACE"],
    ["echo \ud800", "lone surrogate"],
  ])("refuses %j (%s)", (line) => {
    expect(refusal(line)).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses unterminated quotes that shell-quote would silently drop", () => {
    expect(refusal('echo "abc')).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("echo 'abc")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses a trailing backslash (bash keeps it, shell-quote drops it)", () => {
    expect(refusal("echo foo\\")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses empty commands", () => {
    expect(refusal("")).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(refusal("   ")).toBe("COMMAND_SYNTAX_FORBIDDEN");
  });

  it("refuses a line longer than maxBytes in UTF-8 bytes, not characters", () => {
    expect(codeOf(() => parseCommandLine("echo é", 6))).toBe("LIMIT_EXCEEDED");
    expect(parseCommandLine("echo é", 7)).toEqual(["echo", "é"]);
  });

  it("does not echo the line in the refusal message", () => {
    try {
      parse("ls; cat /home/u/.ssh/id_rsa");
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("id_rsa");
    }
  });
});
