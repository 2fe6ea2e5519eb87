import { describe, expect, it } from "vitest";
import type { StateStore } from "../../../src/index.js";
import {
  buildWorkflow,
  Calls,
  type ContractContext,
  EXECUTORS,
  failingRun,
  resultFor,
  stateWrite,
  type TaskSpec,
} from "./harness.js";

/** Every kind of value DESIGN.md promises to round-trip, by name. */
export const ROUND_TRIP_VALUES: readonly (readonly [string, unknown])[] = [
  ["a string", "héllo, 世界"],
  ["an empty string", ""],
  ["a number", 42.5],
  ["zero", 0],
  ["false", false],
  ["null", null],
  ["a plain object", { a: 1, b: [1, "x", null, true], c: { d: { e: "deep" } } }],
  ["an empty array", []],
  ["an array of objects", [{ id: 1 }, { id: 2 }]],
  ["a Date", new Date("2026-11-25T10:00:00.000Z")],
  [
    "a Map",
    new Map<unknown, unknown>([
      ["k", 1],
      [2, { x: new Date(0) }],
    ]),
  ],
  ["a Set", new Set([1, "two", 3n])],
  ["a BigInt", 12345678901234567890n],
  ["undefined", undefined],
  ["nested undefined", { a: undefined, b: [1, undefined], c: { d: undefined } }],
  ["NaN, Infinity and -0", { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negZero: -0 }],
  [
    "typed arrays",
    {
      u8: new Uint8Array([0, 1, 255]),
      i16: new Int16Array([-2, 300]),
      f32: new Float32Array([1.5, -0.25]),
      f64: new Float64Array([Math.PI]),
      big: new BigInt64Array([-5n, 9223372036854775807n]),
      ubig: new BigUint64Array([18446744073709551615n]),
    },
  ],
  ["a top-level typed array", new Uint16Array([65535, 7])],
  ["a Buffer", Buffer.from("binary\u0000data\u00ff")],
  ["an empty Buffer", Buffer.alloc(0)],
  ["a nested Buffer", { payload: Buffer.from([0, 1, 2, 3]), name: "x", list: [Buffer.from("y")] }],
  ["a RegExp", /^flow(weaver)?$/giu],
];

/** Checks a value came back as itself: same content, same classes, no lost undefined. */
function expectSame(actual: unknown, expected: unknown): void {
  expect(actual).toStrictEqual(expected);
  if (Buffer.isBuffer(expected)) expect(Buffer.isBuffer(actual)).toBe(true);
  if (typeof expected === "object" && expected !== null && "negZero" in expected) {
    expect(Object.is((actual as { negZero: number }).negZero, -0)).toBe(true);
  }
  if (typeof expected === "object" && expected !== null && "payload" in expected) {
    expect(Buffer.isBuffer((actual as { payload: unknown }).payload)).toBe(true);
  }
}

async function readBack(store: StateStore, task: string): Promise<unknown> {
  const loaded = await store.loadResult("values", "default", task);
  if (store.readResultSync) expectSame(store.readResultSync("values", "default", task), loaded);
  return loaded;
}

