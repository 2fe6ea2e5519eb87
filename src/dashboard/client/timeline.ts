import type { AttemptView, RunResponse, RunTaskView } from "../api-types.js";
import { errorLine } from "./components.js";
import { h, route } from "./dom.js";
import { formatDuration, formatOffset, statusLabel } from "./format.js";

/**
 * A Gantt chart of every attempt in the run: one row per task in the order tasks started,
 * one bar per attempt from its start to its end (to now while it runs), coloured by
 * outcome, so retries show as several bars in a row with the retry delay between them.
 * Positions are percentages of the run's span, so the chart follows the page's width.
 */
export function timelineView(data: RunResponse, selected: string | undefined): HTMLElement {
  const now = Date.now();
  const start = data.run.startedAt;
  const end = Math.max(
    data.run.finishedAt ?? now,
    ...data.attempts.map((a) => a.finishedAt ?? now),
  );
  const span = Math.max(end - start, 1);
  const at = (ms: number) => Math.min(100, Math.max(0, ((ms - start) / span) * 100));
  const ticks = tickOffsets(span);

  const byTask = new Map<string, AttemptView[]>();
  for (const a of data.attempts) {
    const list = byTask.get(a.task);
    if (list) list.push(a);
    else byTask.set(a.task, [a]);
  }
  const rows = [...data.tasks].sort(
    (a, b) => firstStart(byTask.get(a.name)) - firstStart(byTask.get(b.name)),
  );

  return h(
    "div",
    { class: "timeline", role: "table", "aria-label": "Timeline of attempts" },
    h(
      "div",
      { class: "tl-axis", role: "row" },
      h("div", { class: "tl-label-head", role: "columnheader" }, "Task"),
      h(
        "div",
        { class: "tl-axis-track", role: "columnheader" },
        ticks.map((offset) =>
          positioned(h("span", { class: "tl-tick" }, formatOffset(offset)), {
            "--at": at(start + offset),
          }),
        ),
      ),
    ),
    h(
      "div",
      { class: "tl-rows" },
      h(
        "div",
        { class: "tl-grid", "aria-hidden": "true" },
        ticks.map((offset) =>
          positioned(h("span", { class: "tl-gridline" }), { "--at": at(start + offset) }),
        ),
      ),
      rows.map((task) =>
        row(data, task, byTask.get(task.name) ?? [], at, now, task.name === selected),
      ),
    ),
  );
}

function row(
  data: RunResponse,
  task: RunTaskView,
  attempts: readonly AttemptView[],
  at: (ms: number) => number,
  now: number,
  selected: boolean,
): HTMLElement {
  const many = attempts.length > 1;
  return h(
    "div",
    {
      class: `tl-row${selected ? " selected" : ""}`,
      role: "row",
      "data-task": task.name,
      "data-status": task.status,
    },
    h(
      "a",
      {
        class: "tl-label",
        href: route("runs", data.run.runId, "tasks", task.name),
        title: task.name,
        role: "rowheader",
      },
      h("span", { class: `dot status-${task.status}`, "aria-hidden": "true" }),
      h("span", { class: "tl-name" }, task.name),
    ),
    h(
      "div",
      { class: "tl-track", role: "cell" },
      attempts.length
        ? attempts.map((a) => {
            const left = at(a.startedAt);
            const right = at(a.finishedAt ?? now);
            const tip = [
              `${task.name} · attempt ${a.attempt}`,
              `${statusLabel(a.status)} · ${formatDuration(a.duration ?? (now - a.startedAt) / 1000)}`,
              errorLine(a.error),
            ]
              .filter(Boolean)
              .join("\n");
            return positioned(
              h(
                "a",
                {
                  class: `tl-bar status-${a.status}`,
                  href: route("runs", data.run.runId, "tasks", task.name),
                  title: tip,
                  "data-task": a.task,
                  "data-attempt": a.attempt,
                  "data-status": a.status,
                },
                many ? h("span", { class: "tl-bar-label" }, `#${a.attempt}`) : null,
              ),
              { "--at": left, "--len": Math.max(right - left, 0) },
            );
          })
        : h("span", { class: "tl-note" }, note(task)),
    ),
  );
}

function note(task: RunTaskView): string {
  if (task.restored) return "restored from an earlier run";
  if (task.status === "SKIPPED") return "skipped";
  if (task.status === "PENDING") return "waiting";
  return statusLabel(task.status).toLowerCase();
}

/** Sets CSS custom properties (positions in percent) through the CSSOM, which the CSP allows. */
function positioned<T extends HTMLElement>(element: T, vars: Readonly<Record<string, number>>): T {
  for (const [name, value] of Object.entries(vars)) element.style.setProperty(name, String(value));
  return element;
}

function firstStart(attempts: readonly AttemptView[] | undefined): number {
  return attempts?.[0]?.startedAt ?? Number.POSITIVE_INFINITY;
}

/** Round offsets (1, 2, 2.5 or 5 times a power of ten) giving about six ticks over `span` ms. */
function tickOffsets(span: number): number[] {
  const rough = span / 6;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  for (let t = 0; t <= span + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}
