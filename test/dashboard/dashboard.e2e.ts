import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import {
  AsyncExecutor,
  type AttemptRecord,
  SQLiteStateStore,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";
import { CHROMIUM } from "./e2e-setup.js";
import { deferred, type Fixture, fillStore, XSS } from "./fixtures.js";
import { removeDir, tempDir } from "./helpers.js";

const SCREENSHOTS = path.resolve("test-results/dashboard");
const BROWSER_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let dir: string;
let writer: SQLiteStateStore;
let reader: SQLiteStateStore;
let fixture: Fixture;
let dashboard: Dashboard;
let browser: Browser;

/** The live test's workflow: each task waits for the test to let it finish. */
const gates = { first: deferred(), second: deferred(), third: deferred() };
const live = new Workflow({ name: "live_pipeline", description: "Tasks that wait for the test" });
live.addTask(
  task("first", async () => {
    await gates.first.promise;
    return 1;
  }),
);
live.addTask(
  task("second", async () => {
    await gates.second.promise;
    return 2;
  }),
  { dependsOn: ["first"] },
);
live.addTask(
  task("third", async () => {
    await gates.third.promise;
    return 3;
  }),
  { dependsOn: ["second"] },
);

beforeAll(async () => {
  dir = tempDir();
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(dir, "state.db");
  // Runs write through one store object and the dashboard reads through another, as when
  // `flowweaver run` and `flowweaver ui` are two processes.
  writer = new SQLiteStateStore(file);
  fixture = await fillStore(writer, { executor: "async", workMs: 20 });
  reader = new SQLiteStateStore(file);
  dashboard = await startDashboard({
    store: reader,
    port: 0,
    assetsDir: inject("dashboardAssets"),
    workflows: [...fixture.workflows, live],
    logger: silentLogger,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await reader?.close();
  await writer?.close();
  removeDir(dir);
});

/** Problems the page reported: script errors, CSP violations, dialogs (XSS). */
let problems: string[] = [];
let pages: Page[] = [];

async function open(hash = ""): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  pages.push(page);
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${dashboard.url}${hash}`);
  return page;
}

afterEach(async () => {
  for (const page of pages) await page.close();
  pages = [];
  const seen = problems;
  problems = [];
  expect(seen).toEqual([]);
});

/** `data-*` values of every element matching `selector`. */
function dataOf(page: Page, selector: string, ...keys: string[]): Promise<string[][]> {
  return page.$$eval(
    selector,
    (elements, names) => elements.map((el) => names.map((n) => el.getAttribute(`data-${n}`) ?? "")),
    keys,
  );
}

const sorted = <T>(list: T[]) => [...list].sort();

describe("Workflows view", () => {
  it("shows each workflow's tasks, last run and recent runs as stored", async () => {
    const page = await open();
    await page.waitForSelector(`.workflow-card[data-workflow="nightly_report"]`);
    for (const name of ["customer_data_etl", "nightly_report", XSS.workflow]) {
      const card = `.workflow-card[data-workflow="${name.replaceAll('"', '\\"')}"]`;
      const runs = await reader.listRuns({ workflow: name });
      expect(await page.$eval(`${card} .last-run`, (el) => el.getAttribute("data-run"))).toBe(
        runs[0]?.runId,
      );
      expect(
        await page.$eval(`${card} .last-run .badge`, (el) => el.getAttribute("data-status")),
      ).toBe(runs[0]?.status);
      expect(await page.$$eval(`${card} .spark-bar`, (els) => els.length)).toBe(runs.length);
      // The newest run key's tasks are shown; compare them with the store.
      const states = await reader.listTaskStates(name, runs[0]?.runKey);
      const shown = await dataOf(
        page,
        `${card} .partition:first-child .tasks-table tbody tr`,
        "task",
        "status",
      );
      expect(sorted(shown.map((r) => r.join(" ")))).toEqual(
        sorted(states.map((s) => `${s.task} ${s.status}`)),
      );
    }
    expect(
      await page.$eval(
        ".workflow-card[data-workflow=live_pipeline] .workflow-last",
        (el) => el.textContent,
      ),
    ).toBe("Never run");
    await page.screenshot({
      path: path.join(SCREENSHOTS, "workflows.png"),
      fullPage: true,
      animations: "disabled",
    });
  });

  it("opens a workflow's page with every run", async () => {
    const page = await open("#/workflows/nightly_report");
    await page.waitForSelector(".runs-table");
    const runs = await reader.listRuns({ workflow: "nightly_report" });
    expect(await dataOf(page, ".runs-table tbody tr", "run", "status")).toEqual(
      runs.map((r) => [r.runId, r.status]),
    );
  });
});

describe("Run view", () => {
  it("draws the DAG coloured by status and a timeline of every attempt, as stored", async () => {
    const runId = fixture.runs.etlFailed as string;
    const page = await open(`#/runs/${runId}`);
    await page.waitForSelector(".dag .node");
    const attempts = await reader.listAttempts(runId);
    const lastAttempt = new Map<string, AttemptRecord>(attempts.map((a) => [a.task, a]));
    const nodes = await dataOf(page, ".dag .node", "task", "status", "attempts");
    expect(nodes).toHaveLength(8);
    for (const [name, status, count] of nodes) {
      const tried = attempts.filter((a) => a.task === name);
      // A task this failed run never attempted was skipped.
      expect(status).toBe(lastAttempt.get(name as string)?.status ?? "SKIPPED");
      expect(Number(count)).toBe(tried.length);
    }
    expect(await page.$$eval(".dag .edge", (els) => els.length)).toBe(7);
    expect(await page.$eval(".run-page", (el) => el.getAttribute("data-status"))).toBe("FAILED");

    // One bar per stored attempt, retries included, in start order along the axis.
    const bars = await dataOf(page, ".timeline .tl-bar", "task", "attempt", "status");
    expect(sorted(bars.map((b) => b.join(" ")))).toEqual(
      sorted(attempts.map((a) => `${a.task} ${a.attempt} ${a.status}`)),
    );
    const lefts = await page.$$eval('.tl-bar[data-task="validate_records"]', (els) =>
      els.map((el) => el.getBoundingClientRect().left),
    );
    expect(lefts).toHaveLength(2);
    expect(lefts[0]).toBeLessThan(lefts[1] as number);
    expect(
      await page.$eval('.tl-row[data-task="notify_team"] .tl-note', (el) => el.textContent),
    ).toBe("skipped");
  });

  it("shows a clicked task's attempts, error with stack, duration and result", async () => {
    const runId = fixture.runs.etlFailed as string;
    const page = await open(`#/runs/${runId}`);
    await page.click('.dag .node[data-task="validate_records"]');
    await page.waitForSelector('.task-panel[data-task="validate_records"]');
    expect(page.url()).toContain(`#/runs/${runId}/tasks/validate_records`);
    expect(await dataOf(page, ".task-panel .attempts-table tbody tr", "attempt", "status")).toEqual(
      [
        ["1", "FAILED"],
        ["2", "COMPLETED"],
      ],
    );
    const stack = await page.textContent(".task-panel .stack");
    expect(stack).toMatch(/^TypeError: 3 records have no email address\n\s+at /);
    expect(await page.textContent(".task-panel .result-preview")).toBe("{ valid: 2, rejected: 0 }");
    const state = (await reader.loadTaskStates("customer_data_etl", "default")).get(
      "validate_records",
    );
    expect(await page.textContent(".task-panel .facts")).toContain("Attempts2");
    expect(state?.attempts).toBe(2);
    expect(
      await page.$eval('.dag .node[data-task="validate_records"]', (el) =>
        el.classList.contains("selected"),
      ),
    ).toBe(true);
    await page.screenshot({
      path: path.join(SCREENSHOTS, "run.png"),
      fullPage: true,
      animations: "disabled",
    });

    // Clicking a bar in the timeline selects its task too.
    await page.click('.tl-bar[data-task="refresh_dashboards"]');
    await page.waitForSelector('.task-panel[data-task="refresh_dashboards"][data-status="FAILED"]');
    expect(await page.textContent(".task-panel .error-message")).toBe(
      "NonRetryableError: Dashboard service unavailable (HTTP 503)",
    );
    expect(await page.textContent(".task-panel .stack")).toContain("at ");
  });

  it("marks completions reused from an earlier run as restored", async () => {
    const page = await open(`#/runs/${fixture.runs.etlResumed}`);
    await page.waitForSelector(".dag .node");
    expect(
      await page.$$eval(".dag .node.restored", (els) =>
        els.map((el) => el.getAttribute("data-task")),
      ),
    ).toEqual([
      "extract_from_crm",
      "extract_from_billing",
      "validate_records",
      "transform_customers",
      "load_warehouse",
      "send_report",
    ]);
  });

  it("says so when the page names a run that does not exist", async () => {
    const page = await open("#/runs/no-such-run");
    await page.waitForSelector(".empty");
    expect(await page.textContent(".empty h2")).toBe("Not found");
    expect(await page.textContent(".empty")).toContain('no run with id "no-such-run"');
    // The browser logs the 404 answer itself; that one is expected.
    problems = problems.filter((p) => !p.includes("404"));
  });
});