/** Results: faithful round-trips, unstorable values refused, released results read back. */
export function valueCases(ctx: ContractContext): void {
  describe("results", () => {
    it.each(ROUND_TRIP_VALUES)("round-trips %s through commit and loadResult", async (_, value) => {
      const { store } = ctx;
      await store.commit({
        runs: [],
        taskStates: [
          stateWrite({ workflow: "values", task: "t", result: resultFor(store, value) }),
        ],
        attempts: [],
      });
      expect((await store.loadTaskStates("values", "default")).get("t")?.hasResult).toBe(true);
      expectSame(await readBack(store, "t"), value);
      if (ctx.fixture.persistent) expectSame(await readBack(await ctx.reopen(), "t"), value);
    });

    it.each(EXECUTORS)(
      "hands stored values of every kind to dependents (%s)",
      async (_, makeExecutor) => {
        const calls = new Calls();
        const received: Record<string, unknown>[] = [];
        let consumerFails = true;
        const specs: Record<string, TaskSpec> = {};
        const names = ROUND_TRIP_VALUES.map((_, i) => `v${i}`);
        for (const [i, [, value]] of ROUND_TRIP_VALUES.entries())
          specs[`v${i}`] = { run: () => value };
        specs.consumer = {
          deps: names,
          run: (inputs) => {
            received.push(inputs);
            if (consumerFails) throw new Error("not yet");
            return "done";
          },
        };
        await failingRun(makeExecutor(ctx.store).execute(buildWorkflow("values", specs, calls)));
        consumerFails = false;
        const store = ctx.fixture.persistent ? await ctx.reopen() : ctx.store;
        const wf = buildWorkflow("values", specs, calls);
        await makeExecutor(store).execute(wf);
        expect(calls.count("consumer")).toBe(2);
        expect(calls.count("v0")).toBe(1);
        const restored = received[1] as Record<string, unknown>;
        for (const [i, [, value]] of ROUND_TRIP_VALUES.entries()) {
          expectSame(restored[`v${i}`], value);
          expectSame(wf.getTask(`v${i}`).result, value);
        }
      },
    );

    it.for([
      ["a function", () => ({ rows: [1], handler: () => 1 }), "result.handler"],
      ["a class instance", () => ({ conn: new (class Connection {})() }), "result.conn"],
      ["a symbol", () => [1, Symbol("s")], "result[1]"],
    ] as const)(
      "fails a task whose result holds %s with SerializationError (persistent stores)",
      async ([, make, path], test) => {
        if (!ctx.fixture.persistent) test.skip();
        const calls = new Calls();
        const [, makeExecutor] = EXECUTORS[0] as (typeof EXECUTORS)[0];
        const wf = buildWorkflow(
          "unstorable",
          { bad: { retries: 2, run: make }, after: { deps: ["bad"] }, fine: {} },
          calls,
        );
        const error = await failingRun(makeExecutor(ctx.store).execute(wf));
        expect(error.name).toBe("WorkflowFailedError");
        const bad = wf.getTask("bad");
        expect(bad.status).toBe("FAILED");
        // Retrying cannot make the value storable: one attempt only.
        expect(bad.attempts).toBe(1);
        const cause = bad.error as Error & { code?: string; path?: string; taskName?: string };
        expect(cause.name).toBe("SerializationError");
        expect(cause.code).toBe("SERIALIZATION_FAILED");
        expect(cause.taskName).toBe("bad");
        expect(cause.path).toBe(path);
        expect(cause.message).toContain('task "bad"');
        expect(cause.message).toContain(path);
        expect(wf.getTask("after").status).toBe("SKIPPED");
        expect(wf.getTask("fine").status).toBe("COMPLETED");
        const stored = (await ctx.store.loadTaskStates("unstorable", "default")).get("bad");
        expect(stored?.status).toBe("FAILED");
        expect(stored?.error?.name).toBe("SerializationError");
        expect(stored?.hasResult).toBe(false);
      },
    );

    it("reads a result released from memory back from the store (persistent stores)", async (test) => {
      if (!ctx.fixture.persistent) test.skip();
      const calls = new Calls();
      const big = { rows: Array.from({ length: 1000 }, (_, i) => ({ i, at: new Date(i) })) };
      const [, makeExecutor] = EXECUTORS[1] as (typeof EXECUTORS)[0];
      const wf = buildWorkflow(
        "released",
        {
          a: { run: () => big },
          b: { deps: ["a"], run: ({ a }) => (a as typeof big).rows.length },
        },
        calls,
      );
      await makeExecutor(ctx.store).execute(wf);
      const a = wf.getTask("a");
      if (ctx.store.readResultSync) {
        // Every dependent of a completed, so the scheduler let its value go.
        expect(a._state.hasResult).toBe(false);
        expect(a._state.result).toBeUndefined();
        // Each read decodes the stored value anew: nothing holds on to it.
        expect(a.result).not.toBe(a.result);
      }
      expect(a.result).toStrictEqual(big);
      expect(wf.getTask("b").result).toBe(1000);
      if (ctx.store.readResultSync) {
        // `task.result` still answers once the store is closed.
        await ctx.store.close();
        expect(a.result).toStrictEqual(big);
      }
    });
  });
}
