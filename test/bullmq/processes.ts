/**
 * Real processes for the distributed tests: `flowweaver worker` processes (the built CLI,
 * as users start it) and the test coordinator (fixtures/coordinator.ts under tsx), each
 * with its output collected and lines to wait for. Every process started here is killed
 * by {@link stopAll}, by its pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BIN } from "../cli/support/cli.js";
import { POSTGRES_URL, REDIS_URL } from "../support/services.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURE = fileURLToPath(new URL("./fixtures/distributed.ts", import.meta.url));
const COORDINATOR = fileURLToPath(new URL("./fixtures/coordinator.ts", import.meta.url));

/** Where one test's processes meet: its Redis prefix, Postgres schema and side log. */
export interface Site {
  readonly prefix: string;
  readonly schema: string;
  readonly sideLog: string;
  /** FW_DAG_SEED / FW_DAG_SIZE and the like, for both sides. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first line (stdout or stderr) matching `pattern`, past or future. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves when the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<Proc>();

function track(child: ChildProcess, what: string): Proc {
  let output = "";
  // Lines are matched per stream: a chunk of one may land in the middle of the other's line.
  const streams = { stdout: "", stderr: "" };
  // Only whole lines: the last piece of a stream may still be arriving.
  const whole = (text: string) => text.split("\n").slice(0, -1);
  const lines = () => [...whole(streams.stdout), ...whole(streams.stderr)];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  const onData = (stream: keyof typeof streams) => (chunk: string) => {
    output += chunk;
    streams[stream] += chunk;
    for (const waiter of [...waiters]) {
      const line = lines().find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.setEncoding("utf8").on("data", onData("stdout"));
  child.stderr?.setEncoding("utf8").on("data", onData("stderr"));
  const proc: Proc = {
    child,
    pid: child.pid as number,
    output: () => output,
    line: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const found = lines().find((l) => pattern.test(l));
        if (found !== undefined) {
          resolve(found);
          return;
        }
        waiters.push({ pattern, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `${what} (pid ${child.pid}) ended (code ${code}, signal ${signal}) before printing ${pattern}:\n${output}`,
            ),
          ),
        );
      }),
    exited,
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

function environment(site: Site): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...site.env,
    NO_COLOR: "1",
    FW_SIDE_LOG: site.sideLog,
  };
  delete env.FLOWWEAVER_STATE;
  return env;
}

export function stateUrl(site: Site): string {
  return `${POSTGRES_URL}?schema=${site.schema}`;
}

/** Starts `flowweaver worker fixtures/distributed.ts` for the site; resolves once it serves. */
export async function startWorkerProcess(site: Site, extra: readonly string[] = []): Promise<Proc> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "worker",
      FIXTURE,
      "--redis",
      REDIS_URL,
      "--prefix",
      site.prefix,
      "--state",
      stateUrl(site),
      "--verbose",
      ...extra,
    ],
    { cwd: ROOT, env: environment(site), stdio: ["ignore", "pipe", "pipe"] },
  );
  const proc = track(child, "flowweaver worker");
  await proc.line(/flowweaver worker .* serving/);
  return proc;
}

/** Starts the test coordinator on `workflow`, with FW_* settings. */
export function startCoordinator(
  site: Site,
  workflow: "distributed" | "fault",
  settings: Readonly<Record<string, string>> = {},
): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", COORDINATOR], {
    cwd: ROOT,
    env: {
      ...environment(site),
      ...settings,
      FW_WORKFLOW: workflow,
      FW_PREFIX: site.prefix,
      FW_SCHEMA: site.schema,
      FW_REDIS_URL: REDIS_URL,
      FW_POSTGRES_URL: POSTGRES_URL,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return track(child, "coordinator");
}

export interface Summary {
  readonly runId: string;
  readonly status: string;
  readonly restored: number;
  readonly attempts: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, { code?: string; message?: string }>>;
  readonly wrong: readonly string[];
  readonly results: Readonly<Record<string, unknown>>;
}

/** Waits for a coordinator to finish cleanly and returns what it printed. */
export async function summaryOf(coordinator: Proc): Promise<Summary> {
  const line = await coordinator.line(/^done /);
  const { code } = await coordinator.exited;
  if (code !== 0) throw new Error(`the coordinator exited with ${code}:\n${coordinator.output()}`);
  return JSON.parse(line.slice("done ".length)) as Summary;
}

/** What every running process printed, for a failing test's message. */
export function outputs(): string {
  return [...started].map((proc) => `--- pid ${proc.pid}\n${proc.output()}`).join("\n");
}

/** Kills (SIGKILL) every process this module started that is still running. */
export async function stopAll(): Promise<void> {
  const running = [...started];
  for (const proc of running) proc.child.kill("SIGKILL");
  await Promise.all(running.map((proc) => proc.exited));
}

/** `ran <pid> <runId> <task> <attempt>` lines of the side log. */
export interface Ran {
  readonly pid: number;
  readonly runId: string;
  readonly task: string;
  readonly attempt: number;
}

export function ranLines(text: string): Ran[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("ran "))
    .map((line) => {
      const [, pid, runId, task, attempt] = line.split(" ");
      return {
        pid: Number(pid),
        runId: runId as string,
        task: task as string,
        attempt: Number(attempt),
      };
    });
}
