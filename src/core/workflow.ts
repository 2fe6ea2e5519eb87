import { show } from "./duration.js";
import { ConfigurationError, DuplicateTaskError } from "./errors.js";
import { type CompiledGraph, compileGraph } from "./graph.js";
import { type AnyTask, definitionOf, Task, type TaskDefinition, type TaskLike } from "./task.js";

/** Options of `new Workflow(…)`. */
export interface WorkflowOptions {
  readonly name: string;
  readonly description?: string;
  /**
   * The URL of the module that defines (and exports) the workflow, usually
   * `import.meta.url`, so worker threads and processes can import it and find the tasks.
   */
  readonly module?: string;
}

type AnyTaskLike = TaskLike<never, unknown, string>;
/** A dependency: a task's name, or the task itself. */
export type DependencyRef = string | AnyTaskLike;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;

type ResultsOf<D extends readonly DependencyRef[]> = D extends readonly []
  ? Record<never, never>
  : UnionToIntersection<
      {
        [K in keyof D]: D[K] extends {
          readonly definition: TaskDefinition<never, infer R, infer N>;
        }
          ? { [P in N]: Awaited<R> }
          : never;
      }[number]
    >;

// An explicitly empty `dependsOn: []` is checked too: it provides no inputs at all.
type IsChecked<D extends readonly DependencyRef[]> = D extends readonly []
  ? true
  : D[number] extends string
    ? false
    : string extends D[number]
      ? false
      : D[number] extends { readonly definition: TaskDefinition<never, unknown, infer N> }
        ? string extends N
          ? false
          : true
        : false;

/**
 * With task objects (whose names are literal types) in `dependsOn`, their results must
 * provide every input the task's function declares. Names given as strings stay unchecked.
 */
export type CheckedDependencies<I, D extends readonly DependencyRef[]> = unknown extends I
  ? D
  : IsChecked<D> extends true
    ? [ResultsOf<D>] extends [I]
      ? D
      : D & {
          readonly "dependsOn does not provide the task's inputs": {
            readonly expected: I;
            readonly provided: ResultsOf<D>;
          };
        }
    : D;

/**
 * `addTask`'s options: required when the task's function declares inputs, so forgetting
 * `dependsOn` (the seed's first pitfall) is a compile error rather than `undefined` inputs.
 */
export type AddTaskArgs<I, D extends readonly DependencyRef[]> =
  Record<never, never> extends I
    ? [options?: AddTaskOptions<CheckedDependencies<I, D>> & { readonly dependsOn?: D }]
    : [options: AddTaskOptions<CheckedDependencies<I, D>> & { readonly dependsOn: D }];

/** Options of `addTask`. */
export interface AddTaskOptions<D extends readonly DependencyRef[] = readonly DependencyRef[]> {
  /** The tasks this one needs, by name or as task objects; their results arrive by name. */
  readonly dependsOn?: D;
}

const WORKFLOW_BRAND = Symbol.for("flowweaver.workflow");

/**
 * A workflow: a DAG of named tasks. It owns one {@link Task} node per added task, holding
 * the last run's status, result, error, attempts and times.
 *
 * @example
 * const wf = new Workflow({ name: "customer_data_etl", module: import.meta.url });
 * wf.addTask(extract_from_crm);
 * wf.addTask(validate_records, { dependsOn: [extract_from_crm] });
 */
export class Workflow {
  /**
   * `instanceof Workflow` holds for workflows made by any copy of flowweaver loaded in the
   * process (a CLI installed globally running a project's own copy, a build and its
   * sources side by side), since they share this registered brand.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [WORKFLOW_BRAND]?: unknown })[WORKFLOW_BRAND] === true
    );
  }

  /** @internal */
  get [WORKFLOW_BRAND](): true {
    return true;
  }

  readonly name: string;
  readonly description: string | undefined;
  /** The defining module's URL, for executors that run tasks in other threads or processes. */
  module: string | undefined;

  readonly #nodes: AnyTask[] = [];
  readonly #names: string[] = [];
  readonly #index = new Map<string, number>();
  /**
   * Every task's declared dependency names, one flat list: task i's are
   * `#depNames[#depStart[i] .. #depStart[i + 1])` (the last end is `#depNames.length`).
   * Flat, so a large workflow holds no small array per task.
   */
  readonly #depNames: string[] = [];
  readonly #depStart: number[] = [];
  #compiled: CompiledGraph | undefined;
  /** @internal Set while an executor runs this workflow object. */
  _executing = false;

  constructor(nameOrOptions: string | WorkflowOptions) {
    const options: unknown =
      typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
    if (typeof options !== "object" || options === null) {
      throw new ConfigurationError(
        `new Workflow() takes a name or { name, description?, module? }; got ${show(nameOrOptions)}.`,
      );
    }
    const { name, description, module } = options as Record<string, unknown>;
    if (typeof name !== "string" || name.trim() === "") {
      throw new ConfigurationError(
        `new Workflow() needs a name: a non-empty string; got ${show(name)}.`,
      );
    }
    if (description !== undefined && typeof description !== "string") {
      throw new ConfigurationError(
        `Workflow "${name}": "description" must be a string; got ${show(description)}.`,
      );
    }
    if (module !== undefined && (typeof module !== "string" || module === "")) {
      throw new ConfigurationError(
        `Workflow "${name}": "module" must be the defining module's URL (import.meta.url); got ${show(module)}.`,
      );
    }
    this.name = name;
    this.description = description;
    this.module = module;
  }

