/**
 * The line read results carry once a pane's screen was lost to an emulator fault (see WorkerScreens and
 * screen-thread.ts). `reason` says what failed; the time is UTC.
 */
export function screenLostNote(reason: string, at = new Date()): string {
  const time = at.toISOString().slice(11, 19);
  return `[ccmux: this pane's screen was lost at ${time} UTC (${reason}); it restarted empty: output printed before then is gone, later output is shown]`;
}

/**
 * The line read results carry when the read was answered before the pane's backlog was parsed (it waited its
 * limit: ScreenPort.behindBytes): the screen shown is from before the last `bytes` of output.
 */
export function screenBehindNote(bytes: number): string {
  const amount = bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
  return `[ccmux: this pane prints faster than its screen can be drawn; shown as it was before its last ${amount} of output]`;
}
