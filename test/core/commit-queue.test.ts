import { describe, expect, it } from "vitest";
import { CommitQueue } from "../../src/core/commit-queue.js";
import { MemoryStateStore } from "../../src/stores/memory/index.js";
import type { StateStore, StoreBatch } from "../../src/stores/store.js";

const attempt = (task: string) => ({
  runId: "r",
  workflow: "wf",
  task,
  attempt: 1,
  status: "COMPLETED" as const,
  startedAt: 1,
  finishedAt: 2,
  error: undefined,
});

function listen(attemptsRunning = () => false) {
  const events: string[] = [];
  const listener = {
    beforeCommit: () => {},
    committed: (tokens: readonly number[]) => {
      events.push(`committed ${tokens.join(",")}`);
    },
    failed: (error: unknown) => {
      events.push(`failed ${(error as Error).message}`);
    },
    attemptsRunning,
  };
  return { events, listener };
}

/** A store whose synchronous commit leaves work to finish, as SQLite's large commits do. */
function followUpStore(followUp: () => Promise<void>): {
  store: StateStore;
  commits: StoreBatch[];
} {
  const commits: StoreBatch[] = [];
  const store = {
    commit: async () => {},
    commitSync: (batch: StoreBatch) => {
      commits.push(batch);
      return followUp();
    },
  } as unknown as StateStore;
  return { store, commits };
}

describe("CommitQueue with a store that commits synchronously", () => {
  it("commits a group at the next turn and hands its tokens back at once", async () => {
    const store = new MemoryStateStore();
    const { events, listener } = listen();
    const queue = new CommitQueue(store, listener);
    queue.addAttempt(attempt("a"));
    queue.release(0);
    expect(events).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(["committed 0"]);
    expect(await store.listAttempts("r")).toHaveLength(1);
  });

  it("hands tokens back only once the work a commit left is done", async () => {
    let finish!: () => void;
    const { store, commits } = followUpStore(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    const { events, listener } = listen();
    const queue = new CommitQueue(store, listener);
    queue.addAttempt(attempt("a"));
    queue.release(0);
    const drained = queue.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toHaveLength(1);
    expect(events).toEqual([]);
    finish();
    await drained;
    expect(events).toEqual(["committed 0"]);
  });

  it("fails the queue when the work a commit left fails", async () => {
    const { store } = followUpStore(() => Promise.reject(new Error("checkpoint broke")));
    const { events, listener } = listen();
    const queue = new CommitQueue(store, listener);
    queue.addAttempt(attempt("a"));
    queue.release(0);
    await expect(queue.drain()).rejects.toThrow("checkpoint broke");
    expect(events).toEqual(["failed checkpoint broke"]);
  });
});
