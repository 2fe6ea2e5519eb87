import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
/** The built command, as `npx flowweaver` runs it. */
export const BIN = join(root, "dist/cli/bin.js");

/** The path of a workflow file in test/cli/fixtures. */
export function fixture(name: string): string {
  return join(root, "test/cli/fixtures", name);
}

/** Builds dist/ if the sources changed since the last build (once across test files). */
export function ensureBuilt(): void {
  execFileSync(
    "flock",
    [
      join(tmpdir(), "flowweaver-cli-build.lock"),
      "node",
      join(root, "test/cli/support/build-if-stale.mjs"),
    ],
    { stdio: "inherit" },
  );
}

/** A fresh directory to run the CLI in; `remove()` deletes it. */
export function scratchDir(): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "fw-cli-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed. */
  readonly input?: string;
}

/** The environment the CLI runs with: no color forcing, no inherited FLOWWEAVER_STATE. */
function environment(extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ["FORCE_COLOR", "FLOWWEAVER_STATE", "npm_command"]) {
    if (!extra || !(name in extra)) delete env[name];
  }
  return env;
}

/** Starts `node dist/cli/bin.js …args`; stdout and stderr are pipes. */
export function startCli(args: readonly string[], options: CliOptions): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: environment(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return child;
}

/** Collects a started CLI's output until it exits. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to the end. */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return finished(startCli(args, options));
}

/** Resolves once the child's stdout has printed a line matching `pattern`. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      const line = lines.find((l) => pattern.test(l));
      if (line !== undefined) {
        child.stdout?.off("data", onData);
        resolve(line);
      }
    };
    child.stdout?.on("data", onData);
    child.once("close", () => reject(new Error(`the CLI exited before printing ${pattern}`)));
  });
}

/** Matches the escape sequences a terminal would interpret. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting escape codes is the point.
export const ESCAPE = /\u001B/;
