/**
 * The web dashboard behind `flowweaver ui`: a read-only view of any state store's
 * workflows, runs, graphs, timelines and errors, live while runs progress.
 * Loaded only by `flowweaver ui` (or by importing this module), so the engine never
 * pulls in an HTTP server.
 *
 * @module
 */
export type * from "./api-types.js";
export { storeWhenPresent } from "./deferred-store.js";
export type { DashboardStore } from "./read-model.js";
export { type Dashboard, type DashboardOptions, startDashboard } from "./start.js";
