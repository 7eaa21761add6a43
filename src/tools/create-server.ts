import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { describePolicy } from "../validation/policy-describe.js";
import { registerKillPaneTool } from "./kill-pane-tool.js";
import { registerListPanesTool } from "./list-panes-tool.js";
import { PaneWaits } from "./pane-wait.js";
import { registerPolicyTool } from "./policy-tool.js";
import { registerReadPaneTool } from "./read-pane-tool.js";
import { registerResizePaneTool } from "./resize-pane-tool.js";
import { registerRunTool } from "./run-tool.js";
import { registerSendKeysTool } from "./send-keys-tool.js";
import { registerSpawnTool } from "./spawn-tool.js";
import type { ToolDeps } from "./tool-deps.js";
import { ToolRegistry } from "./tool-registry.js";
import { registerWaitForTool } from "./wait-for-tool.js";

export const SERVER_NAME = "ccmux";

/** An MCP server exposing the ccmux tools over `deps`. Connect it to a transport to serve. */
export function createServer(deps: ToolDeps, version: string): Server {
  const server = new Server(
    { name: SERVER_NAME, version },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        "ccmux runs programs in terminal panes under a policy the person wrote. Call `policy` (or read spawn's description) to see what you may run; spawn, then send_keys / wait_for / read_pane; kill panes you no longer need.",
    },
  );
  const registry = new ToolRegistry(deps);
  registerSpawnTool(registry, describePolicy(deps.policy));
  const waits = new PaneWaits();
  registerSendKeysTool(registry, waits);
  registerReadPaneTool(registry);
  registerListPanesTool(registry);
  registerKillPaneTool(registry);
  registerWaitForTool(registry, waits);
  registerRunTool(registry, waits);
  registerResizePaneTool(registry);
  registerPolicyTool(registry);
  registry.attach(server);
  return server;
}
