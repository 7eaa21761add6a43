/**
 * The line read results carry once a pane's screen was lost to an emulator fault (see WorkerScreens and
 * screen-thread.ts). `reason` says what failed; the time is UTC.
 */
export function screenLostNote(reason: string, at = new Date()): string {
  const time = at.toISOString().slice(11, 19);
  return `[ccmux: this pane's screen was lost at ${time} UTC (${reason}); it restarted empty: output printed before then is gone, later output is shown]`;
}
