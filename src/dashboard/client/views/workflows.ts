import type {
  Partition,
  RunSummary,
  TaskStateView,
  WorkflowResponse,
  WorkflowSummary,
  WorkflowsResponse,
} from "../../api-types.js";
import { apiPath, getJson } from "../api.js";
import {
  card,
  emptyState,
  errorLine,
  runDuration,
  runLink,
  sparkline,
  statusBadge,
  when,
} from "../components.js";
import { h, route } from "../dom.js";
import { formatDuration, formatTime, plural } from "../format.js";

/** What a view drew, and what the page around it shows. */
export interface View {
  readonly node: Node;
  readonly title: string;
  readonly store: string;
}

/** The Workflows view: every workflow with its tasks' states and recent runs. */
export async function workflowsView(): Promise<View> {
  const data = await getJson<WorkflowsResponse>("/api/workflows");
  return { node: workflowsPage(data), title: "Workflows", store: data.store };
}

function workflowsPage(data: WorkflowsResponse): Node {
  if (data.workflows.length === 0) {
    return h(
      "div",
      { class: "page" },
      pageHeader("Workflows", data.store),
      emptyState(
        "No workflows yet",
        `Nothing has run with this store (${data.store}) so far.`,
        h(
          "span",
          null,
          "Run one with ",
          h("code", null, "flowweaver run FILE"),
          ": it shows up here while it runs.",
        ),
      ),
    );
  }
  return h(
    "div",
    { class: "page" },
    pageHeader("Workflows", `${plural(data.workflows.length, "workflow")} in ${data.store}`),
    data.workflows.map((w) => workflowCard(w, { link: true })),
  );
}

/** One workflow's page: its card and its run history. */
export async function workflowView(name: string): Promise<View> {
  const data = await getJson<WorkflowResponse>(`${apiPath("workflows", name)}?limit=100`);
  const node = h(
    "div",
    { class: "page" },
    breadcrumb([["Workflows", "#/"]], name),
    workflowCard(data.workflow, { link: false }),
    card(
      `Runs (${data.runs.length})`,
      [data.runs.length ? runsTable(data.runs) : h("p", { class: "muted" }, "No runs yet.")],
      { className: "runs-card" },
    ),
  );
  return { node, title: name, store: data.store };
}

export function pageHeader(title: string, subtitle: string): HTMLElement {
  return h(
    "div",
    { class: "page-header" },
    h("h1", null, title),
    h("p", { class: "muted" }, subtitle),
  );
}

export function breadcrumb(
  trail: readonly (readonly [string, string])[],
  current: string,
): HTMLElement {
  return h(
    "nav",
    { class: "breadcrumb", "aria-label": "Breadcrumb" },
    trail.map(([label, href]) => [
      h("a", { href }, label),
      h("span", { class: "sep", "aria-hidden": "true" }, "/"),
    ]),
    h("span", { class: "current" }, current),
  );
}

function workflowCard(workflow: WorkflowSummary, options: { readonly link: boolean }): HTMLElement {
  const last = workflow.lastRun;
  const title = options.link
    ? h("a", { href: route("workflows", workflow.name), class: "workflow-name" }, workflow.name)
    : h("span", { class: "workflow-name" }, workflow.name);
  return h(
    "section",
    { class: "card workflow-card", "data-workflow": workflow.name },
    h(
      "header",
      { class: "workflow-head" },
      h(
        "div",
        { class: "workflow-title" },
        h("h2", null, title),
        workflow.description ? h("p", { class: "muted description" }, workflow.description) : null,
      ),
      h(
        "div",
        { class: "workflow-last" },
        last
          ? [
              h(
                "a",
                { href: route("runs", last.runId), class: "last-run", "data-run": last.runId },
                statusBadge(last.status),
              ),
              h(
                "div",
                { class: "last-run-meta" },
                h("span", null, "Last run ", when(last.startedAt)),
                h("span", { class: "muted" }, " · ", runDuration(last)),
              ),
            ]
          : h("span", { class: "muted" }, "Never run"),
      ),
    ),
    h(
      "div",
      { class: "workflow-body" },
      h("div", { class: "workflow-tasks" }, partitionsView(workflow)),
      h(
        "aside",
        { class: "workflow-runs" },
        h("h3", null, "Recent runs"),
        workflow.recentRuns.length
          ? [sparkline(workflow.recentRuns), recentList(workflow.recentRuns.slice(0, 5))]
          : h("p", { class: "muted" }, "None yet."),
      ),
    ),
  );
}

