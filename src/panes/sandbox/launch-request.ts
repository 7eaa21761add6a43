/** What a spare's launcher runs (native/pane-launcher.c `await`, `exec`): the checked spawn, as it is exec'd. */
export interface LaunchRequest {
  /** The program's working directory (inside the workspace, as checked). */
  cwd: string;
  /** Absolute executable first. */
  argv: readonly string[];
  /** The program's whole environment. */
  env: Readonly<Record<string, string>>;
  /** Under a root server: whom the launcher runs the program as (native/pane-launcher.c switch_user). */
  user?: { uid: number; gid: number };
}

/**
 * The bytes the launcher reads: "DIR\0", "UID:GID\0" (or "\0"), then the argv and the environment (`NAME=value`),
 * each a count and its NUL-terminated strings. Throws when a string holds a NUL (it would split into two; the
 * policy never lets one through, and exec could not pass it), an environment name is empty or holds `=`, or the
 * user is root or not a number.
 */
export function encodeLaunchRequest(request: LaunchRequest): Buffer {
  const env = Object.entries(request.env).map(([name, value]) => {
    if (name === "" || name.includes("="))
      throw new Error(`an environment name cannot be ${JSON.stringify(name)}`);
    return `${name}=${value}`;
  });
  const user = request.user;
  if (user && !(isId(user.uid) && isId(user.gid)))
    throw new Error("a pane user must be a uid and gid above 0");
  const strings = [
    request.cwd,
    user ? `${user.uid}:${user.gid}` : "",
    String(request.argv.length),
    ...request.argv,
    String(env.length),
    ...env,
  ];
  if (strings.some((text) => text.includes("\0"))) throw new Error("a spawn string cannot hold a NUL byte");
  return Buffer.from(`${strings.join("\0")}\0`, "utf8");
}

const isId = (id: number): boolean => Number.isInteger(id) && id > 0 && id <= 0x7fffffff;
