/**
 * Faults with real processes on the local Redis and PostgreSQL: a worker killed with
 * SIGKILL mid-task (its job goes to another worker; past maxStalledCount the attempt
 * fails and the task's own retry runs it), and the coordinator killed mid-run (the next
 * coordinator resumes from the store without redoing a stored completion).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PostgresStateStore } from "../../src/index.js";
import { ensureBuilt } from "../cli/support/cli.js";
import { dropSchemasAndDisconnect, schemaPrefix } from "../stores/postgres-helpers.js";
import { POSTGRES_URL, service } from "../support/services.js";
import {
  outputs,
  type Proc,
  ranLines,
  type Site,
  startCoordinator,
  startWorkerProcess,
  stopAll,
  summaryOf,
} from "./processes.js";
import { deleteKeys, uniquePrefix } from "./support.js";

const redis = await service("redis");
const postgres = await service("postgres");
const schemas = schemaPrefix("faults");

/** Fast detection of a dead worker: its job is handed on about 3 s after it died. */
const QUICK_RECOVERY = ["--lock-duration", "2s", "--stalled-interval", "1s"];

describe.skipIf(!redis.up || !postgres.up)(
  `BullMQ faults with real processes${redis.note}${postgres.note}`,
  () => {
    let dir: string;
    let sites: Site[] = [];
    let count = 0;

    function site(env: Record<string, string> = {}): Site {
      const made: Site = {
        prefix: uniquePrefix("faults"),
        schema: `${schemas}_${++count}`,
        sideLog: join(dir, `side-${count}.log`),
        env,
      };
      writeFileSync(made.sideLog, "");
      sites.push(made);
      return made;
    }

    function storeOf(where: Site): PostgresStateStore {
      return new PostgresStateStore(POSTGRES_URL, { schema: where.schema });
    }

    /** The worker running the victim task, once it is inside the task function. */
    function victimOf(workers: readonly Proc[]): Promise<Proc> {
      return Promise.race(workers.map((w) => w.line(/^victim-start /).then(() => w)));
    }

    /**
     * Two workers and a coordinator on the fault workflow; the worker that takes the
     * victim task is killed with SIGKILL inside it. Resolves with the run's summary.
     */
    async function runKillingTheVictim(recovery: readonly string[]) {
      const where = site();
      const workers = [
        await startWorkerProcess(where, recovery),
        await startWorkerProcess(where, recovery),
      ];
      const coordinator = startCoordinator(where, "fault");
      const victim = await victimOf(workers);
      victim.child.kill("SIGKILL");
      const summary = await summaryOf(coordinator);
      return { where, workers, victim, summary };
    }

    beforeAll(() => {
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), "fw-faults-"));
    });

    afterEach(async (context) => {
      if (context.task.result?.state === "fail") console.error(outputs());
      await stopAll();
      await Promise.all(sites.map((s) => deleteKeys(s.prefix)));
      sites = [];
    });

    afterAll(async () => {
      await dropSchemasAndDisconnect(schemas);
      rmSync(dir, { recursive: true, force: true });
    });

    it("a worker killed with kill -9 mid-task: another worker runs the same attempt and the run completes exactly", async () => {
      const { where, workers, victim, summary } = await runKillingTheVictim(QUICK_RECOVERY);
      expect(summary.status).toBe("COMPLETED");
      expect(summary.results).toEqual({ after: "before+victim+after" });
      expect(summary.attempts.victim).toBe(1);
      const survivor = workers.find((w) => w !== victim) as Proc;
      const starts = readFileSync(where.sideLog, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("victim-start "));
      expect(starts).toEqual([`victim-start ${victim.pid} 1`, `victim-start ${survivor.pid} 1`]);
      const store = storeOf(where);
      try {
        const attempts = (await store.listAttempts(summary.runId)).filter(
          (a) => a.task === "victim",
        );
        expect(attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "COMPLETED"]]);
        const states = await store.listTaskStates("bullmq_fault");
        expect(states.find((s) => s.task === "victim")).toMatchObject({
          status: "COMPLETED",
          attempts: 1,
        });
      } finally {
        await store.close();
      }
    });

    it("past maxStalledCount the attempt fails with WORKER_LOST and the task's own retry runs it", async () => {
      const { where, summary } = await runKillingTheVictim([
        ...QUICK_RECOVERY,
        "--max-stalled",
        "0",
      ]);
      expect(summary.status).toBe("COMPLETED");
      expect(summary.results).toEqual({ after: "before+victim+after" });
      expect(summary.attempts.victim).toBe(2);
      const store = storeOf(where);
      try {
        const attempts = (await store.listAttempts(summary.runId)).filter(
          (a) => a.task === "victim",
        );
        expect(attempts.map((a) => [a.attempt, a.status, a.error?.code])).toEqual([
          [1, "FAILED", "WORKER_LOST"],
          [2, "COMPLETED", undefined],
        ]);
        expect(attempts[0]?.error?.message).toMatch(
          /stopped answering .* more than maxStalledCount \(0\)/,
        );
      } finally {
        await store.close();
      }
    });

    it("the coordinator killed mid-run: the next one resumes from the store without redoing a stored completion", async () => {
      const where = site({ FW_DAG_SEED: "7", FW_DAG_SIZE: "150" });
      await startWorkerProcess(where, ["--concurrency", "8"]);
      await startWorkerProcess(where, ["--concurrency", "8"]);
      const first = startCoordinator(where, "distributed", { FW_SELF_KILL_AFTER: "60" });
      expect((await first.exited).signal).toBe("SIGKILL");
      const store = storeOf(where);
      let stored: Set<string>;
      try {
        const states = await store.listTaskStates("bullmq_distributed", "default");
        stored = new Set(states.filter((s) => s.status === "COMPLETED").map((s) => s.task));
      } finally {
        await store.close();
      }
      expect(stored.size).toBeGreaterThanOrEqual(60);
      expect(stored.size).toBeLessThan(150);

      const summary = await summaryOf(startCoordinator(where, "distributed"));
      expect(summary.status).toBe("COMPLETED");
      expect(summary.wrong).toEqual([]);
      expect(summary.restored).toBe(stored.size);
      const rerun = ranLines(readFileSync(where.sideLog, "utf8")).filter(
        (line) => line.runId === summary.runId,
      );
      expect(rerun.filter((line) => stored.has(line.task))).toEqual([]);
      expect(new Set(rerun.map((line) => line.task)).size).toBe(150 - stored.size);
    });
  },
);
