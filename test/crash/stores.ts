import path from "node:path";
import {
  JSONStateStore,
  type JSONStateStoreOptions,
  SQLiteStateStore,
  type StateStore,
} from "../../src/index.js";

/** The persistent stores the crash test covers. */
export type StoreKind = "sqlite" | "json";
export const STORE_KINDS: readonly StoreKind[] = ["sqlite", "json"];

/**
 * JSON store options that make it compact its journal about ten times in a 400-task run
 * instead of almost never, so that kills land during compactions too.
 */
export const COMPACT_OFTEN: JSONStateStoreOptions = {
  compactRatio: 0.02,
  compactMinBytes: 8 * 1024,
};

/** The store's file inside a test directory. */
export function storeFile(kind: StoreKind, dir: string): string {
  return path.join(dir, kind === "sqlite" ? "state.db" : "state.json");
}

/** Opens the store; `options` go to JSONStateStore (the SQLite store is used as it comes). */
export function openStore(
  kind: StoreKind,
  file: string,
  options?: JSONStateStoreOptions,
): StateStore {
  return kind === "sqlite" ? new SQLiteStateStore(file) : new JSONStateStore(file, options);
}

/**
 * Faults for the harness's own check, that the suite does catch what it looks for.
 * `"forget-completions"` makes a store hide every fifth stored completion from the
 * scheduler, as a store that loses completions would, so those tasks run again.
 */
export type Fault = "forget-completions";

export function withFault(store: StateStore, fault: string | undefined): StateStore {
  if (fault === undefined || fault === "") return store;
  if (fault !== "forget-completions") throw new Error(`unknown crash test fault "${fault}"`);
  const load = store.loadTaskStates.bind(store);
  store.loadTaskStates = async (workflow, runKey) => {
    const states = await load(workflow, runKey);
    let n = 0;
    for (const [task, state] of states) {
      if (state.status === "COMPLETED" && n++ % 5 === 4) states.delete(task);
    }
    return states;
  };
  return store;
}
