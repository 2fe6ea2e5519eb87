import type { StateStore } from "../stores/store.js";
import type { DashboardStore } from "./read-model.js";

/** A store that may not exist yet: what `flowweaver ui --state URL` points at. */
export interface StoreLocation {
  /** How to show it, such as `sqlite:.flowweaver/state.db`. */
  readonly url: string;
  exists(): boolean;
  open(): Promise<StateStore>;
}

/**
 * A dashboard store that reads as empty until the store at `location` exists, then opens
 * it. The dashboard never creates a store, yet it can be started before the first run and
 * shows that run as soon as its store appears. `close()` closes the store if it was opened.
 */
export function storeWhenPresent(
  location: StoreLocation,
): DashboardStore & { close(): Promise<void> } {
  let opening: Promise<StateStore> | undefined;
  let closed = false;
  const store = (): Promise<StateStore> | undefined => {
    if (closed) return undefined;
    if (!opening && location.exists()) {
      opening = location.open();
      // A failed open is tried again on the next read rather than remembered forever.
      opening.catch(() => {
        opening = undefined;
      });
    }
    return opening;
  };
  return {
    location: location.url,
    listWorkflows: async () => (await store()?.then((s) => s.listWorkflows())) ?? [],
    listRuns: async (query) => (await store()?.then((s) => s.listRuns(query))) ?? [],
    listAttempts: async (runId) => (await store()?.then((s) => s.listAttempts(runId))) ?? [],
    listTaskStates: async (workflow, runKey) =>
      (await store()?.then((s) => s.listTaskStates(workflow, runKey))) ?? [],
    loadResult: async (workflow, runKey, task) =>
      store()?.then((s) => s.loadResult(workflow, runKey, task)),
    async close() {
      closed = true;
      const opened = await opening?.catch(() => undefined);
      await opened?.close();
    },
  };
}
