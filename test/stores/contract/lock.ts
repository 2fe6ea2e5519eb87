import { describe, expect, it } from "vitest";
import type { LockOwner } from "../../../src/index.js";
import type { ContractContext } from "./harness.js";

/** An owner in this (live) process, so no store may take its lock over as abandoned. */
function owner(runId: string): LockOwner {
  return { runId, pid: process.pid, host: "contract-host" };
}

async function refusal(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const error = await promise.then(
    () => {
      throw new Error("expected acquireLock to be refused, but it succeeded");
    },
    (thrown: unknown) => thrown,
  );
  return error as Error & Record<string, unknown>;
}

/** The per-workflow lock: one execution of a workflow per store at a time. */
export function lockCases(ctx: ContractContext): void {
  describe("lock", () => {
    it("refuses a second lock on the same workflow, naming the holder", async () => {
      const { store } = ctx;
      const held = await store.acquireLock("etl", owner("run-holder"));
      const error = await refusal(store.acquireLock("etl", owner("run-second")));
      expect(error.name).toBe("StoreLockedError");
      expect(error.code).toBe("STORE_LOCKED");
      expect(error.message).toContain("etl");
      expect(error.message).toContain("run-holder");
      expect(String(error.holder)).toContain("run-holder");
      await held.release();
    });

    it("locks each workflow separately", async () => {
      const { store } = ctx;
      const a = await store.acquireLock("a", owner("run-a"));
      const b = await store.acquireLock("b", owner("run-b"));
      await a.release();
      await b.release();
    });

    it("can be taken again once released; releasing twice is harmless", async () => {
      const { store } = ctx;
      const first = await store.acquireLock("etl", owner("run-1"));
      await first.release();
      const second = await store.acquireLock("etl", owner("run-2"));
      // A stale handle must not free a lock that now belongs to someone else.
      await first.release();
      await refusal(store.acquireLock("etl", owner("run-3")));
      await second.release();
      await second.release();
      const third = await store.acquireLock("etl", owner("run-3"));
      await third.release();
    });
  });
}
