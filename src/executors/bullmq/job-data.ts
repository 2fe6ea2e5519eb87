/**
 * Builds the data of an attempt's job: params and inputs encoded with the stores'
 * serialization, each dependency's result inline when small and, when large and the
 * coordinator's store is one the workers share, left in the store for the worker to read.
 */
import type { AttemptRequest } from "../../core/runner.js";
import { type EncodedValue, encodeValue } from "../../core/serialization.js";
import type { StateStore } from "../../stores/store.js";
import {
  encodedSize,
  type JobData,
  PROTOCOL,
  type StoredInput,
  toWire,
  type WireValue,
} from "./protocol.js";

const STORED: StoredInput = Object.freeze({ k: "stored" });

export class JobBuilder {
  readonly #limit: number;
  readonly #store: StateStore | undefined;
  /** Encoded params by run: the same frozen object reaches every attempt of a run. */
  readonly #params = new WeakMap<object, WireValue>();
  /** Encoded results by value: a result many tasks depend on is encoded once. */
  readonly #inputs = new WeakMap<object, WireValue | StoredInput>();

  /** `store` is the executor's state store; without one (memory per run) all travels inline. */
  constructor(inlineLimit: number, store: StateStore | undefined) {
    this.#limit = inlineLimit;
    this.#store = store?.persistent ? store : undefined;
  }

  build(request: AttemptRequest, reply: string): JobData {
    const { task, ctx } = request;
    // Keyed by task names: a dependency named "__proto__" must stay a plain key.
    const inputs = Object.create(null) as Record<string, WireValue | StoredInput>;
    for (const [dep, value] of Object.entries(request.inputs)) {
      inputs[dep] = this.#input(dep, value, task.name);
    }
    return {
      v: PROTOCOL,
      workflow: ctx.workflowName,
      task: task.name,
      attempt: ctx.attempt,
      runId: ctx.runId,
      runKey: ctx.runKey,
      params: this.#encodeParams(ctx.params, task.name),
      inputs,
      reply,
      timed: task.options.timeoutMs !== undefined,
      inlineLimit: this.#limit,
      store: this.#store?.location,
      storedResults: this.#store?.payloads !== undefined,
    };
  }

  #input(dep: string, value: unknown, taskName: string): WireValue | StoredInput {
    const cacheable = typeof value === "object" && value !== null;
    if (cacheable) {
      const known = this.#inputs.get(value);
      if (known) return known;
    }
    const encoded = encodeValue(
      value,
      `input "${dep}" of task "${taskName}"`,
      taskName,
      `inputs.${dep}`,
    );
    const wire = this.#tooLarge(encoded) && this.#store ? STORED : toWire(encoded);
    if (cacheable) this.#inputs.set(value, wire);
    return wire;
  }

  #tooLarge(encoded: EncodedValue): boolean {
    return encodedSize(encoded) > this.#limit;
  }

  #encodeParams(params: Readonly<Record<string, unknown>>, taskName: string): WireValue {
    let wire = this.#params.get(params);
    if (!wire) {
      wire = toWire(
        encodeValue(params, `params of the run (sent to task "${taskName}")`, taskName, "params"),
      );
      this.#params.set(params, wire);
    }
    return wire;
  }
}
