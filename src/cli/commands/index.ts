import type { CommandModule } from "../command.js";
import { clearCommand } from "./clear.js";
import { graphCommand } from "./graph.js";
import { historyCommand } from "./history.js";
import { runCommand } from "./run.js";
import { statusCommand } from "./status.js";
import { uiCommand } from "./ui.js";
import { workerCommand } from "./worker.js";

/** Every `flowweaver` command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandModule[] = [
  runCommand,
  statusCommand,
  historyCommand,
  graphCommand,
  clearCommand,
  uiCommand,
  workerCommand,
];
