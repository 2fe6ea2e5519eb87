import type { SerializedError } from "../core/errors.js";
import type { AttemptRecord, RunRecord, StateStore, StoredTaskState } from "../stores/store.js";
import type {
  ApiError,
  AttemptView,
  Partition,
  RunResponse,
  RunSummary,
  RunsResponse,
  RunTaskView,
  TaskResponse,
  TaskStateView,
  TaskStatusName,
  WorkflowResponse,
  WorkflowSummary,
  WorkflowsResponse,
} from "./api-types.js";
import type { WorkflowGraph } from "./graphs.js";
import { renderValue } from "./preview.js";

/** The reads the dashboard makes: any StateStore has them. */
export type DashboardStore = Pick<
  StateStore,
  "location" | "listWorkflows" | "listRuns" | "listAttempts" | "listTaskStates" | "loadResult"
>;

/** How many runs the Workflows view shows per workflow. */
export const RECENT_RUNS = 20;
/** How many run keys a workflow summary holds (one per day adds up): the newest ones. */
export const SUMMARY_PARTITIONS = 10;

/**
 * Builds the API's answers from a store. Every method reads the store afresh, so answers
 * follow runs in other processes; the graphs (from workflow files) add edges and
 * descriptions the store does not keep.
 */
export class ReadModel {
  constructor(
    readonly store: DashboardStore,
    readonly graphs: ReadonlyMap<string, WorkflowGraph>,
  ) {}

  async workflows(): Promise<WorkflowsResponse> {
    // Workflows from files given to the dashboard show even before their first run.
    const names = new Set([...(await this.store.listWorkflows()), ...this.graphs.keys()]);
    const workflows: WorkflowSummary[] = [];
    for (const name of [...names].sort()) workflows.push(await this.#summary(name));
    return { store: this.store.location, generatedAt: Date.now(), workflows };
  }

  /** Undefined when the store and the given files know no such workflow. */
  async workflow(name: string, limit: number): Promise<WorkflowResponse | undefined> {
    if (!this.graphs.has(name) && !(await this.store.listWorkflows()).includes(name)) {
      return undefined;
    }
    const [workflow, runs] = await Promise.all([
      this.#summary(name),
      this.store.listRuns({ workflow: name, limit }),
    ]);
    return {
      store: this.store.location,
      generatedAt: Date.now(),
      workflow,
      runs: runs.map(runSummary),
    };
  }

  async runs(workflow: string | undefined, limit: number): Promise<RunsResponse> {
    const runs = await this.store.listRuns(
      workflow === undefined ? { limit } : { workflow, limit },
    );
    return { store: this.store.location, generatedAt: Date.now(), runs: runs.map(runSummary) };
  }

  /** Undefined when there is no such run. */
  async run(runId: string): Promise<RunResponse | undefined> {
    const found = await this.#runParts(runId);
    if (!found) return undefined;
    const { run, attempts, states } = found;
    const graph = this.graphs.get(run.workflow);
    return {
      store: this.store.location,
      generatedAt: Date.now(),
      run: runSummary(run),
      tasks: runTasks(run, attempts, states, graph),
      attempts: attempts.map((a) => attemptView(a, false)),
      graphKnown: graph !== undefined,
    };
  }

  /** Undefined when there is no such run, or the run knows no such task. */
  async task(runId: string, name: string): Promise<TaskResponse | undefined> {
    const found = await this.#runParts(runId);
    if (!found) return undefined;
    const { run, attempts, states } = found;
    const graph = this.graphs.get(run.workflow);
    const task = runTasks(run, attempts, states, graph).find((t) => t.name === name);
    if (!task) return undefined;
    const state = states.find((s) => s.task === name);
    let result: TaskResponse["result"] = null;
    if (state?.status === "COMPLETED" && state.hasResult) {
      const value = await this.store.loadResult(run.workflow, run.runKey, name);
      result = { runId: state.runId, ...renderValue(value) };
    }
    return {
      store: this.store.location,
      generatedAt: Date.now(),
      run: runSummary(run),
      task,
      attempts: attempts.filter((a) => a.task === name).map((a) => attemptView(a, true)),
      state: state ? stateView(state) : null,
      result,
    };
  }

  async #runParts(runId: string) {
    const [run] = await this.store.listRuns({ runId, limit: 1 });
    if (!run) return undefined;
    const [attempts, states] = await Promise.all([
      this.store.listAttempts(runId),
      this.store.listTaskStates(run.workflow, run.runKey),
    ]);
    return { run, attempts, states };
  }

