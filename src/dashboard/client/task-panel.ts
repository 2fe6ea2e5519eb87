import type { AttemptView, TaskResponse } from "../api-types.js";
import { errorBlock, errorLine, runLink, statusBadge } from "./components.js";
import { h } from "./dom.js";
import { formatDuration, formatOffset, formatTime, shortId } from "./format.js";

/** The panel beside the Run view's graph when no task is selected. */
export function noTaskPanel(): HTMLElement {
  return h(
    "aside",
    { class: "card task-panel empty-panel" },
    h("h2", null, "Task details"),
    h(
      "p",
      { class: "muted" },
      "Select a task in the graph or the timeline to see its attempts, errors and result.",
    ),
  );
}

/** One task of a run: facts, last error with its stack, every attempt, the stored result. */
export function taskPanel(data: TaskResponse): HTMLElement {
  const { task, state, result } = data;
  const lastError = data.attempts.findLast((a) => a.error)?.error ?? task.error;
  const fromOtherRun = state !== null && state.runId !== data.run.runId;
  return h(
    "aside",
    { class: "card task-panel", "data-task": task.name, "data-status": task.status },
    h(
      "header",
      { class: "task-head" },
      h("h2", { class: "task-title" }, task.name),
      statusBadge(task.status, task.restored ? "restored" : undefined),
    ),
    task.description ? h("p", { class: "description muted" }, task.description) : null,
    h(
      "dl",
      { class: "facts" },
      fact("Attempts", String(task.attempts)),
      fact("Duration", formatDuration(task.duration)),
      fact("Started", formatTime(task.startedAt)),
      fact("Finished", formatTime(task.finishedAt)),
      task.dependsOn
        ? fact("Depends on", task.dependsOn.length ? task.dependsOn.join(", ") : "nothing")
        : null,
    ),
    task.restored
      ? h(
          "p",
          { class: "note" },
          "Completed by an earlier run and reused by this one, so it did not run again.",
        )
      : null,
    lastError && task.status !== "COMPLETED" ? errorBlock(lastError, "Error") : null,
    h("h3", null, `Attempts in this run (${data.attempts.length})`),
    data.attempts.length ? attemptsTable(data.attempts) : h("p", { class: "muted" }, "None."),
    lastError && task.status === "COMPLETED"
      ? errorBlock(lastError, "Error of an earlier attempt")
      : null,
    h("h3", null, "Stored result"),
    result
      ? h(
          "div",
          { class: "result" },
          h(
            "p",
            { class: "muted result-meta" },
            h("code", null, result.type),
            result.truncated ? " · truncated" : null,
            result.runId !== data.run.runId
              ? [" · from run ", h("span", { class: "mono" }, shortId(result.runId))]
              : null,
          ),
          h("pre", { class: "result-preview" }, result.preview),
        )
      : h(
          "p",
          { class: "muted" },
          task.status === "COMPLETED" ? "No result stored." : "None: the task has not completed.",
        ),
    fromOtherRun
      ? h(
          "p",
          { class: "note" },
          `The stored state of this task now comes from a later run (${shortId(state.runId)}, ${state.status.toLowerCase()}). `,
          runLink({ ...data.run, runId: state.runId }),
        )
      : null,
  );
}

function fact(term: string, value: string): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, value)];
}

function attemptsTable(attempts: readonly AttemptView[]): HTMLElement {
  const start = attempts[0]?.startedAt ?? 0;
  return h(
    "table",
    { class: "table attempts-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "#"),
        h("th", null, "Status"),
        h("th", { class: "num" }, "Start"),
        h("th", { class: "num" }, "Duration"),
        h("th", null, "Error"),
      ),
    ),
    h(
      "tbody",
      null,
      attempts.map((a) =>
        h(
          "tr",
          { "data-attempt": a.attempt, "data-status": a.status },
          h("td", null, String(a.attempt)),
          h("td", null, statusBadge(a.status)),
          h(
            "td",
            { class: "num", title: formatTime(a.startedAt) },
            a.startedAt === start ? "+0 ms" : `+${formatOffset(a.startedAt - start)}`,
          ),
          h("td", { class: "num" }, a.duration === null ? "running" : formatDuration(a.duration)),
          h("td", { class: "error-cell", title: errorLine(a.error) }, errorLine(a.error)),
        ),
      ),
    ),
  );
}
