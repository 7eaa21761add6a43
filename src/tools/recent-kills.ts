/** What kill_pane answered for a pane: the pane gone, with how it ended. */
export interface KillResult {
  pane: string;
  alive: false;
  exitCode: number | null;
  signal: number | null;
}

/** How many killed panes a connection remembers; past it the oldest is forgotten (then PANE_NOT_FOUND). */
export const MAX_RECENT_KILLS = 256;

/**
 * The panes one connection killed, most recent last, so that kill_pane is idempotent as annotated: a second
 * kill_pane on a pane this connection killed (or is killing) answers what the first did, without signalling
 * anything again. Per connection: another connection's kill_pane on the same id still answers PANE_NOT_FOUND,
 * so the record tells nobody else which ids existed. Bounded (MAX_RECENT_KILLS), insertion-ordered.
 */
export class RecentKills {
  private readonly kills = new Map<string, Promise<KillResult>>();

  constructor(private readonly max = MAX_RECENT_KILLS) {}

  /** The first kill's answer for `pane` (pending while it runs), or undefined if this connection did not kill it. */
  get(pane: string): Promise<KillResult> | undefined {
    return this.kills.get(pane);
  }

  /**
   * Records the kill of `pane` while it runs: later calls share its answer. A kill that fails is forgotten, so
   * that a retry tries again. Returns `kill`.
   */
  add(pane: string, kill: Promise<KillResult>): Promise<KillResult> {
    this.kills.set(pane, kill);
    while (this.kills.size > this.max) this.kills.delete(this.kills.keys().next().value as string);
    kill.catch(() => {
      if (this.kills.get(pane) === kill) this.kills.delete(pane);
    });
    return kill;
  }
}
