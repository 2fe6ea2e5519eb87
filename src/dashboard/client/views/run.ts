import type { RunResponse, RunTaskStatusName, TaskResponse } from "../../api-types.js";
import { apiPath, getJson } from "../api.js";
import { card, errorBlock, runDuration, statusBadge } from "../components.js";
import { dagView, edgesUnknownNote } from "../dag.js";
import { h } from "../dom.js";
import { formatTime, shortId, statusLabel } from "../format.js";
import { noTaskPanel, taskPanel } from "../task-panel.js";
import { timelineView } from "../timeline.js";
import { breadcrumb, type View } from "./workflows.js";

const LEGEND: readonly RunTaskStatusName[] = [
  "COMPLETED",
  "RUNNING",
  "FAILED",
  "SKIPPED",
  "PENDING",
];

/** The Run view: header, graph, timeline, and the selected task's details. */
export async function runView(runId: string, selectedTask: string | undefined): Promise<View> {
  const [data, task] = await Promise.all([
    getJson<RunResponse>(apiPath("runs", runId)),
    selectedTask === undefined
      ? undefined
      : getJson<TaskResponse>(apiPath("runs", runId, "tasks", selectedTask)),
  ]);
  const { run } = data;
  const node = h(
    "div",
    { class: "page run-page", "data-run": run.runId, "data-status": run.status },
    breadcrumb(
      [
        ["Workflows", "#/"],
        [run.workflow, `#/workflows/${encodeURIComponent(run.workflow)}`],
      ],
      `Run ${shortId(run.runId)}`,
    ),
    h(
      "div",
      { class: "run-header" },
      h("div", { class: "run-title" }, h("h1", null, run.workflow), statusBadge(run.status)),
      h(
        "dl",
        { class: "run-facts" },
        fact("Run", h("span", { class: "mono", title: run.runId }, run.runId)),
        fact("Run key", h("code", null, run.runKey)),
        fact("Started", formatTime(run.startedAt)),
        fact("Duration", runDuration(run)),
        fact("Tasks", tally(data)),
      ),
    ),
    run.error && run.status !== "COMPLETED" ? errorBlock(run.error, "Run error") : null,
    card(
      "Graph",
      [
        data.graphKnown ? null : edgesUnknownNote(),
        h("div", { class: "dag-scroll", "data-scroll-key": "dag" }, dagView(data, selectedTask)),
      ],
      { actions: legend(), className: "graph-card" },
    ),
    h(
      "div",
      { class: "run-grid" },
      card("Timeline", [timelineView(data, selectedTask)], { className: "timeline-card" }),
      task ? taskPanel(task) : noTaskPanel(),
    ),
  );
  return { node, title: `${run.workflow} · run ${shortId(run.runId)}`, store: data.store };
}

function fact(term: string, value: Node | string): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, value)];
}

function tally(data: RunResponse): string {
  const counts = new Map<string, number>();
  for (const t of data.tasks) {
    const key = t.restored ? "restored" : statusLabel(t.status).toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ") || "none";
}

function legend(): HTMLElement {
  return h(
    "ul",
    { class: "legend", "aria-label": "Status colours" },
    LEGEND.map((status) =>
      h("li", null, h("span", { class: `dot status-${status}` }), statusLabel(status)),
    ),
  );
}
