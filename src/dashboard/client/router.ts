/** The pages of the app, addressed by the URL's hash so the server serves one page. */
export type Route =
  | { readonly kind: "workflows" }
  | { readonly kind: "workflow"; readonly name: string }
  | { readonly kind: "run"; readonly runId: string; readonly task: string | undefined }
  | { readonly kind: "unknown"; readonly hash: string };

/** `#/`, `#/workflows/NAME`, `#/runs/ID`, `#/runs/ID/tasks/NAME` (parts URI-encoded). */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  if (path === "") return { kind: "workflows" };
  let parts: string[];
  try {
    parts = path.split("/").map(decodeURIComponent);
  } catch {
    return { kind: "unknown", hash };
  }
  const [head, a, b, c, ...rest] = parts;
  if (rest.length > 0) return { kind: "unknown", hash };
  if (head === "workflows" && a && b === undefined) return { kind: "workflow", name: a };
  if (head === "runs" && a && b === undefined) return { kind: "run", runId: a, task: undefined };
  if (head === "runs" && a && b === "tasks" && c) return { kind: "run", runId: a, task: c };
  return { kind: "unknown", hash };
}

/** Which page a route shows, ignoring the selected task: moving between pages scrolls to the top. */
export function pageOf(route: Route): string {
  switch (route.kind) {
    case "workflows":
      return "workflows";
    case "workflow":
      return `workflow\u0000${route.name}`;
    case "run":
      return `run\u0000${route.runId}`;
    case "unknown":
      return `unknown\u0000${route.hash}`;
  }
}
