import dagre from "@dagrejs/dagre";
import { curveBasis, line } from "d3-shape";
import type { RunResponse, RunTaskView } from "../api-types.js";
import { h, route, s } from "./dom.js";
import { formatDuration, plural, statusLabel } from "./format.js";

const NODE_HEIGHT = 54;
const MIN_WIDTH = 150;
const MAX_WIDTH = 260;
const PADDING_X = 18;
/** Must match the `.node-name` and `.node-meta` rules in app.css, so text fits its box. */
const NAME_FONT = "600 13px";
const META_FONT = "11.5px";

const edgePath = line<{ x: number; y: number }>()
  .x((p) => p.x)
  .y((p) => p.y)
  .curve(curveBasis);

/**
 * The run's DAG as SVG, laid out by dagre left to right. Each node is a link that selects
 * the task; it is coloured by status and shows attempts and duration. Without the
 * workflow's file the edges are unknown, and the tasks are laid out unconnected.
 */
export function dagView(run: RunResponse, selected: string | undefined): SVGSVGElement {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  const measure = measurer(NAME_FONT);
  const measureMeta = measurer(META_FONT);
  const labels = new Map<string, { name: string; width: number }>();
  for (const task of run.tasks) {
    const label = fitLabel(task.name, measure, measureMeta(nodeMeta(task)));
    labels.set(task.name, label);
    graph.setNode(task.name, { width: label.width, height: NODE_HEIGHT });
  }
  for (const task of run.tasks) {
    for (const dep of task.dependsOn ?? []) {
      if (graph.hasNode(dep)) graph.setEdge(dep, task.name);
    }
  }
  dagre.layout(graph);
  const { width = 0, height = 0 } = graph.graph();
  const byName = new Map(run.tasks.map((t) => [t.name, t]));

  const edges = graph.edges().map((e) => {
    const points = (graph.edge(e) as { points?: { x: number; y: number }[] }).points ?? [];
    const done = byName.get(e.v)?.status === "COMPLETED";
    return s("path", {
      class: `edge${done ? " edge-done" : ""}`,
      d: edgePath(points) ?? "",
      "marker-end": `url(#${done ? "arrow-done" : "arrow"})`,
      "data-from": e.v,
      "data-to": e.w,
    });
  });

  const nodes = run.tasks.map((task) => {
    const box = graph.node(task.name) as { x: number; y: number; width: number; height: number };
    const label = labels.get(task.name) ?? { name: task.name, width: box.width };
    return s(
      "a",
      { href: route("runs", run.run.runId, "tasks", task.name), class: "node-link" },
      s(
        "g",
        {
          class: `node status-${task.status}${task.name === selected ? " selected" : ""}${task.restored ? " restored" : ""}`,
          transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})`,
          "data-task": task.name,
          "data-status": task.status,
          "data-attempts": task.attempts,
        },
        s(
          "title",
          null,
          `${task.name}\n${nodeMeta(task)}${task.description ? `\n${task.description}` : ""}`,
        ),
        s("rect", { class: "node-box", width: box.width, height: box.height, rx: 8 }),
        s("rect", {
          class: "node-accent",
          x: 5,
          y: 9,
          width: 3.5,
          height: box.height - 18,
          rx: 1.75,
        }),
        s("text", { class: "node-name", x: PADDING_X, y: 22 }, label.name),
        s("text", { class: "node-meta", x: PADDING_X, y: 40 }, nodeMeta(task)),
      ),
    );
  });

  const svg = s(
    "svg",
    {
      class: "dag",
      width: Math.ceil(width),
      height: Math.ceil(height),
      viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
      role: "img",
      "aria-label": `Graph of ${plural(run.tasks.length, "task")}`,
    },
    s("defs", null, arrow("arrow"), arrow("arrow-done")),
    s("g", { class: "edges" }, edges),
    s("g", { class: "nodes" }, nodes),
  );
  svg.style.setProperty("--natural", String(Math.ceil(width)));
  return svg;
}

/** The line under a node's name: status, attempts, duration. */
function nodeMeta(task: RunTaskView): string {
  const parts = [task.restored ? "Restored" : statusLabel(task.status)];
  if (task.attempts > 1 || (task.status === "RUNNING" && task.attempts > 0)) {
    parts.push(plural(task.attempts, "attempt"));
  }
  if (task.duration !== null) parts.push(formatDuration(task.duration));
  return parts.join(" · ");
}

function arrow(id: string): SVGMarkerElement {
  return s(
    "marker",
    {
      id,
      class: id,
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    },
    s("path", { d: "M 0 0 L 10 5 L 0 10 z" }),
  );
}

/** The name as it fits a node, cut with an ellipsis past the widest node, and the node's width. */
function fitLabel(
  name: string,
  measure: (text: string) => number,
  metaWidth: number,
): { name: string; width: number } {
  const room = MAX_WIDTH - 2 * PADDING_X;
  let shown = name;
  if (measure(name) > room) {
    let lo = 0;
    let hi = name.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (measure(`${name.slice(0, mid)}…`) <= room) lo = mid;
      else hi = mid - 1;
    }
    shown = `${name.slice(0, lo)}…`;
  }
  const text = Math.max(measure(shown), metaWidth);
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(text) + 2 * PADDING_X));
  return { name: shown, width };
}

function measurer(font: string): (text: string) => number {
  const context = document.createElement("canvas").getContext("2d");
  if (!context) return (text) => text.length * 7.5;
  const family = getComputedStyle(document.body).fontFamily || "sans-serif";
  context.font = `${font} ${family}`;
  return (text) => context.measureText(text).width;
}

/** The note shown above an edgeless graph. */
export function edgesUnknownNote(): HTMLElement {
  return h(
    "p",
    { class: "note" },
    "Dependencies are not stored with runs, so the tasks are shown unconnected. Start the dashboard with ",
    h("code", null, "flowweaver ui --file WORKFLOW_FILE"),
    " to draw the edges.",
  );
}
