import { InvalidArgumentError, Option } from "commander";
import { DEFAULT_STATE_URL, SCHEMES } from "./state-url.js";

/** `--state URL`, shared by every command that reads or writes state. */
export function stateOption(): Option {
  return new Option(
    "--state <url>",
    `where state is kept: ${SCHEMES.map((s) => s.form).join(", ")}`,
  )
    .default(DEFAULT_STATE_URL)
    .env("FLOWWEAVER_STATE");
}

/** `--run-key KEY`: the state partition, as `execute({ runKey })`. */
export function runKeyOption(description: string): Option {
  return new Option("--run-key <key>", description).argParser(nonEmpty("--run-key"));
}

/** `--workflow NAME`: picks one workflow in a file that exports several. */
export function workflowOption(): Option {
  return new Option(
    "--workflow <name>",
    "the workflow to use when the file exports several (its name or export name)",
  ).argParser(nonEmpty("--workflow"));
}

/** A parser for a whole number >= `min`. */
export function wholeNumber(option: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${option} takes a whole number >= ${min}; got "${value}".`);
    }
    return n;
  };
}

export function nonEmpty(option: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") throw new InvalidArgumentError(`${option} cannot be empty.`);
    return value;
  };
}

/**
 * Collects repeated `--param KEY=VALUE` into one object. Values stay strings: the shell
 * gives strings, and a task that wants a number says so with `Number(ctx.params.limit)`.
 */
export function collectParam(
  value: string,
  previous: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const eq = value.indexOf("=");
  if (eq <= 0) {
    throw new InvalidArgumentError(
      `--param takes KEY=VALUE, like --param date=2026-11-25; got "${value}".`,
    );
  }
  const key = value.slice(0, eq).trim();
  if (key === "") {
    throw new InvalidArgumentError(`--param needs a key before "="; got "${value}".`);
  }
  if (previous && Object.hasOwn(previous, key)) {
    throw new InvalidArgumentError(`--param ${key} is given twice; give each key once.`);
  }
  return { ...previous, [key]: value.slice(eq + 1) };
}
