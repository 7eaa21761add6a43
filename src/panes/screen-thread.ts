import { parentPort } from "node:worker_threads";
import { PaneScreen } from "./pane-screen.js";
import type { FromScreenThread, ToScreenThread } from "./screen-protocol.js";

/**
 * The screen thread: every pane's emulator and history live here, so parsing and rendering never hold up the
 * thread that reads the ptys and answers tool calls. Messages are handled in order, so a read is answered
 * only after every write sent before it has been parsed.
 */
const port = parentPort;
if (port === null) throw new Error("screen-thread.js must run as a worker thread");
const screens = new Map<number, PaneScreen>();
const send = (message: FromScreenThread): void => port.postMessage(message);

port.on("message", (message: ToScreenThread) => {
  switch (message.op) {
    case "create": {
      const screen = new PaneScreen(message.options);
      screen.onReply((data) => send({ op: "reply", id: message.id, data }));
      screens.set(message.id, screen);
      return;
    }
    case "write": {
      const screen = screens.get(message.id);
      if (screen) screen.write(message.chunk, () => send({ op: "parsed", id: message.id }));
      else send({ op: "parsed", id: message.id });
      return;
    }
    case "resize":
      screens.get(message.id)?.resize(message.cols, message.rows);
      return;
    case "call": {
      const screen = screens.get(message.id);
      if (!screen) return send({ op: "result", call: message.call, error: "the screen is gone" });
      try {
        send({ op: "result", call: message.call, value: answer(screen, message) });
      } catch (error) {
        send({
          op: "result",
          call: message.call,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return;
    }
    case "dispose":
      screens.get(message.id)?.dispose();
      screens.delete(message.id);
      return;
  }
});

function answer(screen: PaneScreen, call: ToScreenThread & { op: "call" }): unknown {
  switch (call.method) {
    case "snapshot":
      return screen.snapshot();
    case "scrollback":
      return screen.renderScrollback(...call.args);
    case "mark":
      return screen.mark(...call.args);
    case "markScreenTop":
      return screen.markScreenTop(...call.args);
    case "renderFrom":
      return screen.renderFrom(...call.args);
  }
}
