import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ResourceLimits } from "node:worker_threads";
import type { EmbeddedPaneHost } from "../../src/panes/embedded/embedded-pane-host.js";
import type { PaneHost } from "../../src/panes/pane-host.js";

const DIST = resolve(import.meta.dirname, "../../dist/panes");
/** Whether the build is there: the screen thread runs compiled JavaScript. */
export const BUILT = existsSync(resolve(DIST, "screen-thread.js"));

/** A host made for a test, and the private base its panes' session directories go in. */
export interface MadeHost {
  host: PaneHost;
  sessionBase: string;
}

/**
 * The two ways an embedded host runs its screens, as `[label, make]` rows for describe.each: on the calling
 * thread, and on the screen thread as serve and the daemon run it (from the build: npm test builds first; the
 * row throws "build first" without it). `label` is prefixed to each row's name.
 */
export function embeddedHosts(
  limits: { maxPanes: number; maxExitedPanes: number },
  label = "",
): Array<[string, () => Promise<MadeHost>]> {
  const base = (): string => mkdtempSync(join(tmpdir(), "ccmux-host-"));
  return [
    [
      `${label}screens on the calling thread`,
      async () => {
        const { EmbeddedPaneHost } = await import("../../src/panes/embedded/embedded-pane-host.js");
        const sessionBase = base();
        return { host: new EmbeddedPaneHost(limits, undefined, undefined, { sessionBase }), sessionBase };
      },
    ],
    [
      `${label}screens on the screen thread (as serve and the daemon run it)`,
      async () => {
        const sessionBase = base();
        return { host: await screenThreadHost(limits, {}, sessionBase), sessionBase };
      },
    ],
  ];
}

/**
 * An embedded host whose screens run on the screen thread, as serve and the daemon run it, from the build (npm
 * test builds first; throws "build first" without it). `screens`: the thread's heap limits and ring size
 * (WorkerScreens' arguments); `sessionBase`: where its panes' session directories go.
 */
export async function screenThreadHost(
  limits: { maxPanes: number; maxExitedPanes: number },
  screens: { resourceLimits?: ResourceLimits; ringBytes?: number } = {},
  sessionBase?: string,
): Promise<EmbeddedPaneHost> {
  if (!BUILT) throw new Error("build first: npm run build");
  const { EmbeddedPaneHost } = (await import(
    resolve(DIST, "embedded/embedded-pane-host.js")
  )) as typeof import("../../src/panes/embedded/embedded-pane-host.js");
  const { WorkerScreens } = (await import(
    resolve(DIST, "worker-screens.js")
  )) as typeof import("../../src/panes/worker-screens.js");
  const made = new WorkerScreens(screens.resourceLimits, screens.ringBytes);
  return new EmbeddedPaneHost(limits, made, undefined, sessionBase ? { sessionBase } : undefined);
}
