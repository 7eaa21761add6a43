/** One write to a pane's terminal, as a terminal sends a key: send_keys plans them, the pane writes them. */
export interface Keystroke {
  /** The bytes of the text, or of one key. */
  bytes: string;
  /**
   * The next bytes could be read as part of this keystroke (it ends in a lone ESC or an unfinished CSI/SS3):
   * the program must read it, and its escape timeout pass, before anything more is written.
   */
  settle: boolean;
}
