import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CcmuxError, isCcmuxError } from "../../src/errors.js";
import { type CompiledPolicy, compilePolicy } from "../../src/validation/policy-compile.js";
import { checkSpawn } from "../../src/validation/spawn-check.js";
import { makeTree, type Tree } from "../fixtures/validation-tree.js";

/**
 * Each shell habit an agent brings is refused with a stable code, a stable `data.syntax` and one line saying
 * what to do instead. These are the mistakes every agent trained on shells makes; the advice must be right.
 */
let tree: Tree;
let policy: CompiledPolicy;

beforeAll(() => {
  tree = makeTree();
  policy = compilePolicy(
    {
      workspace: ["."],
      commands: [
        { command: "tool", args: ["status", "write **", "run {path}"] },
        { command: "ls-alike", args: ["**"] },
      ],
      env: { fromAgent: ["NODE_ENV", "DEBUG"] },
    },
    { baseDir: tree.ws, serverPath: tree.bin, defaultAuditPath: "/var/tmp/a.jsonl" },
  );
});
afterAll(() => tree.remove());

function refusalOf(command: string): CcmuxError {
  try {
    checkSpawn(policy, { command }, { PATH: tree.bin });
  } catch (error) {
    if (isCcmuxError(error)) return error;
    throw error;
  }
  throw new Error(`${command} was allowed`);
}

describe("shell habits get a stable code and what to do instead", () => {
  it.each([
    ["tool status | tail -5", "pipe", /read_pane/],
    ["tool status && tool write x", "and-or", /spawn each command on its own/],
    ["tool status || tool write x", "and-or", /spawn each command on its own/],
    ["tool status; tool write x", "sequence", /spawn each command on its own/],
    ["cd sub && tool status", "cd", /cwd argument/],
    ["cd sub; tool status", "cd", /cwd argument/],
    ["tool status &", "background", /already runs in the background/],
    ["tool write x > out.txt", "redirection", /read_pane/],
    ["tool write x 2>&1", "redirection", /stdout and stderr both reach the pane/],
    ["tool write x < in.txt", "redirection", /send_keys/],
    ["tool write $PATH", "variable", /env argument/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the agent's literal text, not a template
    ["tool write ${HOME}", "variable", /env argument/],
    ["tool write $(pwd)", "substitution", /pane of its own/],
    ["tool write `pwd`", "substitution", /pane of its own/],
    ["tool write *.ts", "glob", /quote the pattern/],
    ["tool write {a,b}", "brace", /quote the braces/],
    ["tool write 'open", "quote", /close every quote/],
    ["tool status\ntool write x", "newline", /one command per spawn call/],
    ["NODE_ENV=test tool status", "assignment", /env argument.*NODE_ENV, DEBUG/],
    ["A=1 B=2 tool status", "assignment", /\(A, B\)/],
  ])("%j is COMMAND_SYNTAX_FORBIDDEN (%s) with a hint", (line, syntax, hint) => {
    const error = refusalOf(line);
    expect(error.code).toBe("COMMAND_SYNTAX_FORBIDDEN");
    expect(error.data.syntax).toBe(syntax);
    expect(error.message).toMatch(/ccmux runs no shell\. Instead: /);
    expect(error.message).toMatch(hint);
    expect(error.message).not.toContain("\n");
  });

  it("NODE_ENV=test node … says assignments are not supported and names spawn's env argument", () => {
    const message = refusalOf("NODE_ENV=test tool run app.js").message;
    expect(message).toContain("variable assignment (NODE_ENV)");
    expect(message).toContain('env: {"NODE_ENV": "test"}');
    expect(message).toContain("env.set");
    // Control: it is not mistaken for a program named `NODE_ENV=test`.
    expect(message).not.toContain("not found on the server's PATH");
  });

  it("an option the shapes do not allow is ARGS_NOT_ALLOWED with the shapes, never `prefix it with ./`", () => {
    for (const line of ["tool run --inspect", "tool run -e", "tool run --require=/tmp/x.js"]) {
      const error = refusalOf(line);
      expect(error.code).toBe("ARGS_NOT_ALLOWED");
      expect(error.message).toContain('allowed: "status", "write **", "run {path}"');
      expect(error.message).not.toContain("prefix it with");
    }
  });

  it("a program not in the policy lists the allowed programs and points at the policy tool", () => {
    for (const line of ["python3 x.py", "rm -rf x"]) {
      const error = refusalOf(line);
      expect(error.code).toBe("COMMAND_NOT_ALLOWED");
      expect(error.message).toMatch(/Instead: allowed programs: tool, ls-alike \(the policy tool lists/);
    }
  });

  it.each([
    ["cd sub", /cwd argument/],
    ["export NODE_ENV=test", /env argument/],
    ["sudo tool status", /never raises privileges/],
  ])("the shell builtin or prefix %j is COMMAND_NOT_ALLOWED with its replacement", (line, hint) => {
    const error = refusalOf(line);
    expect(error.code).toBe("COMMAND_NOT_ALLOWED");
    expect(error.message).toMatch(hint);
  });

  it("`~` is not expanded: the refusal says so instead of a bare `outside the workspace`", () => {
    const error = refusalOf("ls-alike ~/notes");
    expect(error.code).toBe("PATH_OUTSIDE_WORKSPACE");
    expect(error.message).toMatch(/`~` is not expanded/);
  });
});