  /**
   * Adds a task; returns its node in this workflow. A `Task` instance becomes the node
   * itself; a callable from `task()` gets a fresh node. Duplicate names are refused here;
   * unknown dependencies and cycles at `validate()` and at the start of every run.
   */
  addTask<I, R, N extends string, const D extends readonly DependencyRef[] = []>(
    task: TaskLike<I, R, N>,
    ...[options]: AddTaskArgs<I, D>
  ): Task<I, R, N> {
    const definition = definitionOf(task);
    if (!definition) {
      throw new ConfigurationError(
        `Workflow "${this.name}": addTask() takes a task made with task() or new Task(); got ${show(task)}.`,
      );
    }
    const name = definition.name;
    const isNode = typeof task !== "function" && task instanceof Task;
    if (isNode && task._owner !== undefined && task._owner !== this) {
      throw new ConfigurationError(
        `Task "${name}" is already a node of another workflow: a Task instance belongs to one workflow. Use task() for a definition you can add to several workflows, or create a new Task.`,
        { taskName: name },
      );
    }
    // One map operation, not a lookup and then an insert: a duplicate shows as no growth.
    const i = this.#nodes.length;
    const index = this.#index;
    const sizeBefore = index.size;
    index.set(name, i);
    if (index.size === sizeBefore) {
      index.set(name, this.#names.indexOf(name));
      throw new DuplicateTaskError(this.name, name);
    }
    const depStart = this.#depNames.length;
    try {
      appendDependsOn(this.name, name, options, this.#depNames);
    } catch (error) {
      index.delete(name);
      this.#depNames.length = depStart;
      throw error;
    }
    const node = (isNode ? task : new Task(definition)) as unknown as AnyTask;
    node._owner = this;
    this.#nodes.push(node);
    this.#names.push(name);
    this.#depStart.push(depStart);
    this.#compiled = undefined;
    return node as unknown as Task<I, R, N>;
  }

  /** The node of the task called `name`. */
  getTask(name: string): AnyTask {
    const i = this.#index.get(name);
    if (i === undefined) {
      throw new ConfigurationError(
        `Workflow "${this.name}" has no task named ${show(name)}. Its tasks: ${this.#names.join(", ") || "(none)"}.`,
        { code: "UNKNOWN_TASK" },
      );
    }
    return this.#nodes[i] as AnyTask;
  }

  /** Whether a task called `name` was added. */
  hasTask(name: string): boolean {
    return this.#index.has(name);
  }

  /** The task nodes, in insertion order. */
  get tasks(): readonly AnyTask[] {
    return this.#nodes;
  }

  /** The names `name` depends on, as declared. */
  dependenciesOf(name: string): readonly string[] {
    const i = this.#index.get(name);
    if (i === undefined) this.getTask(name);
    return this.#depNames.slice(this.#depStart[i as number], this.#depStart[(i as number) + 1]);
  }

  /** Checks that every dependency exists and that there is no cycle. */
  validate(): void {
    this._compile();
  }

  /** @internal The flat graph the scheduler walks; rebuilt when tasks were added. */
  _compile(): CompiledGraph {
    this.#compiled ??= compileGraph(this.name, this.#names, this.#index, {
      start: this.#depStart,
      names: this.#depNames,
    });
    return this.#compiled;
  }
}

/** Checks `options.dependsOn` and appends its names to `out`, each once. */
function appendDependsOn(
  workflow: string,
  taskName: string,
  options: unknown,
  out: string[],
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      `Workflow "${workflow}": addTask("${taskName}", options) takes { dependsOn?: [...] }; got ${show(options)}.`,
      { taskName },
    );
  }
  const raw = (options as { dependsOn?: unknown }).dependsOn;
  if (raw === undefined) return;
  if (!Array.isArray(raw)) {
    throw new ConfigurationError(
      `Task "${taskName}": "dependsOn" must be an array of task names or tasks, like ["fetch"]; got ${show(raw)}.`,
      { taskName },
    );
  }
  const start = out.length;
  for (const ref of raw) {
    const name = typeof ref === "string" ? ref : definitionOf(ref)?.name;
    if (name === undefined || name === "") {
      throw new ConfigurationError(
        `Task "${taskName}": each "dependsOn" entry must be a task name or a task; got ${show(ref)}.`,
        { taskName },
      );
    }
    out.push(name);
  }
  // A name listed twice counts once. Lists are short, so a scan beats building a Set.
  const count = out.length - start;
  if (count > 16 || hasRepeats(out, start)) {
    const unique = [...new Set(out.slice(start))];
    out.length = start;
    for (const name of unique) out.push(name);
  }
}

function hasRepeats(names: readonly string[], start: number): boolean {
  for (let i = start + 1; i < names.length; i++) {
    for (let j = start; j < i; j++) if (names[i] === names[j]) return true;
  }
  return false;
}