  async #summary(name: string): Promise<WorkflowSummary> {
    const [runs, states] = await Promise.all([
      this.store.listRuns({ workflow: name, limit: RECENT_RUNS }),
      this.store.listTaskStates(name),
    ]);
    const graph = this.graphs.get(name);
    const recentRuns = runs.map(runSummary);
    const all = partitions(states, runs);
    return {
      name,
      description: graph?.description ?? null,
      graphKnown: graph !== undefined,
      lastRun: recentRuns[0] ?? null,
      recentRuns,
      partitions: all.slice(0, SUMMARY_PARTITIONS),
      partitionCount: all.length,
    };
  }
}

export function apiError(error: SerializedError | undefined, withStack: boolean): ApiError | null {
  if (!error) return null;
  return {
    name: error.name,
    message: error.message,
    code: error.code ?? null,
    stack: withStack ? (error.stack ?? null) : null,
  };
}

export function runSummary(run: RunRecord): RunSummary {
  return {
    runId: run.runId,
    workflow: run.workflow,
    runKey: run.runKey,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt ?? null,
    duration: seconds(run.startedAt, run.finishedAt),
    // The run's own stack is the scheduler's, of no use to the reader; task errors keep theirs.
    error: apiError(run.error, false),
  };
}

function stateView(state: StoredTaskState): TaskStateView {
  return {
    task: state.task,
    runKey: state.runKey,
    status: state.status,
    runId: state.runId,
    attempts: state.attempts,
    startedAt: state.startedAt ?? null,
    finishedAt: state.finishedAt ?? null,
    duration: state.duration ?? null,
    version: state.version ?? null,
    error: apiError(state.error, true),
    hasResult: state.hasResult,
  };
}

function attemptView(attempt: AttemptRecord, withStack: boolean): AttemptView {
  return {
    task: attempt.task,
    attempt: attempt.attempt,
    status: attempt.status,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt ?? null,
    duration: seconds(attempt.startedAt, attempt.finishedAt),
    error: apiError(attempt.error, withStack),
  };
}

/**
 * Groups a workflow's states by run key, newest first: in the order of the recent runs
 * (the store orders those exactly), then by the last time written. Tasks in the order they
 * started.
 */
function partitions(
  states: readonly StoredTaskState[],
  recentRuns: readonly RunRecord[],
): Partition[] {
  const byKey = new Map<string, StoredTaskState[]>();
  for (const state of states) {
    const list = byKey.get(state.runKey);
    if (list) list.push(state);
    else byKey.set(state.runKey, [state]);
  }
  const rank = new Map<string, number>();
  for (const run of recentRuns) if (!rank.has(run.runKey)) rank.set(run.runKey, rank.size);
  const order = (key: string) => rank.get(key) ?? Number.POSITIVE_INFINITY;
  const latest = (list: readonly StoredTaskState[]) =>
    Math.max(...list.map((s) => s.finishedAt ?? s.startedAt ?? 0));
  return [...byKey]
    .sort(
      ([a, listA], [b, listB]) =>
        order(a) - order(b) || latest(listB) - latest(listA) || (a < b ? 1 : a > b ? -1 : 0),
    )
    .map(([runKey, list]) => {
      list.sort(
        (a, b) =>
          (a.startedAt ?? Number.POSITIVE_INFINITY) - (b.startedAt ?? Number.POSITIVE_INFINITY) ||
          (a.task < b.task ? -1 : a.task > b.task ? 1 : 0),
      );
      const counts: Partial<Record<TaskStatusName, number>> = {};
      for (const s of list) counts[s.status] = (counts[s.status] ?? 0) + 1;
      return { runKey, tasks: list.map(stateView), counts };
    });
}

