import type { SpareLauncher } from "../spare-launch.js";
import type { Pane } from "./pane.js";

/**
 * When a spare a spawn took, or found missing, is made again (SpareLauncher.refill): once the new pane has printed
 * or exited, and every wait on it has answered. Made while the pane starts, bwrap's setup competed with the program for the CPU;
 * made while a wait for its prompt answered, it held that answer (issue 16). A pane that never prints, or a wait that
 * never ends, leaves it to the launcher's own bound (REFILL_LATEST_MS after the take).
 */
export class SpareRefills {
  /** Waits running on each pane, while any is. */
  private readonly waits = new Map<Pane, number>();
  /** Panes that printed while waits on them ran: the spares made again once those have answered. */
  private readonly due = new Map<Pane, SpareLauncher>();

  /** `pane` was started by a spawn that took a spare of `spares`, or found none. */
  started(pane: Pane, spares: SpareLauncher): void {
    let ready = false;
    const onReady = (): void => {
      if (ready) return;
      ready = true;
      pane.off("output", onReady);
      if (this.waits.has(pane)) this.due.set(pane, spares);
      else spares.refill();
    };
    pane.on("output", onReady);
    // A program that exits without printing (`run {command: "true"}`) is done starting too.
    void pane.exited().then(onReady);
  }

  /** Runs `wait`, a wait on `pane`; a refill due for the pane comes once every wait on it has answered. */
  async during<T>(pane: Pane, wait: () => Promise<T>): Promise<T> {
    this.waits.set(pane, (this.waits.get(pane) ?? 0) + 1);
    try {
      return await wait();
    } finally {
      const left = (this.waits.get(pane) ?? 1) - 1;
      if (left > 0) this.waits.set(pane, left);
      else {
        this.waits.delete(pane);
        const spares = this.due.get(pane);
        this.due.delete(pane);
        spares?.refill();
      }
    }
  }
}
