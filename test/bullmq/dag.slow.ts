/**
 * One coordinator and three `flowweaver worker` processes on a 500-task seeded DAG, with
 * the state in PostgreSQL: every result exact, every task run once and its completion
 * recorded once, and the work spread over the three workers.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStateStore } from "../../src/index.js";
import { ensureBuilt } from "../cli/support/cli.js";
import { dropSchemasAndDisconnect, schemaPrefix } from "../stores/postgres-helpers.js";
import { POSTGRES_URL, service } from "../support/services.js";
import {
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
const SIZE = 500;

describe.skipIf(!redis.up || !postgres.up)(
  `BullMQ multi-process DAG${redis.note}${postgres.note}`,
  () => {
    let dir: string;
    let where: Site;

    beforeAll(() => {
      ensureBuilt();
      dir = mkdtempSync(join(tmpdir(), "fw-dag-"));
      where = {
        prefix: uniquePrefix("dag"),
        schema: `${schemaPrefix("dag")}_run`,
        sideLog: join(dir, "side.log"),
        env: { FW_DAG_SEED: "20261125", FW_DAG_SIZE: String(SIZE) },
      };
      writeFileSync(where.sideLog, "");
    });

    afterAll(async () => {
      await stopAll();
      await deleteKeys(where.prefix);
      await dropSchemasAndDisconnect(where.schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it(`a coordinator and three worker processes run a ${SIZE}-task DAG exactly`, async () => {
      const workers = await Promise.all(
        [1, 2, 3].map(() => startWorkerProcess(where, ["--concurrency", "6"])),
      );
      const summary = await summaryOf(
        startCoordinator(where, "distributed", { FW_CONCURRENCY: "60" }),
      );
      expect(summary.status).toBe("COMPLETED");
      expect(summary.wrong).toEqual([]);
      expect(Object.keys(summary.attempts)).toHaveLength(SIZE);
      expect(new Set(Object.values(summary.attempts))).toEqual(new Set([1]));

      const ran = ranLines(readFileSync(where.sideLog, "utf8"));
      expect(ran).toHaveLength(SIZE);
      expect(new Set(ran.map((line) => line.task)).size).toBe(SIZE);
      expect(new Set(ran.map((line) => line.pid))).toEqual(new Set(workers.map((w) => w.pid)));

      const store = new PostgresStateStore(POSTGRES_URL, { schema: where.schema });
      try {
        const attempts = await store.listAttempts(summary.runId);
        const completed = attempts.filter((a) => a.status === "COMPLETED");
        expect(completed).toHaveLength(SIZE);
        expect(new Set(completed.map((a) => a.task)).size).toBe(SIZE);
        const states = await store.listTaskStates("bullmq_distributed", "default");
        expect(states.filter((s) => s.status === "COMPLETED")).toHaveLength(SIZE);
      } finally {
        await store.close();
      }
    });
  },
);
