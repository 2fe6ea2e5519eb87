import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, resolve } from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { type Duration, durationToMs } from "../../core/duration.js";
import type { Logger } from "../../core/logger.js";
import type { FlowWeaverWorker } from "../../executors/bullmq/worker.js";
import { action, type CommandModule } from "../command.js";
import { ExitCode, UsageError } from "../errors.js";
import type { CliIO } from "../io.js";
import { nonEmpty, wholeNumber } from "../options.js";
import { parseStateUrl, SCHEMES } from "../state-url.js";

interface WorkerCliOptions {
  readonly redis: string;
  readonly state?: string;
  readonly queue?: string;
  readonly prefix?: string;
  readonly concurrency?: number;
  readonly lockDuration?: Duration;
  readonly stalledInterval?: Duration;
  readonly maxStalled?: number;
  readonly grace?: Duration;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];

const EXAMPLES = `
Examples:
  $ flowweaver worker etl.ts --redis redis://queue.internal:6379 --state postgres://app@db.internal:5432/app
  $ flowweaver worker etl.ts --redis redis://127.0.0.1:6379 --concurrency 20 --queue etl

The coordinator is a BullMQExecutor with the same Redis, queue name and state store.
SIGTERM or Ctrl-C stops taking jobs and lets running ones finish (see --grace); a
second one hands them back to the queue at once. Exit code 0 after a clean shutdown.`;

/** `flowweaver worker FILE`: runs the attempts a BullMQExecutor queues, until stopped. */
export const workerCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("worker")
      .description("run the tasks a BullMQExecutor coordinator queues, until stopped")
      .argument("<file>", "workflow file (.ts, .mts, .js or .mjs) that exports the workflows")
      .addOption(
        new Option("--redis <url>", "the queue's Redis, e.g. redis://127.0.0.1:6379")
          .env("FLOWWEAVER_REDIS")
          .argParser(nonEmpty("--redis"))
          .makeOptionMandatory(),
      )
      .addOption(
        new Option(
          "--state <url>",
          `the coordinator's state store, for large inputs and results: ${SCHEMES.map((s) => s.form).join(", ")}`,
        ).env("FLOWWEAVER_STATE"),
      )
      .addOption(
        new Option("--queue <name>", 'the queue name (default: "flowweaver")').argParser(
          nonEmpty("--queue"),
        ),
      )
      .addOption(
        new Option("--prefix <prefix>", 'BullMQ\'s Redis key prefix (default: "bull")').argParser(
          nonEmpty("--prefix"),
        ),
      )
      .option(
        "--concurrency <n>",
        "attempts run at once on this worker's event loop (default 10)",
        wholeNumber("--concurrency", 1),
      )
      .option(
        "--lock-duration <duration>",
        'how long a job stays with a worker that stopped answering, e.g. "30s" (default)',
        durationArg("--lock-duration"),
      )
      .option(
        "--stalled-interval <duration>",
        'how often to look for jobs whose worker stopped answering (default "30s")',
        durationArg("--stalled-interval"),
      )
      .option(
        "--max-stalled <n>",
        "how often a job may lose its worker before its attempt fails (default 1)",
        wholeNumber("--max-stalled", 0),
      )
      .option(
        "--grace <duration>",
        'on SIGTERM, how long running attempts may finish before being handed back (default "30s")',
        durationArg("--grace"),
      )
      .option("--json", "log one JSON object per line on stdout, for log shippers")
      .option("--verbose", "also log each attempt as it starts and ends")
      .addHelpText("after", EXAMPLES)
      .action(
        action(exit, (file: string, options: WorkerCliOptions) => runWorker(file, options, io)),
      );
  },
};

