import type { Command } from "commander";
import type { CliIO } from "./io.js";

/** What a command's action gets besides its arguments. */
export interface CommandContext {
  readonly io: CliIO;
}

/**
 * One `flowweaver` command. Adding a command is adding a module that exports one of these
 * and listing it in `commands/index.ts`.
 */
export interface CommandModule {
  /** Adds the command (its arguments, options, help and action) to the program. */
  register(program: Command, context: CommandContext, exit: ExitCodeSink): void;
}

/** Where an action's exit code goes; commander's actions return nothing. */
export type ExitCodeSink = (code: number) => void;

/** Wraps an action that resolves to an exit code into a commander action. */
export function action<A extends unknown[]>(
  exit: ExitCodeSink,
  run: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    exit(await run(...args));
  };
}
