import { describe, expect, it } from "vitest";
import {
  AsyncExecutor,
  MemoryStateStore,
  type StateStore,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";
import { useSQLiteScratch } from "../stores/sqlite-helpers.js";

/**
 * A task still running when its group commits is stored as RUNNING, so a dashboard or
 * `flowweaver status` in another process sees it, also when it started right after a
 * commit that a store made synchronously (the commit queue's tight loop).
 */
describe("tasks running across a commit", () => {
  const scratch = useSQLiteScratch();
  const stores: [string, () => StateStore][] = [
    ["memory", () => new MemoryStateStore()],
    ["SQLite", () => scratch.open()],
  ];
  for (const [kind, makeStore] of stores) {
    it(`are stored as RUNNING (${kind} store)`, async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const wf = new Workflow("running_records");
      wf.addTask(task("first", () => "done"));
      wf.addTask(
        task("second", () => gate),
        { dependsOn: ["first"] },
      );
      const stateStore = makeStore();
      const executor = new AsyncExecutor({ stateStore, logger: silentLogger });
      const run = executor.execute(wf);
      const statusOf = async (name: string) =>
        (await stateStore.listTaskStates("running_records")).find((s) => s.task === name)?.status;
      for (let turn = 0; turn < 100 && (await statusOf("second")) !== "RUNNING"; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(await statusOf("first")).toBe("COMPLETED");
      expect(await statusOf("second")).toBe("RUNNING");
      release();
      await run;
      expect(await statusOf("second")).toBe("COMPLETED");
    });
  }
});
