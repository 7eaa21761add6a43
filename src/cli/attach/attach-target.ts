import { CcmuxError } from "../../errors.js";
import type { PaneHost, PaneInfo } from "../../panes/pane-host.js";

/**
 * The pane a person asked to attach to: `wanted` is a pane id (any pane of the daemon: the person runs ccmux with
 * their own rights), or a name among agent session `session`'s panes and the person's panes. A name the policy
 * gives a person pane (`personNames`) only ever means that person pane. Throws PANE_NOT_FOUND when nothing
 * matches, INVALID_ARGUMENT when a name matches several panes (use the id).
 */
export async function findAttachTarget(
  host: PaneHost,
  session: string,
  wanted: string,
  personNames: ReadonlySet<string>,
): Promise<PaneInfo> {
  const panes = await host.list();
  const byId = panes.find((pane) => pane.id === wanted);
  if (byId) return byId;
  // Security: an agent pane never answers to a person pane's name, also once the person pane is gone (an attack
  // review killed one and spawned its own in its place, with a fake password prompt).
  const personOnly = personNames.has(wanted);
  const named = panes.filter(
    (pane) =>
      pane.name === wanted &&
      (pane.owner.kind === "person" || (!personOnly && pane.owner.session === session)),
  );
  const [only, ...more] = named;
  if (only && more.length === 0) return only;
  if (only) {
    throw new CcmuxError(
      "INVALID_ARGUMENT",
      `${named.length} panes are named ${JSON.stringify(wanted)} in session ${session}: attach by id (see ccmux ls).`,
    );
  }
  throw new CcmuxError(
    "PANE_NOT_FOUND",
    `No pane ${JSON.stringify(wanted)} in session ${session} or among the person's panes (see ccmux ls).`,
  );
}
