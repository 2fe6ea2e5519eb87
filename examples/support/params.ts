/**
 * Reading run parameters inside a task: `execute(workflow, { params })` in code, or
 * `--param name=value` on the command line, which always gives strings. Configuration
 * arrives as params rather than module globals (the seed's "Make Tasks Stateless"), and a
 * bad one fails the task at once with a message saying how to pass it: retrying cannot
 * fix a setting.
 */
import { NonRetryableError, type TaskContext } from "flowweaver";
import type { StandIn } from "./stand-in.js";

type ParamsContext = Pick<TaskContext, "params" | "taskName">;

/** The string parameter `name` (`fallback` when it is absent), or a NonRetryableError naming it. */
export function stringParam(ctx: ParamsContext, name: string, fallback?: string): string {
  const value = ctx.params[name] ?? fallback;
  if (typeof value !== "string" || value === "") {
    throw invalid(ctx, name, "a non-empty string", value);
  }
  return value;
}

/**
 * The number parameter `name`, `fallback` when it is absent. A numeric string
 * (`--param batchSize=25`) counts as its number.
 */
export function numberParam(ctx: ParamsContext, name: string, fallback: number): number {
  const raw = ctx.params[name] ?? fallback;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(ctx, name, "a finite number", raw);
  }
  return value;
}

/**
 * The base URL of a service: the parameter `name` when the run has one (a real service,
 * or a test's own server), otherwise `standIn`, started on first use, so the example
 * runs with no parameters at all.
 *
 * @example
 * const crmUrl = await serviceUrl(ctx, "crmUrl", crmStandIn);
 */
export async function serviceUrl(
  ctx: ParamsContext,
  name: string,
  standIn: StandIn,
): Promise<string> {
  if (ctx.params[name] === undefined) return standIn.url();
  const url = stringParam(ctx, name);
  if (!URL.canParse(url)) throw invalid(ctx, name, `the base URL of ${standIn.label}`, url);
  return url.replace(/\/+$/, "");
}

function invalid(ctx: ParamsContext, name: string, expected: string, got: unknown): Error {
  return new NonRetryableError(
    `Task "${ctx.taskName}" needs the run parameter "${name}" (${expected}); got ${JSON.stringify(got) ?? String(got)}. Pass it as execute(workflow, { params: { ${name}: … } }), or --param ${name}=… on the command line.`,
  );
}
