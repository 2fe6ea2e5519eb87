/**
 * Workflows of the executor contract suite. They live in an importable module, exported by
 * name with `module: import.meta.url`, so an executor that runs attempts in other threads
 * or processes can import this file and find them. What each task does in a run is chosen
 * by the test through `params.plan` (which reaches every task whatever the executor).
 * `callbackLog` is observed in this process (callbacks run in the scheduler); `abortLog`
 * only where the task runs in this process too, since a step records into the copy of
 * this module it runs in. What must be seen from any thread goes through `ctx.log`, which
 * a threaded executor forwards to the main thread's logger.
 */
import { threadId } from "node:worker_threads";
import {
  type AnyTask,
  NonRetryableError,
  type TaskCallbacks,
  type TaskContext,
  type TaskOptions,
  task,
  Workflow,
} from "../../src/index.js";

/** What one task does in one run, keyed by task name in `params.plan`. */
export interface StepPlan {
  /** Every attempt throws: a plain error, a NonRetryableError, or one that retryOn refuses. */
  readonly fail?: "error" | "nonRetryable" | "permanent";
  /** Attempts before this one throw; this one and later ones succeed. */
  readonly succeedOnAttempt?: number;
  /** These attempts wait for `ctx.signal` to abort, then reject with its reason. */
  readonly waitForAbortOn?: readonly number[];
  /** These attempts never settle and ignore their signal. */
  readonly hangOn?: readonly number[];
}
export type Plan = Readonly<Record<string, StepPlan>>;

/** What a step returns: who ran, which attempt, and the names of the inputs it received. */
export interface StepResult {
  readonly task: string;
  readonly attempt: number;
  readonly inputs: readonly string[];
}

/** Logged by a step once it waits for its signal, with `thread`: the thread it runs in. */
export const WAITING_FOR_ABORT = "step waits for its signal to abort";

/** Every abort a waiting step saw in this thread: task, attempt and the signal's reason. */
export const abortLog: { task: string; attempt: number; reason: unknown }[] = [];
/** Every callback call, in order. */
export const callbackLog: CallbackCall[] = [];

export interface CallbackCall {
  readonly hook: keyof TaskCallbacks;
  /** The node the callback received. */
  readonly node: AnyTask;
  readonly task: string;
  /** The node's status when the callback ran. */
  readonly status: string;
  readonly attempts: number;
  readonly error?: string;
  readonly nextAttempt?: number;
}

export function resetFixtures(): void {
  abortLog.length = 0;
  callbackLog.length = 0;
}

/** The one task function of the contract workflows; `params.plan` says what it does. */
export async function step(
  inputs: Readonly<Record<string, unknown>>,
  ctx: TaskContext,
): Promise<StepResult> {
  const plan = (ctx.params.plan as Plan | undefined)?.[ctx.taskName] ?? {};
  if (plan.hangOn?.includes(ctx.attempt)) return new Promise<never>(() => {});
  if (plan.waitForAbortOn?.includes(ctx.attempt)) await waitForAbort(ctx);
  if (plan.fail === "nonRetryable") {
    throw new NonRetryableError(`${ctx.taskName}: bad input, retrying cannot help`);
  }
  if (plan.fail === "permanent") throw new Error(`${ctx.taskName}: permanent failure`);
  if (plan.fail === "error") {
    throw new Error(`${ctx.taskName} failed on attempt ${ctx.attempt}`);
  }
  if (plan.succeedOnAttempt !== undefined && ctx.attempt < plan.succeedOnAttempt) {
    throw new Error(`${ctx.taskName}: transient failure on attempt ${ctx.attempt}`);
  }
  return { task: ctx.taskName, attempt: ctx.attempt, inputs: Object.keys(inputs).sort() };
}

function waitForAbort(ctx: TaskContext): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const onAbort = () => {
      abortLog.push({ task: ctx.taskName, attempt: ctx.attempt, reason: ctx.signal.reason });
      reject(ctx.signal.reason);
    };
    if (ctx.signal.aborted) {
      onAbort();
      return;
    }
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    // Logged once the listener is in place: a test that aborts on this line aborts a task
    // that is running and listening, in whichever thread it runs.
    ctx.log.info(WAITING_FOR_ABORT, { thread: threadId });
  });
}

/** A task running {@link step} under `name`. */
export function stepTask<const N extends string>(name: N, options?: TaskOptions) {
  return task(name, step, options);
}

/** Callbacks that record every call into {@link callbackLog}. */
export const recordingCallbacks: TaskCallbacks = {
  onStart: (node) => record("onStart", node),
  onComplete: (node) => record("onComplete", node),
  onError: (node, error) => record("onError", node, { error: error.message }),
  onRetry: (node, error, nextAttempt) =>
    record("onRetry", node, { error: error.message, nextAttempt }),
};

function record(hook: keyof TaskCallbacks, node: AnyTask, extra: Partial<CallbackCall> = {}) {
  callbackLog.push({
    hook,
    node,
    task: node.name,
    status: node.status,
    attempts: node.attempts,
    ...extra,
  });
}

const here = import.meta.url;

// Typed data flow: source → (double, increment) → combine.
export const source = task("source", (_inputs: unknown, ctx: TaskContext) => {
  const base = ctx.params.base;
  return typeof base === "number" ? base : 2;
});
export const double = task("double", ({ source }: { source: number }) => source * 2);
export const increment = task("increment", async ({ source }: { source: number }) => source + 1);
export const combine = task("combine", (inputs: { double: number; increment: number }) => ({
  keys: Object.keys(inputs).sort(),
  sum: inputs.double + inputs.increment,
}));
export const diamond = new Workflow({ name: "contract_diamond", module: here });
diamond.addTask(source);
diamond.addTask(double, { dependsOn: [source] });
diamond.addTask(increment, { dependsOn: [source] });
diamond.addTask(combine, { dependsOn: [double, increment] });

