/** Writes a workflow's DAG as Mermaid or Graphviz DOT text. */

export interface GraphNode {
  readonly name: string;
  readonly dependsOn: readonly string[];
  /** The stored status, when the store knows the task. */
  readonly status?: string | undefined;
}

export const GRAPH_FORMATS = ["mermaid", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

const STYLE: Readonly<Record<string, { fill: string; stroke: string }>> = {
  COMPLETED: { fill: "#dcfce7", stroke: "#16a34a" },
  FAILED: { fill: "#fee2e2", stroke: "#dc2626" },
  RUNNING: { fill: "#e0f2fe", stroke: "#0284c7" },
  SKIPPED: { fill: "#fef9c3", stroke: "#ca8a04" },
  PENDING: { fill: "#f3f4f6", stroke: "#6b7280" },
};

export function renderGraph(format: GraphFormat, workflow: string, nodes: readonly GraphNode[]) {
  return format === "dot" ? toDot(workflow, nodes) : toMermaid(workflow, nodes);
}

/**
 * A Mermaid flowchart. Task names can hold any character, so nodes get generated ids
 * (`t0`, `t1`, …) and the names go in escaped labels.
 */
export function toMermaid(workflow: string, nodes: readonly GraphNode[]): string {
  const ids = new Map(nodes.map((node, i) => [node.name, `t${i}`]));
  const lines = ["---", `title: ${JSON.stringify(workflow)}`, "---", "flowchart LR"];
  for (const node of nodes) {
    const label = node.status
      ? `${mermaidText(node.name)}<br/><small>${node.status}</small>`
      : mermaidText(node.name);
    const style = node.status ? `:::${node.status.toLowerCase()}` : "";
    lines.push(`  ${ids.get(node.name)}["${label}"]${style}`);
  }
  for (const node of nodes) {
    for (const dep of node.dependsOn) lines.push(`  ${ids.get(dep)} --> ${ids.get(node.name)}`);
  }
  const used = new Set(nodes.map((n) => n.status).filter((s) => s !== undefined));
  for (const status of used) {
    const style = STYLE[status];
    if (style) {
      lines.push(`  classDef ${status.toLowerCase()} fill:${style.fill},stroke:${style.stroke}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Mermaid label text: its entity codes for the characters its syntax would read. */
function mermaidText(text: string): string {
  return text
    .replaceAll("#", "#35;")
    .replaceAll('"', "#quot;")
    .replaceAll("<", "#lt;")
    .replaceAll(">", "#gt;");
}

/** A Graphviz digraph, left to right, nodes filled by status. */
export function toDot(workflow: string, nodes: readonly GraphNode[]): string {
  const lines = [
    `digraph ${dotString(workflow)} {`,
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica"];',
  ];
  for (const node of nodes) {
    const style = node.status ? STYLE[node.status] : undefined;
    const attrs = [
      `label=${dotString(node.status ? `${node.name}\n${node.status}` : node.name)}`,
      ...(style ? [`fillcolor="${style.fill}"`, `color="${style.stroke}"`] : []),
    ];
    lines.push(`  ${dotString(node.name)} [${attrs.join(", ")}];`);
  }
  for (const node of nodes) {
    for (const dep of node.dependsOn) {
      lines.push(`  ${dotString(dep)} -> ${dotString(node.name)};`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function dotString(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}
