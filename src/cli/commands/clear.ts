import { createInterface } from "node:readline/promises";
import { action, type CommandModule } from "../command.js";
import { ExitCode, UsageError } from "../errors.js";
import type { CliIO } from "../io.js";
import { stateOption } from "../options.js";
import { nothingStored, withExistingStore } from "../read-store.js";

interface ClearOptions {
  readonly state: string;
  readonly yes?: boolean;
}

/** `flowweaver clear [WORKFLOW]`: forgets stored state and history, after asking. */
export const clearCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("clear")
      .description(
        "forget the stored state and history of a workflow (or of all), so the next run does everything",
      )
      .argument("[workflow]", "a workflow name (default: every workflow in the store)")
      .addOption(stateOption())
      .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
      .action(
        action(exit, (workflow: string | undefined, options: ClearOptions) =>
          clear(workflow, options, io),
        ),
      );
  },
};

async function clear(
  workflow: string | undefined,
  options: ClearOptions,
  io: CliIO,
): Promise<number> {
  return withExistingStore("clear", options.state, io, async (store, location) => {
    if (!store) {
      io.stdout.write(`Nothing to clear. ${nothingStored(location)}`);
      return ExitCode.OK;
    }
    const known = await store.listWorkflows();
    if (workflow !== undefined && !known.includes(workflow)) {
      io.stdout.write(
        `Nothing to clear: ${location.url} holds no state for workflow "${workflow}".${
          known.length ? ` Stored workflows: ${known.join(", ")}.` : ""
        }\n`,
      );
      return ExitCode.OK;
    }
    if (known.length === 0) {
      io.stdout.write(`Nothing to clear: ${location.url} holds no workflow.\n`);
      return ExitCode.OK;
    }
    const what =
      workflow === undefined
        ? `the state and history of every workflow in ${location.url} (${known.join(", ")})`
        : `the state and history of workflow "${workflow}" in ${location.url}`;
    if (!options.yes) {
      if (!io.stdin.isTTY) {
        throw new UsageError(
          `clear would delete ${what}. Not on a terminal, so it cannot ask: pass --yes to confirm.`,
        );
      }
      if (!(await confirm(io, `Delete ${what}? This cannot be undone. [y/N] `))) {
        io.stdout.write("Nothing was cleared.\n");
        return ExitCode.OK;
      }
    }
    await store.clearAllStates(workflow);
    io.stdout.write(`Cleared ${what}.\n`);
    return ExitCode.OK;
  });
}

/** Asks a yes/no question; Ctrl-C, Ctrl-D and anything but y/yes mean no. */
async function confirm(io: CliIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    return await new Promise<boolean>((resolve) => {
      rl.once("close", () => resolve(false));
      // readline takes Ctrl-C from the terminal itself; without a listener it would hang.
      rl.once("SIGINT", () => {
        io.stdout.write("\n");
        rl.close();
      });
      rl.question(question).then(
        (answer) => resolve(/^y(es)?$/i.test(answer.trim())),
        () => resolve(false),
      );
    });
  } finally {
    rl.close();
  }
}