/**
 * Task names that are also Object.prototype's own names: inputs must hold them as plain
 * keys (a null-prototype object), not as inherited members or a prototype change.
 */
const PROTO = "__proto__";
export const oddNames = new Workflow({ name: "contract_odd_names", module: here });
oddNames.addTask(task("constructor", () => "made"));
oddNames.addTask(task("__proto__", () => ({ polluted: true })));
oddNames.addTask(task("toString", () => 3));
oddNames.addTask(
  task("reader", (inputs: Record<string, unknown>) => ({
    nullPrototype: Object.getPrototypeOf(inputs) === null,
    keys: Object.keys(inputs).sort(),
    values: [inputs.constructor, inputs[PROTO], inputs.toString],
    hasOwn: Object.hasOwn(inputs, PROTO),
  })),
  { dependsOn: ["constructor", "__proto__", "toString"] },
);

/** A failing task with a dependent chain, an independent branch and an independent root. */
export const branches = new Workflow({ name: "contract_branches", module: here });
branches.addTask(stepTask("root"));
branches.addTask(stepTask("bad", { retries: 1 }), { dependsOn: ["root"] });
branches.addTask(stepTask("child"), { dependsOn: ["bad"] });
branches.addTask(stepTask("grandchild"), { dependsOn: ["child"] });
branches.addTask(stepTask("side"), { dependsOn: ["root"] });
branches.addTask(stepTask("side_after"), { dependsOn: ["side"] });
branches.addTask(stepTask("lone"));
branches.addTask(stepTask("mixed"), { dependsOn: ["side", "bad"] });

/** Independent tasks, one per retry behaviour. */
export const retrying = new Workflow({ name: "contract_retries", module: here });
retrying.addTask(stepTask("flaky", { retries: 3, callbacks: recordingCallbacks }));
retrying.addTask(
  stepTask("picky", {
    retries: 3,
    retryOn: (error) => !error.message.includes("permanent"),
    callbacks: recordingCallbacks,
  }),
);
retrying.addTask(stepTask("fatal", { retries: 3, callbacks: recordingCallbacks }));
retrying.addTask(stepTask("exhausted", { retries: 2 }));
retrying.addTask(stepTask("delayed", { retries: 1, retryDelay: "5ms", backoff: "exponential" }));

/** Timeouts: one that is retried, one whose task ignores its signal, and one after it. */
export const timeouts = new Workflow({ name: "contract_timeouts", module: here });
timeouts.addTask(stepTask("slow", { timeout: "30ms", retries: 1 }));
timeouts.addTask(stepTask("stuck", { timeout: "30ms" }));
timeouts.addTask(stepTask("after_stuck"));

/** Callbacks that record, and callbacks that throw or reject. */
export const callbacks = new Workflow({ name: "contract_callbacks", module: here });
const boom = (): never => {
  throw new Error("callback exploded");
};
const reject = (): Promise<never> => Promise.reject(new Error("async callback exploded"));
callbacks.addTask(stepTask("watched", { retries: 1, callbacks: recordingCallbacks }));
callbacks.addTask(stepTask("watched_fail", { callbacks: recordingCallbacks }));
callbacks.addTask(
  stepTask("noisy", {
    retries: 1,
    callbacks: { onStart: boom, onComplete: boom, onError: boom, onRetry: boom },
  }),
);
callbacks.addTask(
  stepTask("noisy_async", {
    retries: 1,
    callbacks: { onStart: reject, onComplete: reject, onError: reject, onRetry: reject },
  }),
);

/** A chain to cancel in the middle, and a task that waits an hour before its retry. */
export const cancellable = new Workflow({ name: "contract_cancel", module: here });
cancellable.addTask(stepTask("first"));
cancellable.addTask(stepTask("blocker"), { dependsOn: ["first"] });
cancellable.addTask(stepTask("after"), { dependsOn: ["blocker"] });
cancellable.addTask(stepTask("tail"), { dependsOn: ["after"] });
cancellable.addTask(stepTask("retrier", { retries: 1, retryDelay: "1h" }));

/** failFast: `bad` is added first so every executor starts it first. */
export const failFast = new Workflow({ name: "contract_fail_fast", module: here });
failFast.addTask(stepTask("bad"));
failFast.addTask(stepTask("peer"));
failFast.addTask(stepTask("after_peer"), { dependsOn: ["peer"] });
failFast.addTask(stepTask("after_bad"), { dependsOn: ["bad"] });

/** What a task sees of its context. */
export const inspect = task(
  "inspect",
  (_inputs: unknown, ctx: TaskContext) => {
    ctx.log.info("inspecting", { detail: 42 });
    const wanted = ctx.params.succeedOnAttempt;
    if (typeof wanted === "number" && ctx.attempt < wanted) {
      throw new Error(`inspect: transient failure on attempt ${ctx.attempt}`);
    }
    return {
      attempt: ctx.attempt,
      taskName: ctx.taskName,
      workflowName: ctx.workflowName,
      runId: ctx.runId,
      runKey: ctx.runKey,
      params: { ...ctx.params },
      signalAborted: ctx.signal.aborted,
    };
  },
  { retries: 1 },
);
export const context = new Workflow({ name: "contract_context", module: here });
context.addTask(inspect);
