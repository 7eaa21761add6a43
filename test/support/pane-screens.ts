import { afterEach } from "vitest";
import { PaneScreen } from "../../src/panes/pane-screen.js";

/**
 * Makes PaneScreens of a given size (50 rows of scrollback) that are disposed after each test of the file that
 * calls this at its top level.
 */
export function screenMaker(): (cols: number, rows: number) => PaneScreen {
  const screens: PaneScreen[] = [];
  afterEach(() => {
    for (const screen of screens.splice(0)) screen.dispose();
  });
  return (cols, rows) => {
    const screen = new PaneScreen({ cols, rows, scrollback: 50 });
    screens.push(screen);
    return screen;
  };
}

/** Parses `bytes` on `screen` (synchronously: the screens here parse as they are written). */
export function writeTo(screen: PaneScreen, bytes: Uint8Array): void {
  screen.write(bytes, () => {});
}