/** The newest partition's tasks; other run keys folded away (there may be one per day). */
function partitionsView(workflow: WorkflowSummary): Node {
  const [newest, ...older] = workflow.partitions;
  if (!newest) return h("p", { class: "muted" }, "No task has stored a state yet.");
  const others = workflow.partitionCount - 1;
  const unlisted = workflow.partitionCount - workflow.partitions.length;
  return h(
    "div",
    null,
    partitionTable(newest, others > 0),
    others > 0
      ? h(
          "details",
          { class: "older-partitions", "data-keep-open": `partitions\u0000${workflow.name}` },
          h(
            "summary",
            null,
            `${plural(others, "other run key")}: ${older.map((p) => p.runKey).join(", ")}${unlisted > 0 ? ` and ${unlisted} older` : ""}`,
          ),
          older.map((p) => partitionTable(p, true)),
        )
      : null,
  );
}

function partitionTable(partition: Partition, showKey: boolean): HTMLElement {
  const counts = Object.entries(partition.counts)
    .map(([status, n]) => `${n} ${status.toLowerCase()}`)
    .join(", ");
  return h(
    "div",
    { class: "partition", "data-run-key": partition.runKey },
    h(
      "div",
      { class: "partition-head" },
      showKey
        ? h("h3", null, "Run key ", h("code", null, partition.runKey))
        : h("h3", null, "Tasks"),
      h("span", { class: "muted" }, counts),
    ),
    h(
      "table",
      { class: "table tasks-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", null, "Task"),
          h("th", null, "Status"),
          h("th", { class: "num" }, "Attempts"),
          h("th", { class: "num" }, "Duration"),
          h("th", null, "Finished"),
          h("th", null, "Last error"),
        ),
      ),
      h("tbody", null, partition.tasks.map(taskRow)),
    ),
  );
}

function taskRow(task: TaskStateView): HTMLElement {
  const error = errorLine(task.error);
  return h(
    "tr",
    { "data-task": task.task, "data-status": task.status },
    h(
      "td",
      null,
      h(
        "a",
        { href: route("runs", task.runId, "tasks", task.task), class: "task-name" },
        task.task,
      ),
    ),
    h("td", null, statusBadge(task.status)),
    h("td", { class: "num" }, task.attempts),
    h("td", { class: "num" }, formatDuration(task.duration)),
    h("td", null, when(task.finishedAt)),
    h("td", { class: "error-cell", title: error }, error),
  );
}

function recentList(runs: readonly RunSummary[]): HTMLElement {
  return h(
    "ol",
    { class: "recent-runs" },
    runs.map((run) =>
      h(
        "li",
        { "data-run": run.runId, "data-status": run.status },
        h("span", { class: `dot status-${run.status}`, title: run.status }),
        runLink(run),
        h("span", { class: "muted" }, when(run.startedAt)),
        h("span", { class: "muted num" }, runDuration(run)),
      ),
    ),
  );
}

function runsTable(runs: readonly RunSummary[]): HTMLElement {
  return h(
    "table",
    { class: "table runs-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Run"),
        h("th", null, "Run key"),
        h("th", null, "Status"),
        h("th", null, "Started"),
        h("th", { class: "num" }, "Duration"),
        h("th", null, "Error"),
      ),
    ),
    h(
      "tbody",
      null,
      runs.map((run) =>
        h(
          "tr",
          { "data-run": run.runId, "data-status": run.status },
          h("td", null, runLink(run)),
          h("td", null, h("code", null, run.runKey)),
          h("td", null, statusBadge(run.status)),
          h("td", { title: formatTime(run.startedAt) }, formatTime(run.startedAt)),
          h("td", { class: "num" }, runDuration(run)),
          h(
            "td",
            { class: "error-cell", title: run.error?.message ?? "" },
            run.error?.message ?? "",
          ),
        ),
      ),
    ),
  );
}
