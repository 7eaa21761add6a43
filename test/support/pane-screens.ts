import { afterEach } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";

/**
 * Makes PaneScreens of a given size (`scrollback` rows of the emulator's own scrollback) that are disposed after
 * each test of the file that calls this at its top level.
 */
export function screenMaker(scrollback = 50): (cols: number, rows: number) => PaneScreen {
  const screens: PaneScreen[] = [];
  afterEach(() => {
    for (const screen of screens.splice(0)) screen.dispose();
  });
  return (cols, rows) => {
    const screen = new PaneScreen({ cols, rows, scrollback });
    screens.push(screen);
    return screen;
  };
}

/** Parses `bytes` on `screen` (synchronously: the screens here parse as they are written). */
export function writeTo(screen: PaneScreen, bytes: Uint8Array): void {
  screen.write(bytes, () => {});
}
