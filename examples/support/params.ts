/**
 * Reading run parameters (`execute(workflow, { params })`) inside a task. Configuration
 * arrives as params rather than module globals (the seed's "Make Tasks Stateless"), and a
 * missing one fails the task at once with a message saying how to pass it: retrying
 * cannot fix a missing setting.
 */
import { NonRetryableError, type TaskContext } from "../../src/index.js";

type ParamsContext = Pick<TaskContext, "params" | "taskName">;

/** The string parameter `name`, or a NonRetryableError naming it. */
export function stringParam(ctx: ParamsContext, name: string): string {
  const value = ctx.params[name];
  if (typeof value !== "string" || value === "") {
    throw missing(ctx, name, "a non-empty string", value);
  }
  return value;
}

/** The number parameter `name`, `fallback` when it is absent. */
export function numberParam(ctx: ParamsContext, name: string, fallback: number): number {
  const value = ctx.params[name] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw missing(ctx, name, "a finite number", value);
  }
  return value;
}

function missing(ctx: ParamsContext, name: string, expected: string, got: unknown): Error {
  return new NonRetryableError(
    `Task "${ctx.taskName}" needs the run parameter "${name}" (${expected}); got ${JSON.stringify(got) ?? String(got)}. Pass it as execute(workflow, { params: { ${name}: … } }).`,
  );
}
