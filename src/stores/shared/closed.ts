import { FlowWeaverError } from "../../core/errors.js";

/** What every store throws when used after `close()`: code `STORE_CLOSED`, and `message`. */
export function storeClosed(message: string): FlowWeaverError {
  return new FlowWeaverError(message, { code: "STORE_CLOSED" });
}

/**
 * The STORE_CLOSED error of a store that names itself by its location (SQLite,
 * PostgreSQL): which store, what needed it open, and that a new one is the way back.
 * `reopened` is what the new store gives access to again ("the file", "it").
 */
export function closedStoreError(
  store: string,
  location: string,
  operation: string,
  reopened: string,
): FlowWeaverError {
  return storeClosed(
    `${store} ${location} is closed: ${operation} needs an open store. Create a new ${store} to use ${reopened} again.`,
  );
}
