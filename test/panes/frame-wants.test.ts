import { afterEach, describe, expect, it } from "vitest";
import { FrameWants } from "../../src/panes/frame-wants.js";
import { PaneScreen } from "../../src/panes/pane-screen.js";
import type { FrameUpdate } from "../../src/panes/screen-frame.js";

const screens: PaneScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});

/** A screen with one watcher (number 1) whose updates are recorded. */
function watched(): {
  screen: PaneScreen;
  wants: FrameWants;
  sent: Array<{ update: FrameUpdate; streaming: boolean }>;
  write: (text: string) => void;
  want: (spaced?: boolean) => void;
} {
  const screen = new PaneScreen({ cols: 30, rows: 4, scrollback: 10 });
  screens.push(screen);
  const wants = new FrameWants();
  const sent: Array<{ update: FrameUpdate; streaming: boolean }> = [];
  const send = (_watch: number, update: FrameUpdate, streaming: boolean): void => {
    sent.push({ update, streaming });
  };
  wants.add(1);
  return {
    screen,
    wants,
    sent,
    write: (text) => {
      screen.write(Buffer.from(text), () => {});
      wants.changed(screen, send);
    },
    want: (spaced = false) => wants.want(1, spaced, screen, send),
  };
}

describe("frame wants: one update per want, and when the watcher must space the next", () => {
  it("the first want gets the whole frame at once, not streaming; the next waits for a change", () => {
    const w = watched();
    w.want();
    expect(w.sent).toEqual([{ update: { frame: w.screen.frame() }, streaming: false }]);
    w.want();
    expect(w.sent).toHaveLength(1);
    expect(w.wants.waiting).toBe(true);
    w.write("a");
    expect(w.sent).toHaveLength(2);
    expect(w.sent[1]?.streaming).toBe(false); // it waited for its change: a keystroke's echo
    expect(w.wants.waiting).toBe(false);
    w.write("b");
    expect(w.sent).toHaveLength(2); // no want open: nothing is sent
  });

  it("asked at once after an update, a change already there is streaming (output came while it was on its way)", () => {
    const w = watched();
    w.want();
    w.write("a");
    w.want();
    expect(w.sent.at(-1)?.streaming).toBe(true);
  });

  it("asked after a wait, one write since is not streaming (a keystroke typed meanwhile); more than one is", () => {
    const w = watched();
    w.want();
    w.write("a");
    w.want(true);
    expect(w.sent.at(-1)?.streaming).toBe(false);
    w.write("b");
    w.write("c");
    w.want(true);
    expect(w.sent.at(-1)?.streaming).toBe(true);
  });

  it("a removed watcher gets nothing and leaves no open want", () => {
    const w = watched();
    w.want();
    w.want();
    w.wants.remove(1);
    expect(w.wants.waiting).toBe(false);
    w.write("a");
    w.want();
    expect(w.sent).toHaveLength(1);
  });
});
