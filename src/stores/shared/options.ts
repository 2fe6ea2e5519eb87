import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import type { Durability } from "../store.js";

/** How a store's constructor names itself and its options in messages. */
export interface OptionsShape {
  /** The call as a user writes it, e.g. `new SQLiteStateStore(path, options)`. */
  readonly call: string;
  /** A valid options object to show, e.g. `{ durability: "full" }`. */
  readonly example: string;
  /** Every option the store takes, in the order messages list them. */
  readonly names: readonly string[];
}

/**
 * The options object given to a SQL store's constructor (SQLite, PostgreSQL), refused
 * when it is not a plain object or names an option the store does not have. Undefined
 * means no options.
 */
export function readOptionsObject(options: unknown, shape: OptionsShape): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      `${shape.call}: options must be an object such as ${shape.example}; got ${show(options)}.`,
    );
  }
  const unknown = Object.keys(options).filter((key) => !shape.names.includes(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `${shape.call}: unknown option ${unknown.map((k) => `"${k}"`).join(", ")}; the options are: ${shape.names.join(", ")}.`,
    );
  }
  return options as Record<string, unknown>;
}

/** Every store's `durability` option: "normal" (the default) or "full". */
export function readDurability(value: unknown, store: string): Durability {
  const durability = value === undefined ? "normal" : value;
  if (durability !== "normal" && durability !== "full") {
    throw new ConfigurationError(
      `${store} option "durability" must be "normal" or "full"; got ${show(durability)}.`,
    );
  }
  return durability;
}