async function runWorker(file: string, options: WorkerCliOptions, io: CliIO): Promise<number> {
  const logger = cliLogger(io, options);
  // Loaded on use, so `--help` and usage errors never load the engine.
  const [{ startWorker }, { Interrupts }] = await Promise.all([
    import("../../executors/bullmq/worker.js"),
    import("../run/interrupt.js"),
  ]);
  const path = workflowFile(file, io.cwd);
  const store =
    options.state === undefined ? undefined : await parseStateUrl(options.state, io.cwd).open();
  // Listening before the worker starts: a SIGTERM during startup stops it as soon as it is up.
  const stop = new StopRequests(logger, Interrupts);
  try {
    const worker = await startWorker({
      module: path,
      connection: options.redis,
      ...(store ? { stateStore: store } : {}),
      ...(options.queue === undefined ? {} : { queueName: options.queue }),
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
      ...(options.stalledInterval === undefined
        ? {}
        : { stalledInterval: options.stalledInterval }),
      ...(options.maxStalled === undefined ? {} : { maxStalledCount: options.maxStalled }),
      ...(options.grace === undefined ? {} : { shutdownGrace: options.grace }),
      logger,
    });
    await stop.serve(worker);
    logger.info({}, "worker stopped");
    return ExitCode.OK;
  } finally {
    stop.dispose();
    await store?.close();
  }
}

type InterruptsClass = typeof import("../run/interrupt.js").Interrupts;

/**
 * SIGTERM and SIGINT for a worker: the first closes it gracefully (running attempts
 * finish within the grace period), a second hands running attempts back at once.
 */
class StopRequests {
  readonly #interrupts: InstanceType<InterruptsClass>;
  #worker: FlowWeaverWorker | undefined;
  #requested = false;
  #stopped: (() => void) | undefined;

  constructor(logger: Logger, Interrupts: InterruptsClass) {
    this.#interrupts = new Interrupts({
      first: (signal) => {
        logger.info(
          { signal },
          `${signal} received: finishing running attempts (again to hand them back now)`,
        );
        this.#requested = true;
        this.#close();
      },
      again: (signal) => {
        logger.warn(
          { signal },
          `${signal} received again: handing running attempts back to the queue`,
        );
        void this.#worker?.close({ grace: 0 });
      },
    });
  }

  /** Resolves once the worker closed after a stop request. */
  serve(worker: FlowWeaverWorker): Promise<void> {
    this.#worker = worker;
    return new Promise<void>((resolve) => {
      this.#stopped = resolve;
      if (this.#requested) this.#close();
    });
  }

  dispose(): void {
    this.#interrupts.dispose();
  }

  #close(): void {
    const worker = this.#worker;
    if (!worker) return; // still starting: serve() closes it once it is up
    void worker.close().finally(() => this.#stopped?.());
  }
}

/**
 * The workflow file's absolute path, or a UsageError. The worker imports it itself (as a
 * worker thread would: a module that runs its workflow at its top level does not run it
 * here), so it is only checked, not loaded, here.
 */
function workflowFile(file: string, cwd: string): string {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  if (!existsSync(path)) {
    throw new UsageError(
      `workflow file ${JSON.stringify(file)} does not exist (looked for ${path}).`,
    );
  }
  if (!statSync(path).isFile())
    throw new UsageError(`workflow file ${JSON.stringify(file)} is not a file.`);
  if (!EXTENSIONS.includes(extname(path))) {
    throw new UsageError(
      `workflow file ${JSON.stringify(file)} must end in ${EXTENSIONS.join(", ")}; got ${JSON.stringify(extname(path) || "no extension")}.`,
    );
  }
  return path;
}

/** A duration argument: seconds (`30`) or `"250ms" | "30s" | "5m" | "1h"`. */
function durationArg(flag: string): (value: string) => Duration {
  return (value) => {
    const text = value.trim();
    const given: Duration = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : (text as Duration);
    try {
      durationToMs(given, flag);
    } catch {
      throw new InvalidArgumentError(
        `${flag} takes a duration: seconds, or a number with ms, s, m or h, like "30s"; got "${value}".`,
      );
    }
    return given;
  };
}

/** Plain lines on stderr (info and up; debug with --verbose), or JSON lines on stdout. */
function cliLogger(io: CliIO, options: WorkerCliOptions): Logger {
  const line =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (level === "debug" && !options.verbose) return;
      const time = new Date().toISOString();
      if (options.json) {
        io.stdout.write(`${safeJson({ time, level, msg: message, ...fields })}\n`);
        return;
      }
      const extra = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${value instanceof Error ? value.message : safeJson(value)}`)
        .join(" ");
      io.stderr.write(`${time} ${level.toUpperCase()} ${message}${extra ? ` ${extra}` : ""}\n`);
    };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) =>
      v instanceof Error
        ? { name: v.name, message: v.message }
        : typeof v === "bigint"
          ? String(v)
          : v,
    );
  } catch {
    return String(value);
  }
}
