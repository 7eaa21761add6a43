import { describe, expect, it } from "vitest";
import { findRiskyArg } from "../../src/validation/option-guard.js";
import { RISKY_PROGRAMS } from "../../src/validation/risky-options.js";

const all = () => true;
/** The option a `program **` rule refuses in `line`, or null when it admits it. */
function refused(line: string): string | null {
  const [program = "", ...args] = line.split(" ").map((w) => w.replaceAll("\u00a0", " "));
  return findRiskyArg([program], args, all)?.option ?? null;
}

describe("options that run, load or write, let in by `**`", () => {
  it.each([
    ["git log -1 --format=%x41 --output=CLAUDE.md", "--output"],
    ["git log --outp=x", "--output"],
    ["git log --output x", "--output"],
    ["git diff --ext-diff", "--ext-diff"],
    ["git diff --textconv", "--textconv"],
    ["git -c core.pager=sh log", "-c"],
    ["git -ccore.pager=sh log", "-c"],
    ["git format-patch -o out HEAD~1", "format-patch"],
    ["git grep -Ovim foo", "-O"],
    ["git fetch -u evil origin", "-u"],
    ["git rebase -x make", "rebase"],
    ["sed -n 1e\u00a0sh\u00a0cmds.txt cmds.txt", "sed e"],
    ["sed -n -e 1p -e w\u00a0out f", "sed w"],
    ["sed -ne s/a/b/e f", "sed s///e"],
    ["sed --expr=s/a/b/w\u00a0x f", "sed s///w"],
    ["sed -i s/a/b/ f", "-i"],
    ["sed -i.bak s/a/b/ f", "-i"],
    ["sed -ni p f", "-i"],
    ["sed --in-pl s/a/b/ f", "--in-place"],
    ["sed -f script.sed f", "-f"],
    ["sed 1R\u00a0x f", "sed R"],
    ['awk BEGIN{system("id")}', "awk system()"],
    ['awk {print\u00a0>\u00a0"x"}', "awk >"],
    ['awk BEGIN{"id"|getline}', "awk |"],
    ['awk BEGIN{f="system";@f("id")}', "awk @"],
    ["mawk -W exec x", "-W"],
    ["awk -f prog.awk f", "-f"],
    ["find . -exec sh {} ;", "-exec"],
    ["find . -fprintf x %p", "-fprintf"],
    ["find . -delete", "-delete"],
    ["xargs sh -c id", "a program name"],
    ["xargs -0 sh", "a program name"],
    ["env LD_PRELOAD=./x.so ls", "LD_PRELOAD="],
    ["env -S sh\u00a0-c\u00a0id", "-S"],
    ["timeout 5 sh", "a program name"],
    ["nice -n 5 python3 -c 1", "a program name"],
    ["tar -xf a.tar", "-x"],
    ["tar xf a.tar", "-x"],
    ["tar -tf a.tar --to-command=sh", "-f"],
    ["tar --use-compress=sh -tf a.tar", "--use-compress-program"],
    ["tar -t --checkpoint-action=exec=sh", "--checkpoint-action"],
    ["zip -T x.zip a", "-T"],
    ["zip x.zip a -TT sh", "-TT"],
    ["make -f evil.mk", "-f"],
    ["make --eval=x", "--eval"],
    ["make all SHELL=/tmp/x", "SHELL="],
    ["node --import=data:text/javascript,1 x.js", "--import"],
    ["node --test --import=data:text/javascript,1", "--import"],
    ["node --test --require x.js", "--require"],
    ["node --test -r ./x.js", "-r"],
    ["node -pe 1", "-p"],
    ["node --experimental_loader=x", "--experimental-loader"],
    ["node --env-file=.env x.js", "--env-file"],
    ["python3 -c print(1)", "-c"],
    ["python3 -cprint(1)", "-c"],
    ["python3 -Bc print(1)", "-c"],
    ["python3 -m http.server", "-m"],
    ["npm run build", "run"],
    ["npm install", "install"],
    ["npm ls --script-shell=sh", "--script-shell"],
    ["npx cowsay", "an operand"],
    ["sort -o out f", "-o"],
    ["sort --compress-program=sh f", "--compress-program"],
    ["sort --outp=x f", "--output"],
    ["man -P sh ls", "-P"],
    ["less -o log f", "-o"],
    ["less +!id f", "+command"],
    ["vim -c !id", "-c"],
    ["vim +!id", "+command"],
    ["perl -e 1", "-e"],
    ["perl -pi.bak -e 1 f", "-i"],
    ["bash -c id", "-c"],
    ["bash --rcfile x", "--rcfile"],
    ["ssh -oProxyCommand=sh host", "-o"],
    ["curl -o x http://h", "-o"],
    ["curl -K cfg", "-K"],
    ["curl -w %output{CLAUDE.md}x http://h", "-w"],
    ["sftp -D /bin/sh host", "-D"],
    ["sftp -b cmds host", "-b"],
    ["npm fund x", "fund"],
    ["rg --pre sh x", "--pre"],
    ["sdiff --diff-program=sh a b", "--diff-program"],
    ["tar -tzf host:a.tar", "-f"],
    ["tar tf a.tar", "-f"],
    ["timeout 5 git status", "a program name"],
    ["env FOO=bar", "FOO="],
  ])("%s is refused (%s)", (line, option) => {
    expect(refused(line)).toBe(option);
  });

  it.each([
    "git log --oneline -5",
    "git log -p --stat",
    "git diff --text",
    "git diff --no-ext-diff",
    "git status -u",
    "git log -Sfoo",
    "git log -c",
    "sed -n 1,20p f",
    "sed s/a/b/g f",
    "sed -n -e 1p -e $p f",
    "sed -E s/(a|b)/x/g f",
    "sed y/abc/xyz/ f",
    "awk {print\u00a0$1} f",
    "awk $3\u00a0>\u00a0100 f",
    "awk /a|b/{n++}END{print\u00a0n} f",
    "awk {print\u00a0(a\u00a0>\u00a0b)} f",
    "awk -F: {print\u00a0$1\u00a0||\u00a0$2} f",
    "find . -name *.ts -print",
    "make test",
    "make -j4 all",
    "node --test",
    "node --test a.test.js",
    "node x.js --import=y",
    "python3 x.py -c 1",
    "npm ls",
    "sort -k2 -t, f",
    "sort -r f",
    "less -R f",
    "zip -r x.zip d",
  ])("%s is admitted", (line) => {
    expect(refused(line)).toBeNull();
  });

  it("a dangerous option spelled literally in the rule is admitted; only wildcards are held", () => {
    const args = ["log", "-1", "--output=x"];
    expect(findRiskyArg(["git"], args, (i) => i !== 2)).toBeNull();
    expect(findRiskyArg(["git"], args, (i) => i === 2)?.option).toBe("--output");
  });

  it("a launcher's literal program has its own arguments checked", () => {
    expect(findRiskyArg(["timeout"], ["5", "git", "log", "--output=x"], (i) => i >= 2)?.argIndex).toBe(3);
    expect(findRiskyArg(["xargs"], ["sed", "-n", "1e id"], (i) => i >= 1)?.option).toBe("sed e");
  });

  it("awk: a slash after a postfix ++ divides, so a pipe after it is still seen", () => {
    expect(findRiskyArg(["awk"], ['BEGIN{x++ /1; print | "sh"; y=2/1}'], all)?.option).toBe("awk |");
    expect(findRiskyArg(["awk"], ["BEGIN{x = ++y; print x}"], all)).toBeNull();
  });

  it.each([
    ":a e id",
    ":a\te id",
    ":a;:b e echo B",
    ":a W path",
    ":a w path",
    "b a; e id",
    "t a\ne id",
    "{:a}\ne id",
    "v 4.2\ne id",
    "/x/ I e id",
    "$!{N;s/a/b/w x\n}",
    "l 5;e",
    "{p}#c\ne id",
    "s/a/b/ e",
    // An escaped backslash does not continue a/i/c text: the next line is a command.
    "a foo\\\\\ne id",
  ])(
    "sed: a label ends at whitespace, `;`, `}` or `#`, and what follows is a command: %j is refused",
    (script) => {
      expect(findRiskyArg(["sed"], ["-n", script], all)?.option).toMatch(/^sed (e|w|W|s\/\/\/e|s\/\/\/w)$/);
    },
  );

  it.each([
    ":a;N;$!ba;s/\\n/ /g",
    "1,/x/{p;d}",
    "{p}#c",
    "a foo\\\ne id",
    "/x/I,+2p",
    ":a p",
    "b;p",
    "#n\np",
    "y/a/b/",
  ])("sed: %j (labels, blocks, continued text) is admitted", (script) => {
    expect(findRiskyArg(["sed"], ["-n", script], all)).toBeNull();
  });

  it.each([
    "{:a }e id",
    "ba}#x;w f",
    ":a#x\nw f",
    "{p}p",
    "1!!e",
    "p x",
    ":a\u00a0e id",
    "s/a/b/q",
    "y/a/b/e id",
  ])("sed: %j, which this reader cannot follow as GNU sed does, is refused (fail closed)", (script) => {
    expect(findRiskyArg(["sed"], ["-n", script], all)).not.toBeNull();
  });

  it("awk -e and --source carry program text: scanned like the first operand", () => {
    expect(refused('awk -e BEGIN{system("id")}')).toBe("awk system()");
    expect(refused('awk -eBEGIN{system("id")}')).toBe("awk system()");
    expect(refused('gawk --so BEGIN{system("id")}')).toBe("awk system()");
    expect(refused('gawk --source=BEGIN{print|"sh"}')).toBe("awk |");
    expect(refused("gawk -i inc.awk 1")).toBe("-i");
    expect(refused("gawk --load=x.so 1")).toBe("--load");
    expect(refused("awk -e {print\u00a0$1} f")).toBeNull();
  });

  it("node: V8 and node flags that write files or load code; a value option does not end node's options", () => {
    expect(refused("node --test --logfile=CLAUDE.md --log-all")).toBe("--logfile");
    expect(refused("node --test --log_all")).toBe("--log-all");
    expect(refused("node --test --prof")).toBe("--prof");
    expect(refused("node --test --redirect-code-traces-to=x")).toBe("--redirect-code-traces-to");
    expect(refused("node --test --trace-turbo-path=d")).toBe("--trace-turbo-path");
    expect(refused("node --test --test-reporter=./evil.mjs")).toBe("--test-reporter");
    expect(refused("node --test --test-reporter-destination=CLAUDE.md")).toBe("--test-reporter-destination");
    expect(refused("node --test --trace-event-categories v8")).toBe("--trace-event-categories");
    expect(refused("node --test --experimental-network-imports")).toBe("--experimental-network-imports");
    expect(refused("node --test -i")).toBe("-i");
    expect(refused("node --test --test-name-pattern x --import=data:x")).toBe("--import");
    expect(refused("node --test --test-concurrency 2 --require ./x.js")).toBe("--require");
    expect(refused("node --test --test-name-pattern x a.test.js")).toBeNull();
  });

  it("tar/cpio: an archive named HOST:FILE runs rsh/ssh: refused when a wildcard or {path} chose it, unless --force-local is literal", () => {
    const path =
      (...at: number[]) =>
      (i: number) =>
        at.includes(i);
    const none = () => false;
    expect(findRiskyArg(["tar"], ["-tf", "u@-oProxyCommand=id:f"], none, path(1))?.option).toBe("-f");
    expect(findRiskyArg(["tar"], ["-tzf", "host:a.tar"], none, path(1))?.option).toBe("-f");
    expect(findRiskyArg(["tar"], ["tf", "host:a.tar"], none, path(1))?.option).toBe("-f");
    expect(findRiskyArg(["tar"], ["-t", "--file", "h:a"], (i) => i === 2)?.option).toBe("--file");
    expect(findRiskyArg(["cpio"], ["-t", "-F", "h:a"], none, path(2))?.option).toBe("-F");
    expect(findRiskyArg(["cpio"], ["-t", "-Ih:a"], (i) => i === 1)?.option).toBe("-I");
    expect(findRiskyArg(["tar"], ["-tf", "dir/a:b.tar"], none, path(1))).toBeNull();
    expect(findRiskyArg(["tar"], ["-tf", "./h:a.tar"], none, path(1))).toBeNull();
    expect(findRiskyArg(["tar"], ["--force-local", "-tf", "h:a.tar"], none, path(2))).toBeNull();
    expect(findRiskyArg(["tar"], ["--force-local", "-tf", "h:a.tar"], (i) => i !== 1, path(2))?.option).toBe(
      "-f",
    );
    expect(findRiskyArg(["rsync"], ["-a", "u@-oProxyCommand=id:x", "d"], all)?.option).toBe("HOST:PATH");
    expect(findRiskyArg(["scp"], ["h:x", "d"], none, path(0))?.option).toBe("HOST:PATH");
    expect(findRiskyArg(["rsync"], ["-a", "src/", "dst/"], all)).toBeNull();
  });

  it.each([
    ["xxd -r in CLAUDE.md", "an output operand"],
    ["xxd in out", "an output operand"],
    ["uniq in out", "an output operand"],
    ["uniq -c -f 2 in out", "an output operand"],
    ["tee CLAUDE.md", "an output operand"],
    ["dd if=a of=CLAUDE.md", "of="],
    ["shuf -o x f", "-o"],
    ["iconv -f utf8 -t ascii -o x f", "-o"],
    ["tree -o x", "-o"],
    ["tree -H . -R", "-R"],
    ["split --filter=sh f", "--filter"],
    ["split f out", "an output operand"],
    ["file -C -m m", "-C"],
    ["yq -i .a=1 f.yaml", "-i"],
    ["sqlite3 db .shell\u00a0id", "an operand"],
    ["sqlite3 -cmd .system\u00a0id db", "-cmd"],
  ])("read-only helpers that write: %s is refused (%s)", (line, option) => {
    expect(refused(line)).toBe(option);
  });

  it.each([
    "xxd f",
    "xxd -c 8 -s 16 f",
    "uniq -c f",
    "uniq -f 2 f",
    "dd if=a count=1",
    "tree -L 2",
    "sqlite3 db",
    "file -b f",
    "shuf -n 3 f",
  ])("read-only helpers: %s is admitted", (line) => {
    expect(refused(line)).toBeNull();
  });

  it("python -m MODULE checks the rest as MODULE's arguments (pytest -p loads a plugin)", () => {
    const args = ["-m", "pytest", "-p", "evil_plugin"];
    expect(findRiskyArg(["python3"], args, (i) => i >= 2)).toMatchObject({ argIndex: 2, option: "-p" });
    expect(findRiskyArg(["python3"], args, (i) => i >= 2 && i !== 2)).toBeNull();
    expect(findRiskyArg(["python3"], ["-m", "pytest", "-q"], (i) => i >= 2)).toBeNull();
    expect(findRiskyArg(["python3"], ["-mpytest", "-pevil"], (i) => i >= 1)?.option).toBe("-p");
  });

  it("pip: install runs a build; list does not", () => {
    expect(findRiskyArg(["pip"], ["install", "./pkg"], all)?.option).toBe("install");
    expect(findRiskyArg(["pip3"], ["list", "--outdated"], all)).toBeNull();
  });

  it("node: a profile or report written under a chosen name", () => {
    expect(findRiskyArg(["node"], ["--cpu-prof-name=CLAUDE.md", "x.js"], all)?.option).toBe(
      "--cpu-prof-name",
    );
  });

  it("launchers: optional-value options do not swallow the program; a wildcard value with no program is refused", () => {
    expect(refused("xargs --replace sh")).toBe("a program name");
    expect(refused("xargs -i sh")).toBe("a program name");
    expect(refused("env --ignore-signal sh")).toBe("a program name");
    expect(refused("xargs -n 5")).toBe("a program name");
    expect(findRiskyArg(["xargs"], ["-n", "5", "grep", "x"], (i) => i === 1)).toBeNull();
  });

  it("every table entry names its source", () => {
    for (const program of RISKY_PROGRAMS) {
      for (const option of program.options) expect(option.source.length).toBeGreaterThan(5);
      for (const rule of program.operands ?? []) expect(rule.source.length).toBeGreaterThan(5);
    }
  });
});
