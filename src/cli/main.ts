import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { isFlowWeaverError } from "../core/errors.js";
import type { CommandContext } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { ExitCode, exitCodeFor, UsageError } from "./errors.js";
import type { CliIO } from "./io.js";

/** Builds the `flowweaver` program with every command registered. */
export function createProgram(context: CommandContext, exit: (code: number) => void): Command {
  const { io } = context;
  const program = new Command("flowweaver")
    .description(
      "Run FlowWeaver workflow files and inspect their stored state.\nExit codes: 0 success, 1 a task failed, 2 bad usage, 130 interrupted.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    // Subcommands created with .command() inherit the settings below.
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  for (const command of COMMANDS) command.register(program, context, exit);
  return program;
}

/**
 * Runs one `flowweaver` invocation and resolves to its exit code. Never throws: every
 * error is printed to stderr and becomes 1 (failure) or 2 (bad usage).
 */
export async function main(io: CliIO): Promise<number> {
  let code: number = ExitCode.OK;
  const program = createProgram({ io }, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...io.args], { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed any parse error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    io.stderr.write(`error: ${describe(error)}\n`);
    return exitCodeFor(error);
  }
}

function describe(error: unknown): string {
  if (error instanceof UsageError || isFlowWeaverError(error)) return error.message;
  // Anything else is unexpected: the stack is what a bug report needs.
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

function packageVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const { version } = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
  return typeof version === "string" ? version : "unknown";
}
