import type { PaneViewer } from "./pane-host.js";

/**
 * The people watching each pane through `ccmux attach`, and which of them holds write (at most one per pane:
 * while one does, the agent's send_keys answers PANE_BUSY). Kept by the pane host, so that every PaneInfo it
 * gives out carries `viewers` and `personTyping`.
 */
export class PaneViewers {
  private readonly byPane = new Map<string, PaneViewer[]>();
  private next = 1;

  add(paneId: string, viewer: { pid: number; uid: number }): PaneViewer {
    const added: PaneViewer = {
      id: `v${this.next++}`,
      pid: viewer.pid,
      uid: viewer.uid,
      write: false,
      since: new Date().toISOString(),
    };
    const list = this.byPane.get(paneId);
    if (list) list.push(added);
    else this.byPane.set(paneId, [added]);
    return { ...added };
  }

  /** False, and nothing changes, when another viewer of the pane holds write or the viewer is gone. */
  setWrite(paneId: string, viewerId: string, write: boolean): boolean {
    const list = this.byPane.get(paneId) ?? [];
    const viewer = list.find((each) => each.id === viewerId);
    if (!viewer) return false;
    if (write && list.some((each) => each.write && each.id !== viewerId)) return false;
    viewer.write = write;
    return true;
  }

  remove(paneId: string, viewerId: string): void {
    const list = this.byPane.get(paneId);
    if (!list) return;
    const kept = list.filter((each) => each.id !== viewerId);
    if (kept.length === 0) this.byPane.delete(paneId);
    else this.byPane.set(paneId, kept);
  }

  /** Forgets every viewer of a pane that is gone. */
  forget(paneId: string): void {
    this.byPane.delete(paneId);
  }

  of(paneId: string): PaneViewer[] {
    return (this.byPane.get(paneId) ?? []).map((viewer) => ({ ...viewer }));
  }

  count(paneId: string): number {
    return this.byPane.get(paneId)?.length ?? 0;
  }

  writing(paneId: string): boolean {
    return this.byPane.get(paneId)?.some((viewer) => viewer.write) ?? false;
  }
}
