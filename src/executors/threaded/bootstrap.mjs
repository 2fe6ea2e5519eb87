// The entry of every FlowWeaver worker thread. Node cannot start a worker from a .ts
// file, even under tsx, so this plain-JavaScript entry registers tsx first when the
// worker module or the workflows need it (FlowWeaver run from source, or a parent
// process started under tsx), then loads the worker module.
import { workerData } from "node:worker_threads";

const { entry, tsx } = workerData;
if (tsx) {
  let api;
  try {
    api = await import("tsx/esm/api");
  } catch (error) {
    throw new Error(
      `FlowWeaver worker threads need tsx to load TypeScript here, but it could not be loaded (${error instanceof Error ? error.message : String(error)}). Install it with npm install --save-dev tsx, or run the compiled JavaScript.`,
    );
  }
  api.register();
}
await import(entry);