describe("escaping", () => {
  it("shows HTML in names, descriptions, errors and results as text", async () => {
    const page = await open();
    await page.waitForSelector(".workflow-card");
    const runId = fixture.runs.xss as string;
    await page.goto(`${dashboard.url}#/runs/${runId}/tasks/${encodeURIComponent(XSS.task)}`);
    await page.waitForSelector(".task-panel[data-task]");
    expect(await page.textContent(".run-title h1")).toBe(XSS.workflow);
    expect(await page.textContent(".task-panel .task-title")).toBe(XSS.task);
    expect(await page.textContent(".task-panel .error-message")).toBe(`Error: ${XSS.error}`);
    expect(await page.$$eval(".dag .node-name", (els) => els.map((el) => el.textContent))).toEqual([
      XSS.resultTask,
      XSS.task,
    ]);
    await page.click(`.tl-row[data-task="${XSS.resultTask}"] .tl-label`);
    await page.waitForSelector(".task-panel .result-preview");
    expect(await page.textContent(".task-panel .result-preview")).toBe(XSS.result);
    expect(await page.textContent(".task-panel .description")).toBe(XSS.description);
    await page.goto(`${dashboard.url}#/`);
    await page.waitForSelector(".workflow-card");
    // Nothing the values hold became an element or ran.
    const made = {
      img: await page.$$eval("img", (els) => els.length),
      scripts: await page.$$eval("script", (els) => els.map((el) => el.getAttribute("src"))),
      handlers: await page.$$eval("[onerror], [onload]", (els) => els.length),
      bold: await page.$$eval("b", (els) => els.length),
    };
    expect(made).toEqual({ img: 0, scripts: ["/app.js"], handlers: 0, bold: 0 });
    await page.screenshot({
      path: path.join(SCREENSHOTS, "escaping.png"),
      fullPage: true,
      animations: "disabled",
    });
  });
});

