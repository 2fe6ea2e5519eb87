import type { StateStore } from "../index.js";
import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";
import { parseStateUrl, type StateLocation } from "./state-url.js";

/**
 * Opens the store at `url` for a command that only reads or clears it, runs `use`, and
 * closes it. Such commands never create a store: when there is none yet, `use` gets
 * undefined. `memory:` holds nothing between commands, so asking one to read it is an error.
 */
export async function withExistingStore<T>(
  command: string,
  url: string,
  io: CliIO,
  use: (store: StateStore | undefined, location: StateLocation) => Promise<T>,
): Promise<T> {
  const location = parseStateUrl(url, io.cwd);
  if (!location.durable) {
    throw new UsageError(
      `--state ${url}: the memory store keeps state only while one command runs, so \`${command}\` has nothing to read. Point --state at the store your runs use, such as sqlite:PATH or json:PATH.`,
    );
  }
  if (!location.exists()) return use(undefined, location);
  const store = await location.open();
  try {
    return await use(store, location);
  } finally {
    await store.close();
  }
}

/** The line read-only commands print when there is no store yet. */
export function nothingStored(location: StateLocation): string {
  return `No state stored at ${location.url} yet: nothing has run with this --state.\n`;
}
