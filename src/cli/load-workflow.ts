import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Workflow } from "../index.js";
import { UsageError } from "./errors.js";
import { displayPath } from "./state-url.js";

/** Extensions a workflow file may have; TypeScript ones load through tsx. */
const LOADERS: Readonly<Record<string, "typescript" | "javascript">> = {
  ".ts": "typescript",
  ".mts": "typescript",
  ".js": "javascript",
  ".mjs": "javascript",
};

export interface LoadedWorkflow {
  readonly workflow: Workflow;
  /** The file as the user named it, for messages. */
  readonly file: string;
  /** The name it is exported under (`default`, `workflow`, …). */
  readonly exportName: string;
}

let tsxRegistered = false;

/**
 * Registers tsx once for the whole process, so a `.ts` workflow file can import other
 * `.ts` modules, now or lazily while it runs.
 */
async function registerTypeScript(): Promise<void> {
  if (tsxRegistered) return;
  const { register } = await import("tsx/esm/api");
  register();
  tsxRegistered = true;
}

/**
 * Imports a workflow file and picks its Workflow: the only one it exports, or the one
 * `name` designates (by workflow name or export name). Importing runs nothing but the
 * module's top level. Sets `workflow.module` to the file's URL when unset, so worker
 * threads and processes can import it.
 */
export async function loadWorkflow(
  file: string,
  options: { readonly cwd: string; readonly name?: string | undefined },
): Promise<LoadedWorkflow> {
  const path = isAbsolute(file) ? file : resolve(options.cwd, file);
  const shown = displayPath(path, options.cwd);
  if (!existsSync(path)) {
    throw new UsageError(
      `workflow file ${JSON.stringify(file)} does not exist (looked for ${path}).`,
    );
  }
  if (!statSync(path).isFile()) {
    throw new UsageError(`workflow file ${JSON.stringify(file)} is not a file.`);
  }
  const loader = LOADERS[extname(path)];
  if (!loader) {
    throw new UsageError(
      `workflow file ${JSON.stringify(file)} must end in ${Object.keys(LOADERS).join(", ")}; got ${JSON.stringify(extname(path) || "no extension")}.`,
    );
  }
  if (loader === "typescript") await registerTypeScript();
  const url = pathToFileURL(path).href;
  let exports: Record<string, unknown>;
  try {
    exports = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new UsageError(`could not load workflow file ${shown}:\n${detail}`, { cause: error });
  }
  const found = findWorkflows(exports, shown);
  const chosen = choose(found, shown, options.name);
  chosen.workflow.module ??= url;
  return { workflow: chosen.workflow, file: shown, exportName: chosen.exportName };
}

interface Candidate {
  readonly exportName: string;
  readonly workflow: Workflow;
}

function findWorkflows(exports: Record<string, unknown>, shown: string): Candidate[] {
  const candidates: Candidate[] = [];
  const seen = new Set<Workflow>();
  // `default` and `workflow` first, so a workflow exported twice is named by its usual export.
  const names = Object.keys(exports).sort((a, b) => rank(a) - rank(b));
  for (const exportName of names) {
    const value = exports[exportName];
    // Workflow's instanceof holds for workflows of any copy of flowweaver (a file that
    // imports the sources, a project's own install), so the command runs them all.
    if (value instanceof Workflow) {
      if (!seen.has(value)) candidates.push({ exportName, workflow: value });
      seen.add(value);
    }
  }
  if (candidates.length === 0) {
    const exported = Object.keys(exports);
    throw new UsageError(
      `${shown} exports no Workflow (its exports: ${exported.length ? exported.join(", ") : "none"}). Export one: \`export default workflow\` or \`export const workflow = new Workflow(…)\`.`,
    );
  }
  return candidates;
}

function rank(exportName: string): number {
  return exportName === "default" ? 0 : exportName === "workflow" ? 1 : 2;
}

function choose(candidates: Candidate[], shown: string, name: string | undefined): Candidate {
  const listing = () =>
    candidates.map((c) => `${c.workflow.name} (export ${JSON.stringify(c.exportName)})`).join(", ");
  if (name !== undefined) {
    const match =
      candidates.find((c) => c.workflow.name === name) ??
      candidates.find((c) => c.exportName === name);
    if (!match) {
      throw new UsageError(
        `--workflow ${JSON.stringify(name)}: ${shown} has no workflow by that name or export. It exports: ${listing()}.`,
      );
    }
    return match;
  }
  if (candidates.length > 1) {
    throw new UsageError(
      `${shown} exports ${candidates.length} workflows: ${listing()}. Choose one with --workflow NAME.`,
    );
  }
  return candidates[0] as Candidate;
}