describe("Live", () => {
  it("follows a run in progress without reloading", async () => {
    const page = await open();
    await page.waitForSelector(".workflow-card[data-workflow=live_pipeline]");
    // A marker on the page's global object: a reload would lose it.
    await page.evaluate(() => {
      (globalThis as { sameDocument?: boolean }).sameDocument = true;
    });
    const running = new AsyncExecutor({ stateStore: writer, logger: silentLogger }).execute(live);
    try {
      // The new run shows up on the page by itself.
      const lastRun = await page.waitForSelector(
        '.workflow-card[data-workflow=live_pipeline] .last-run .badge[data-status="RUNNING"]',
      );
      await lastRun.click();
      await page.waitForSelector('.dag .node[data-task="first"][data-status="RUNNING"]');
      expect(
        await page.$eval('.dag .node[data-task="second"]', (el) => el.getAttribute("data-status")),
      ).toBe("PENDING");
      await page.screenshot({
        path: path.join(SCREENSHOTS, "live-running.png"),
        fullPage: true,
        animations: "disabled",
      });

      gates.first.resolve();
      await page.waitForSelector('.dag .node[data-task="first"][data-status="COMPLETED"]');
      await page.waitForSelector('.dag .node[data-task="second"][data-status="RUNNING"]');
      await page.waitForSelector('.tl-bar[data-task="first"][data-status="COMPLETED"]');
      gates.second.resolve();
      gates.third.resolve();
      await page.waitForSelector('.run-page[data-status="COMPLETED"]');
      await page.waitForSelector('.dag .node[data-task="third"][data-status="COMPLETED"]');
      expect(
        await page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument),
      ).toBe(true);
      expect(await page.textContent("#live")).toBe("Live");
    } finally {
      gates.first.resolve();
      gates.second.resolve();
      gates.third.resolve();
      await running;
    }
  });
});

describe("without the workflow's file", () => {
  it("lays the tasks out unconnected and says how to get the edges", async () => {
    const bare = await startDashboard({
      store: reader,
      port: 0,
      assetsDir: inject("dashboardAssets"),
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    pages.push(page);
    try {
      await page.goto(`${bare.url}#/runs/${fixture.runs.report3}`);
      await page.waitForSelector(".dag .node");
      expect(await page.$$eval(".dag .node", (els) => els.length)).toBe(3);
      expect(await page.$$eval(".dag .edge", (els) => els.length)).toBe(0);
      expect(await page.textContent(".graph-card .note")).toContain("flowweaver ui --file");
    } finally {
      await page.close();
      pages = pages.filter((p) => p !== page);
      await bare.close();
    }
  });
});

describe("with a token", () => {
  it("takes the token from the address once, then works from its cookie, live included", async () => {
    const token = "e2e-token-0123456789abcdef";
    const guarded = await startDashboard({
      store: reader,
      port: 0,
      token,
      assetsDir: inject("dashboardAssets"),
    });
    const page = await browser.newPage();
    pages.push(page);
    try {
      await page.goto(`${guarded.url}?token=${token}`);
      await page.waitForSelector(".workflow-card");
      expect(page.url()).toBe(guarded.url);
      await page.waitForSelector('#live[data-state="live"]');
      await page.goto(`${guarded.url}#/runs/${fixture.runs.report1}`);
      await page.waitForSelector(".dag .node");
      const cookies = await page.context().cookies();
      expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
        [`flowweaver_token_${guarded.port}`, true, "Strict"],
      ]);
    } finally {
      await page.close();
      pages = pages.filter((p) => p !== page);
      await guarded.close();
    }
  });
});
