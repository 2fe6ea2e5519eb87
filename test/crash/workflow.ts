import { setTimeout as sleep } from "node:timers/promises";
import { NonRetryableError, type TaskContext, task, Workflow } from "../../src/index.js";
import { type CrashDag, computeResult, expectedResults, sameValue, WORKFLOW_NAME } from "./dag.js";

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy on purpose: a synchronous task holds the event loop, delaying commits.
  }
}

/**
 * Builds the crash test's Workflow from its DAG. Every task checks its inputs against the
 * expected results (a stored result that comes back altered fails the run), works for a
 * moment, asynchronously or not, then calls `ran(ctx)` just before returning its result.
 */
export function buildWorkflow(
  dag: CrashDag,
  runKey: string,
  ran: (ctx: TaskContext) => void,
): Workflow {
  const expected = expectedResults(dag, runKey);
  const wf = new Workflow(WORKFLOW_NAME);
  for (const spec of dag.tasks) {
    const run = task(spec.name, async (inputs: Record<string, unknown>, ctx) => {
      for (const dep of spec.deps) {
        if (!sameValue(inputs[dep], expected.get(dep))) {
          throw new NonRetryableError(
            `crash test: task "${spec.name}" got a wrong input from "${dep}" (a stored result came back altered)`,
          );
        }
      }
      if (spec.work.mode === "async") await sleep(spec.work.ms);
      else spin(spec.work.ms);
      const result = computeResult(spec, ctx.runKey, inputs);
      ran(ctx);
      return result;
    });
    wf.addTask(run, { dependsOn: spec.deps });
  }
  return wf;
}

/** Names of tasks whose final result (as the workflow's nodes answer it) is wrong. */
export function wrongResults(wf: Workflow, dag: CrashDag, runKey: string): string[] {
  const expected = expectedResults(dag, runKey);
  return dag.tasks
    .filter((spec) => !sameValue(wf.getTask(spec.name).result, expected.get(spec.name)))
    .map((spec) => spec.name);
}