/**
 * Each task as it stands in `run`. The store keeps one current state per task and
 * partition, so a task's status in this run comes from that state when this run wrote it,
 * else from this run's attempts, else the state is a completion from before this run
 * (reused: "restored"), else the run has not reached it yet (PENDING) or, once failed or
 * cancelled, skipped it.
 */
function runTasks(
  run: RunRecord,
  attempts: readonly AttemptRecord[],
  states: readonly StoredTaskState[],
  graph: WorkflowGraph | undefined,
): RunTaskView[] {
  const own = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const list = own.get(a.task);
    if (list) list.push(a);
    else own.set(a.task, [a]);
  }
  for (const list of own.values()) list.sort((a, b) => a.attempt - b.attempt);
  const stateOf = new Map(states.map((s) => [s.task, s]));
  return taskOrder(own, states, graph).map((name) => {
    const tried = own.get(name) ?? [];
    const state = stateOf.get(name);
    const node = graph?.tasks.get(name);
    const known = {
      name,
      dependsOn: node ? node.dependsOn : null,
      description: node?.description ?? null,
    };
    if (state && state.runId === run.runId) {
      return {
        ...known,
        status: state.status,
        restored: false,
        attempts: state.attempts,
        startedAt: state.startedAt ?? null,
        finishedAt: state.finishedAt ?? null,
        duration: state.duration ?? null,
        error: apiError(state.error ?? tried.at(-1)?.error, false),
      };
    }
    const first = tried[0];
    const last = tried.at(-1);
    if (first && last) {
      return {
        ...known,
        status: last.status,
        restored: false,
        attempts: tried.length,
        startedAt: first.startedAt,
        finishedAt: last.finishedAt ?? null,
        duration: seconds(first.startedAt, last.finishedAt),
        error: apiError(last.error, false),
      };
    }
    if (state?.status === "COMPLETED" && (state.finishedAt ?? 0) <= run.startedAt) {
      return {
        ...known,
        status: "COMPLETED",
        restored: true,
        attempts: state.attempts,
        startedAt: state.startedAt ?? null,
        finishedAt: state.finishedAt ?? null,
        duration: state.duration ?? null,
        error: null,
      };
    }
    // Untouched by a finished run that failed or was cancelled: the scheduler skipped it
    // (skips leave no attempt, and a later run may have replaced the SKIPPED state).
    return {
      ...known,
      status:
        run.status === "RUNNING"
          ? "PENDING"
          : run.status === "FAILED" || run.status === "CANCELLED"
            ? "SKIPPED"
            : "NOT_RUN",
      restored: false,
      attempts: 0,
      startedAt: null,
      finishedAt: null,
      duration: null,
      error: null,
    };
  });
}

/** The workflow's order when known (then any others); otherwise the order tasks started in. */
function taskOrder(
  own: ReadonlyMap<string, readonly AttemptRecord[]>,
  states: readonly StoredTaskState[],
  graph: WorkflowGraph | undefined,
): string[] {
  const names = new Set<string>(graph?.order ?? []);
  for (const name of own.keys()) names.add(name);
  const rest = [...states]
    .filter((s) => !names.has(s.task))
    .sort(
      (a, b) =>
        (a.startedAt ?? Number.POSITIVE_INFINITY) - (b.startedAt ?? Number.POSITIVE_INFINITY) ||
        (a.task < b.task ? -1 : a.task > b.task ? 1 : 0),
    );
  for (const s of rest) names.add(s.task);
  return [...names];
}

function seconds(startedAt: number, finishedAt: number | undefined): number | null {
  return finishedAt === undefined ? null : Math.max(0, finishedAt - startedAt) / 1000;
}
