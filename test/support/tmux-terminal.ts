import { execFile, spawnSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * The pane modes tmux 3.3a reports as format variables (`man tmux`, FORMATS), each "1" or "0". Bracketed paste
 * (?2004) and focus reporting (?1004) have none: see `TmuxTerminal.paste` for bracketed paste.
 */
export const MODE_FLAGS = [
  "alternate_on",
  "mouse_any_flag",
  "mouse_standard_flag",
  "mouse_button_flag",
  "mouse_all_flag",
  "mouse_sgr_flag",
  "mouse_utf8_flag",
  "keypad_flag",
  "keypad_cursor_flag",
  "insert_flag",
  "wrap_flag",
  "origin_flag",
  "cursor_flag",
] as const;
export type ModeFlag = (typeof MODE_FLAGS)[number];
export type Modes = Record<ModeFlag, boolean>;

/** A tmux paste buffer: its name (`buffer0`… for ones a program set with OSC 52) and its whole content. */
export interface PasteBuffer {
  name: string;
  content: string;
}

/**
 * Everything about the terminal that a program printing into it can change and tmux can report, besides the
 * screen: compare one taken before with one taken after to show that a program changed nothing.
 */
export interface TerminalState {
  /** pane_title: OSC 0/2 and APC set it; tmux starts it as the host name. */
  title: string;
  /** window_name: "main" until `ESC k … ESC \` sets it (allow-rename is on, automatic-rename off). */
  windowName: string;
  /** pane_path: OSC 7 sets it. */
  path: string;
  /** pane_fg / pane_bg: OSC 10 / OSC 11 set them ("" while unset). */
  fg: string;
  bg: string;
  /** scroll_region_upper, scroll_region_lower (0-based rows; DECSTBM sets them). */
  scrollRegion: [number, number];
  modes: Modes;
  buffers: PasteBuffer[];
}

export interface TmuxTerminalOptions {
  /** The program, as argv. tmux runs a one-element argv with `sh -c`, a longer one directly (execvp). */
  command: string[];
  /** Window size in cells; default 100 × 40. */
  cols?: number;
  rows?: number;
  /**
   * Variables for the program, on top of PATH, HOME (the test process's) and LANG=C.UTF-8. Nothing else of the
   * test process's environment is passed (no TMUX, no CCMUX_*): tmux gives every pane the server's environment.
   */
  env?: Record<string, string>;
  /** Working directory of the program; default the test process's. */
  cwd?: string;
  /** TERM inside the window (tmux's default-terminal); default tmux-256color. */
  term?: string;
}

const TARGET = "main:0.0";
let counter = 0;
const live = new Set<TmuxTerminal>();
process.once("exit", () => {
  for (const terminal of [...live]) terminal.kill();
});

/**
 * A real terminal for tests: one window of a private tmux server (`tmux -L <unique> -f /dev/null`: its own socket
 * under tmux's per-user directory, no user config), status line off so that a capture is exactly the window.
 * Options are set before the program starts: set-clipboard on (OSC 52 creates a paste buffer), allow-rename on,
 * allow-passthrough off, remain-on-exit on (a dead pane keeps its screen and reports its status). Every byte the
 * program prints is also recorded raw (output()).
 * Works as root and as any other user. Call `kill()` in afterEach; a process exit kills what is left.
 */
export class TmuxTerminal {
  /** The `-L` socket name (unique per instance). */
  readonly socket: string;
  /** Where tmux put that socket (its per-user directory); kill() removes it, which tmux 3.3a leaves behind. */
  readonly socketPath: string;
  /** The tmux server's pid. */
  readonly pid: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly dir: string;
  private killed = false;

  private constructor(socket: string, socketPath: string, pid: number, env: NodeJS.ProcessEnv, dir: string) {
    this.socket = socket;
    this.socketPath = socketPath;
    this.pid = pid;
    this.env = env;
    this.dir = dir;
  }

  /** Starts the server and the window running `options.command`. Rejects with tmux's stderr when tmux fails. */
  static async start(options: TmuxTerminalOptions): Promise<TmuxTerminal> {
    if (options.command.length === 0) throw new Error("TmuxTerminal: expected a command argv, got []");
    counter += 1;
    const socket = `ccmux-test-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/",
      LANG: "C.UTF-8",
      ...options.env,
    };
    // 0700: the recording of what the program printed is its own business.
    const dir = mkdtempSync(join(tmpdir(), "ccmux-tmux-terminal-"));
    const setup = [
      ["start-server"],
      ["set-option", "-s", "exit-empty", "off"],
      ["set-option", "-s", "set-clipboard", "on"],
      ["set-option", "-s", "escape-time", "0"],
      // Commands run through default-shell: SHELL, else the login shell, which for nobody is nologin.
      ["set-option", "-g", "default-shell", "/bin/sh"],
      ["set-option", "-g", "default-terminal", options.term ?? "tmux-256color"],
      ["set-option", "-g", "status", "off"],
      // A fixed window name (not the command's, which tmux updates when it likes): only ESC k changes it.
      ["set-option", "-wg", "automatic-rename", "off"],
      ["set-option", "-wg", "allow-rename", "on"],
      ["set-option", "-wg", "allow-passthrough", "off"],
      ["set-option", "-wg", "remain-on-exit", "on"],
      [
        "new-session",
        "-d",
        "-s",
        "main",
        "-n",
        "main",
        "-x",
        String(options.cols ?? 100),
        "-y",
        String(options.rows ?? 40),
        "-c",
        options.cwd ?? process.cwd(),
        "--",
        ...options.command,
      ],
      // Every byte the program writes, before tmux parses it, from the first one on (see output()).
      ["pipe-pane", "-O", "-t", TARGET, `exec cat >> '${join(dir, "output")}'`],
      ["display-message", "-p", "#{pid} #{socket_path}"],
    ];
    const args = [
      "-L",
      socket,
      "-f",
      "/dev/null",
      ...setup.flatMap((command, i) => (i ? [";", ...command] : command)),
    ];
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync("tmux", args, { env, encoding: "utf8" }));
    } catch (error) {
      spawnSync("tmux", ["-L", socket, "kill-server"], { env, stdio: "ignore" });
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`TmuxTerminal: tmux failed to start: ${stderrOf(error)}`, { cause: error });
    }
    const [pidText = "", ...path] = stdout.trim().split(" ");
    const pid = Number(pidText);
    const terminal = new TmuxTerminal(socket, path.join(" "), pid, env, dir);
    live.add(terminal);
    if (!Number.isInteger(pid) || pid <= 0 || !terminal.socketPath.startsWith("/")) {
      terminal.kill();
      throw new Error(`TmuxTerminal: expected the server pid and socket path, got ${JSON.stringify(stdout)}`);
    }
    return terminal;
  }

  /** Runs one tmux command on this server; resolves with its stdout. Rejects with tmux's stderr. */
  async tmux(...args: string[]): Promise<string> {
    if (this.killed) throw new Error(`TmuxTerminal: tmux ${args.join(" ")} after kill()`);
    try {
      const { stdout } = await execFileAsync("tmux", ["-L", this.socket, ...args], {
        env: this.env,
        encoding: "utf8",
        maxBuffer: 16 << 20,
      });
      return stdout;
    } catch (error) {
      throw new Error(`TmuxTerminal: tmux ${args.join(" ")} -> ${stderrOf(error)}`, { cause: error });
    }
  }

  /**
   * Every byte the program wrote to this terminal so far, as tmux read it from the pty (`pipe-pane -O`), before
   * tmux parsed it: what a real terminal would have received, including what tmux 3.3a ignores (OSC 8, PM, SOS,
   * most DCS). The copy runs behind the screen: wait for it with waitForOutput.
   */
  output(): Buffer {
    try {
      return readFileSync(join(this.dir, "output"));
    } catch {
      return Buffer.alloc(0);
    }
  }

  /** Polls output() until it contains `text` (UTF-8); resolves with it. Rejects after `timeoutMs` (default 10 000). */
  async waitForOutput(text: string, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = this.output();
      if (out.includes(text)) return out;
      if (Date.now() > deadline) {
        throw new Error(
          `TmuxTerminal: gave up after ${timeoutMs} ms waiting for ${JSON.stringify(text)} in the output; its last 500 bytes: ${JSON.stringify(out.subarray(-500).toString("latin1"))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Presses tmux key names (`Enter`, `C-c`, `Up`, `M-x`, `F1`; see `man tmux`, KEY BINDINGS), in order. */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", TARGET, ...keys);
  }

  /** Types `text` literally (`send-keys -l`): every character as itself, no key names. */
  async sendText(text: string): Promise<void> {
    await this.tmux("send-keys", "-t", TARGET, "-l", "--", text);
  }

  /**
   * Pastes `text` as tmux's paste-buffer does, from a buffer deleted right after. With `bracketed` (the default)
   * tmux wraps it in ESC[200~ … ESC[201~ when, and only when, the program turned bracketed paste (?2004) on:
   * tmux 3.3a has no format for that mode, so this is how a test sees it, through a program that shows its input.
   */
  async paste(text: string, { bracketed = true }: { bracketed?: boolean } = {}): Promise<void> {
    const name = `ccmux-probe-${Math.random().toString(36).slice(2, 10)}`;
    await this.tmux("set-buffer", "-b", name, "--", text);
    await this.tmux("paste-buffer", "-d", ...(bracketed ? ["-p"] : []), "-b", name, "-t", TARGET);
  }

  /** The window's visible screen, one line per row, trailing blanks trimmed (`capture-pane -p`; `-e` with escapes: SGR, and SO/SI around line-drawing cells). */
  async capture({ escapes = false }: { escapes?: boolean } = {}): Promise<string> {
    return this.tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", TARGET);
  }

  /**
   * Polls the screen until `condition` holds (a string it contains, a RegExp it matches, or a predicate) and
   * resolves with that screen. Rejects after `timeoutMs` (default 10 000) naming `what` and showing the last screen.
   */
  async waitFor(
    condition: string | RegExp | ((screen: string) => boolean),
    {
      timeoutMs = 10_000,
      what,
      escapes = false,
    }: { timeoutMs?: number; what?: string; escapes?: boolean } = {},
  ): Promise<string> {
    const test =
      typeof condition === "string"
        ? (screen: string) => screen.includes(condition)
        : condition instanceof RegExp
          ? (screen: string) => condition.test(screen)
          : condition;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture({ escapes });
      if (test(screen)) return screen;
      if (Date.now() > deadline) {
        const label = what ?? (typeof condition === "function" ? "a condition" : String(condition));
        throw new Error(
          `TmuxTerminal: gave up after ${timeoutMs} ms waiting for ${label}; last screen (${this.socket}):\n${screen}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** `display-message -p` of a format (`#{pane_title}`…) for the window's pane, without the trailing newline. */
  async format(format: string): Promise<string> {
    return (await this.tmux("display-message", "-p", "-t", TARGET, format)).replace(/\n$/, "");
  }

  /** pane_title: what OSC 0/2 (and APC) last set; tmux starts it as the host name. */
  async title(): Promise<string> {
    return this.format("#{pane_title}");
  }

  /** Every paste buffer, newest first, with its whole content. */
  async buffers(): Promise<PasteBuffer[]> {
    const names = (await this.tmux("list-buffers", "-F", "#{buffer_name}")).split("\n").filter(Boolean);
    return Promise.all(
      names.map(async (name) => ({ name, content: await this.tmux("show-buffer", "-b", name) })),
    );
  }

  /** The pane's terminal modes (MODE_FLAGS), true where tmux says 1. */
  async modes(): Promise<Modes> {
    const values = (await this.format(MODE_FLAGS.map((flag) => `#{${flag}}`).join(","))).split(",");
    return Object.fromEntries(MODE_FLAGS.map((flag, i) => [flag, values[i] === "1"])) as Modes;
  }

  /** Title, window name, path, colours, scroll region, modes and buffers at once (see TerminalState). */
  async state(): Promise<TerminalState> {
    const fields = [
      "pane_title",
      "window_name",
      "pane_path",
      "pane_fg",
      "pane_bg",
      "scroll_region_upper",
      "scroll_region_lower",
    ];
    const [title, windowName, path, fg, bg, upper, lower] = (
      await this.format(fields.map((f) => `#{${f}}`).join("\t"))
    ).split("\t");
    return {
      title: title ?? "",
      windowName: windowName ?? "",
      path: path ?? "",
      fg: fg ?? "",
      bg: bg ?? "",
      scrollRegion: [Number(upper), Number(lower)],
      modes: await this.modes(),
      buffers: await this.buffers(),
    };
  }

  /** True once the program exited (remain-on-exit keeps the pane and its last screen). */
  async paneDead(): Promise<boolean> {
    return (await this.format("#{pane_dead}")) === "1";
  }

  /**
   * How the program ended: `{ status }` (exit status) or `{ signal }` (signal number), undefined while it runs
   * and for the moment between its tty closing (pane_dead) and tmux reaping it.
   */
  async exit(): Promise<{ status?: number; signal?: number } | undefined> {
    const [dead, status = "", signal = ""] = (
      await this.format("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}")
    ).split(":");
    if (dead !== "1") return undefined;
    if (status !== "") return { status: Number(status) };
    if (signal !== "") return { signal: Number(signal) };
    return undefined;
  }

  /** Polls until the program ended and tmux reaped it; resolves with exit(). Rejects after `timeoutMs` (10 000). */
  async waitForExit({
    timeoutMs = 10_000,
  }: {
    timeoutMs?: number;
  } = {}): Promise<{ status?: number; signal?: number }> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (;;) {
      const exit = await this.exit();
      if (exit) return exit;
      // Dead but never reaped: tmux built with libutempter can miss a SIGCHLD (tmux/tmux#311, seen here about once
      // in twenty runs under load); another SIGCHLD makes it call waitpid again.
      if ((await this.paneDead()) && Date.now() - started > 200) process.kill(this.pid, "SIGCHLD");
      if (Date.now() > deadline) {
        throw new Error(
          `TmuxTerminal: gave up after ${timeoutMs} ms waiting for the program to exit (pane_dead:status:signal ${await this.format("#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}")}); last screen (${this.socket}):\n${await this.capture()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** pane_current_command: the name of the foreground process of the pane's tty (e.g. `bash`, `node`). */
  async paneCurrentCommand(): Promise<string> {
    return this.format("#{pane_current_command}");
  }

  /** Resizes the window (`resize-window -x -y`); the program gets SIGWINCH. Resolves once tmux reports the size. */
  async resize(cols: number, rows: number): Promise<void> {
    await this.tmux("resize-window", "-t", TARGET, "-x", String(cols), "-y", String(rows));
    const size = await this.format("#{pane_width}x#{pane_height}");
    if (size !== `${cols}x${rows}`)
      throw new Error(`TmuxTerminal: expected ${cols}x${rows} after resize, got ${size}`);
  }

  /** Kills the server (and SIGKILLs its pid if it lingers). Idempotent and synchronous, for afterEach. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    live.delete(this);
    spawnSync("tmux", ["-L", this.socket, "kill-server"], {
      env: this.env,
      stdio: "ignore",
      timeout: 10_000,
    });
    try {
      // Only a lingering tmux: after kill-server the pid may already be someone else's.
      if (readFileSync(`/proc/${this.pid}/comm`, "utf8").startsWith("tmux"))
        process.kill(this.pid, "SIGKILL");
    } catch {
      // already gone: the normal case
    }
    rmSync(this.dir, { recursive: true, force: true });
    try {
      if (this.socketPath && lstatSync(this.socketPath).isSocket()) unlinkSync(this.socketPath);
    } catch {
      // never created, or removed already
    }
  }
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  return typeof stderr === "string" && stderr.trim()
    ? stderr.trim()
    : String((error as Error).message ?? error);
}
