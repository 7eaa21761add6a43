import { existsSync } from "node:fs";

/** Where bubblewrap is installed on this machine, or undefined (suites that build sandboxes skip then). */
export const BWRAP = ["/usr/bin/bwrap", "/bin/bwrap"].find((path) => existsSync(path));
