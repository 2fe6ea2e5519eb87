import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  ErrorResponse,
  RunResponse,
  RunsResponse,
  TaskResponse,
  WorkflowResponse,
  WorkflowsResponse,
} from "../../src/dashboard/api-types.js";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import { SQLiteStateStore } from "../../src/index.js";
import { type Fixture, fillStore, XSS } from "./fixtures.js";
import { buildAssets, removeDir, tempDir } from "./helpers.js";

let dir: string;
let store: SQLiteStateStore;
let fixture: Fixture;
let dashboard: Dashboard;

beforeAll(async () => {
  dir = tempDir();
  const assetsDir = await buildAssets(dir);
  // Runs write through one store object; the dashboard reads through another, as it
  // would from another process.
  const writer = new SQLiteStateStore(path.join(dir, "state.db"));
  fixture = await fillStore(writer, { executor: "sequential" });
  await writer.close();
  store = new SQLiteStateStore(path.join(dir, "state.db"));
  dashboard = await startDashboard({ store, port: 0, assetsDir, workflows: fixture.workflows });
});

afterAll(async () => {
  await dashboard?.close();
  await store?.close();
  removeDir(dir);
});

async function get<T>(apiPath: string): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(new URL(apiPath, dashboard.url));
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

const enc = encodeURIComponent;

describe("GET /api/workflows", () => {
  it("lists every workflow with its tasks' current states and recent runs, as stored", async () => {
    const { status, body } = await get<WorkflowsResponse>("/api/workflows");
    expect(status).toBe(200);
    expect(body.store).toBe(store.location);
    expect(body.workflows.map((w) => w.name)).toEqual([
      XSS.workflow,
      "customer_data_etl",
      "nightly_report",
    ]);
    for (const workflow of body.workflows) {
      const states = await store.listTaskStates(workflow.name);
      const shown = workflow.partitions.flatMap((p) =>
        p.tasks.map((t) => [p.runKey, t.task, t.status, t.attempts]),
      );
      expect(shown.sort()).toEqual(
        states.map((s) => [s.runKey, s.task, s.status, s.attempts]).sort(),
      );
      const runs = await store.listRuns({ workflow: workflow.name });
      expect(workflow.recentRuns.map((r) => [r.runId, r.status])).toEqual(
        runs.map((r) => [r.runId, r.status]),
      );
      expect(workflow.lastRun?.runId).toBe(runs[0]?.runId);
      expect(workflow.graphKnown).toBe(true);
    }
  });

  it("gives durations in seconds, descriptions from the workflow files, newest run key first", async () => {
    const { body } = await get<WorkflowsResponse>("/api/workflows");
    const etl = body.workflows.find((w) => w.name === "customer_data_etl");
    expect(etl?.description).toBe("CRM and billing exports into the warehouse");
    expect(etl?.lastRun?.status).toBe("COMPLETED");
    const run = etl?.lastRun;
    expect(run?.duration).toBe(((run?.finishedAt ?? 0) - (run?.startedAt ?? 0)) / 1000);
    const report = body.workflows.find((w) => w.name === "nightly_report");
    expect(report?.partitions.map((p) => p.runKey)).toEqual([
      "2026-11-25",
      "2026-11-24",
      "2026-11-23",
      "2026-11-22",
    ]);
    expect(report?.partitions[1]?.counts).toEqual({ COMPLETED: 1, FAILED: 1, SKIPPED: 1 });
  });
});

describe("GET /api/workflows/:name and /api/runs", () => {
  it("answers one workflow (names with HTML in them too) with its runs, newest first", async () => {
    const { status, body } = await get<WorkflowResponse>(`/api/workflows/${enc(XSS.workflow)}`);
    expect(status).toBe(200);
    expect(body.workflow.name).toBe(XSS.workflow);
    expect(body.workflow.description).toBe(XSS.description);
    expect(body.runs.map((r) => r.runId)).toEqual([fixture.runs.xss]);
  });

  it("lists runs of one workflow up to a limit", async () => {
    const { body } = await get<RunsResponse>("/api/runs?workflow=nightly_report&limit=2");
    expect(body.runs.map((r) => r.runId)).toEqual([fixture.runs.report4, fixture.runs.report3]);
    const all = await get<RunsResponse>("/api/runs");
    expect(all.body.runs).toHaveLength(7);
  });

  it("refuses a bad limit (400) and names what is unknown (404)", async () => {
    const bad = await get<ErrorResponse>("/api/runs?limit=abc");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: "BAD_QUERY",
      message: '?limit= takes a whole number from 1 to 500; got "abc".',
    });
    expect((await get<ErrorResponse>("/api/runs?limit=0")).status).toBe(400);
    expect((await get<ErrorResponse>("/api/runs?limit=501")).status).toBe(400);
    const missing = await get<ErrorResponse>("/api/workflows/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('no workflow named "nope"');
    const noRun = await get<ErrorResponse>("/api/runs/no-such-run");
    expect(noRun.status).toBe(404);
    expect(noRun.body.error.message).toContain('no run with id "no-such-run"');
    const noEndpoint = await get<ErrorResponse>("/api/nothing");
    expect(noEndpoint.status).toBe(404);
    expect(noEndpoint.body.error.code).toBe("NOT_FOUND");
  });
});

