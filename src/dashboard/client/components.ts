import type { ApiError, RunSummary } from "../api-types.js";
import { h, route, s } from "./dom.js";
import {
  type AnyStatus,
  formatAgo,
  formatDuration,
  formatTime,
  shortId,
  statusLabel,
} from "./format.js";

/** A coloured status pill; `data-status` carries the raw status for tests and styles. */
export function statusBadge(status: AnyStatus, extra?: string): HTMLElement {
  return h(
    "span",
    { class: `badge status-${status}`, "data-status": status },
    h("span", { class: "dot", "aria-hidden": "true" }),
    statusLabel(status),
    extra ? h("span", { class: "badge-extra" }, extra) : null,
  );
}

/** A card: a titled panel. */
export function card(
  title: string | Node,
  body: readonly (Node | null | false)[],
  options: { readonly actions?: Node | null; readonly className?: string } = {},
): HTMLElement {
  return h(
    "section",
    { class: `card ${options.className ?? ""}`.trim() },
    h("header", { class: "card-header" }, h("h2", null, title), options.actions ?? null),
    h("div", { class: "card-body" }, ...body),
  );
}

/** Time since `since`, kept current by the page's ticker while a run is in progress. */
export function elapsed(since: number): HTMLElement {
  return h(
    "span",
    { class: "elapsed", "data-since": since },
    formatDuration((Date.now() - since) / 1000),
  );
}

/** A run's duration, or a ticking elapsed time while it runs. */
export function runDuration(run: RunSummary): Node {
  return run.status === "RUNNING"
    ? elapsed(run.startedAt)
    : document.createTextNode(formatDuration(run.duration));
}

/** The recent runs as bars, oldest left: height by duration, colour by status, each a link. */
export function sparkline(runs: readonly RunSummary[]): SVGSVGElement {
  const width = 168;
  const height = 36;
  const gap = 2;
  const slots = 20;
  const barWidth = (width - gap * (slots - 1)) / slots;
  const now = Date.now();
  const durationOf = (r: RunSummary) => r.duration ?? (now - r.startedAt) / 1000;
  const longest = Math.max(...runs.map(durationOf), 0.001);
  const chronological = [...runs].reverse().slice(-slots);
  const offset = slots - chronological.length;
  return s(
    "svg",
    {
      class: "sparkline",
      viewBox: `0 0 ${width} ${height}`,
      // Stretched to the column's width; bars are rectangles, so stretching keeps them clean.
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": `Last ${chronological.length} runs`,
    },
    s("line", { class: "spark-base", x1: 0, x2: width, y1: height - 0.5, y2: height - 0.5 }),
    chronological.map((run, i) => {
      const barHeight = Math.max(4, (durationOf(run) / longest) * (height - 2));
      return s(
        "a",
        { href: route("runs", run.runId), "data-run": run.runId },
        s(
          "rect",
          {
            class: `spark-bar status-${run.status}`,
            x: (offset + i) * (barWidth + gap),
            y: height - barHeight,
            width: barWidth,
            height: barHeight,
            rx: 1.5,
          },
          s(
            "title",
            null,
            `Run ${shortId(run.runId)} · ${statusLabel(run.status)} · ${formatDuration(run.duration)} · ${formatTime(run.startedAt)}`,
          ),
        ),
      );
    }),
  );
}

/** One line of an error: `TypeError: flaky` (the stack, where shown, goes in its own block). */
export function errorLine(error: ApiError | null): string {
  if (!error) return "";
  return `${error.name}: ${error.message}`;
}

/** An error with its code and stack, for the task panel and a failed run. */
export function errorBlock(error: ApiError, title = "Error"): HTMLElement {
  return h(
    "div",
    { class: "error-block" },
    h(
      "div",
      { class: "error-head" },
      h("span", { class: "error-title" }, title),
      error.code ? h("code", { class: "error-code" }, error.code) : null,
    ),
    h("p", { class: "error-message" }, h("strong", null, `${error.name}: `), error.message),
    error.stack ? h("pre", { class: "stack" }, error.stack) : null,
  );
}

/** A run's id linking to its page. */
export function runLink(run: RunSummary): HTMLElement {
  return h(
    "a",
    { class: "run-link mono", href: route("runs", run.runId), title: run.runId },
    shortId(run.runId),
  );
}

/** A time, relative ("3 minutes ago", kept current by the page's ticker), exact on hover. */
export function when(ms: number | null): HTMLElement {
  return h(
    "time",
    {
      title: formatTime(ms),
      datetime: ms === null ? null : new Date(ms).toISOString(),
      "data-ago": ms,
    },
    formatAgo(ms),
  );
}

/** A friendly block for "nothing here yet". */
export function emptyState(title: string, ...lines: (string | Node)[]): HTMLElement {
  return h(
    "div",
    { class: "empty" },
    h("h2", null, title),
    ...lines.map((line) => h("p", null, line)),
  );
}