describe("GET /api/runs/:runId", () => {
  it("shows a failed run: every attempt, retries, the failure and the skipped dependent", async () => {
    const { status, body } = await get<RunResponse>(`/api/runs/${fixture.runs.etlFailed}`);
    expect(status).toBe(200);
    expect(body.run.status).toBe("FAILED");
    expect(body.run.error?.message).toContain('1 task failed ("refresh_dashboards")');
    expect(body.graphKnown).toBe(true);
    const statuses = Object.fromEntries(body.tasks.map((t) => [t.name, [t.status, t.attempts]]));
    expect(statuses).toEqual({
      extract_from_crm: ["COMPLETED", 1],
      extract_from_billing: ["COMPLETED", 1],
      validate_records: ["COMPLETED", 2],
      transform_customers: ["COMPLETED", 1],
      load_warehouse: ["COMPLETED", 1],
      send_report: ["COMPLETED", 1],
      refresh_dashboards: ["FAILED", 1],
      notify_team: ["SKIPPED", 0],
    });
    expect(body.tasks.find((t) => t.name === "validate_records")?.dependsOn).toEqual([
      "extract_from_crm",
      "extract_from_billing",
    ]);
    const attempts = await store.listAttempts(fixture.runs.etlFailed);
    expect(
      body.attempts.map((a) => [a.task, a.attempt, a.status, a.startedAt, a.finishedAt]),
    ).toEqual(attempts.map((a) => [a.task, a.attempt, a.status, a.startedAt, a.finishedAt]));
    const retried = body.attempts.filter((a) => a.task === "validate_records");
    expect(retried.map((a) => a.status)).toEqual(["FAILED", "COMPLETED"]);
    expect(retried[0]?.error).toEqual({
      name: "TypeError",
      message: "3 records have no email address",
      code: null,
      stack: null,
    });
  });

  it("shows the resumed run's reused completions as restored", async () => {
    const { body } = await get<RunResponse>(`/api/runs/${fixture.runs.etlResumed}`);
    expect(body.run.status).toBe("COMPLETED");
    const byName = new Map(body.tasks.map((t) => [t.name, t]));
    expect(byName.get("extract_from_crm")).toMatchObject({ status: "COMPLETED", restored: true });
    expect(byName.get("refresh_dashboards")).toMatchObject({
      status: "COMPLETED",
      restored: false,
      attempts: 1,
    });
    expect(byName.get("notify_team")).toMatchObject({ status: "COMPLETED", restored: false });
    expect(body.attempts.map((a) => a.task).sort()).toEqual(["notify_team", "refresh_dashboards"]);
  });
});

describe("GET /api/runs/:runId/tasks/:task", () => {
  it("gives a task's attempts with stacks, its duration and a preview of its result", async () => {
    const { status, body } = await get<TaskResponse>(
      `/api/runs/${fixture.runs.etlFailed}/tasks/validate_records`,
    );
    expect(status).toBe(200);
    expect(body.task).toMatchObject({ name: "validate_records", status: "COMPLETED", attempts: 2 });
    expect(body.attempts[0]?.error?.stack).toMatch(
      /^TypeError: 3 records have no email address\n\s+at /,
    );
    expect(body.state?.duration).toBeTypeOf("number");
    expect(body.result).toEqual({
      runId: fixture.runs.etlFailed,
      type: "object",
      preview: "{ valid: 2, rejected: 0 }",
      truncated: false,
    });
  });

  it("renders Dates, Maps and BigInts as themselves", async () => {
    const crm = await get<TaskResponse>(
      `/api/runs/${fixture.runs.etlFailed}/tasks/extract_from_crm`,
    );
    expect(crm.body.result?.type).toBe("Array(2)");
    expect(crm.body.result?.preview).toContain("since: 2024-03-01T00:00:00.000Z");
    const billing = await get<TaskResponse>(
      `/api/runs/${fixture.runs.etlFailed}/tasks/extract_from_billing`,
    );
    expect(billing.body.result?.type).toBe("Map(2)");
    expect(billing.body.result?.preview).toContain("'ada@example.com' => 1250n");
  });

  it("gives a failed task's error with its stack and no result", async () => {
    const { body } = await get<TaskResponse>(
      `/api/runs/${fixture.runs.xss}/tasks/${enc(XSS.task)}`,
    );
    expect(body.task.status).toBe("FAILED");
    expect(body.task.error?.message).toBe(XSS.error);
    expect(body.attempts[0]?.error?.stack).toContain(XSS.error);
    expect(body.result).toBeNull();
    const other = await get<TaskResponse>(
      `/api/runs/${fixture.runs.xss}/tasks/${enc(XSS.resultTask)}`,
    );
    expect(other.body.result?.preview).toBe(XSS.result);
  });

  it("404s for a task the run does not know", async () => {
    const { status, body } = await get<ErrorResponse>(`/api/runs/${fixture.runs.xss}/tasks/nope`);
    expect(status).toBe(404);
    expect(body.error.message).toContain('no task "nope"');
  });
});
