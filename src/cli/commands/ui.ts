import { InvalidArgumentError, Option } from "commander";
import { isLoopback, tokenProblem } from "../../dashboard/token.js";
import type { Workflow } from "../../index.js";
import { action, type CommandModule } from "../command.js";
import { ExitCode, UsageError } from "../errors.js";
import { type CliIO, colorsFor } from "../io.js";
import { loadWorkflow } from "../load-workflow.js";
import { nonEmpty, stateOption, workflowOption } from "../options.js";
import { Interrupts } from "../run/interrupt.js";
import { parseStateUrl } from "../state-url.js";

interface UiOptions {
  readonly state: string;
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly open?: boolean;
  readonly file?: string;
  readonly workflow?: string;
}

/** `flowweaver ui`: serves the web dashboard over the store until Ctrl-C. */
export const uiCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("ui")
      .description("serve a live, read-only web dashboard of the stored workflows, runs and errors")
      .addOption(stateOption())
      .addOption(
        new Option("--port <n>", "the TCP port (0 picks a free one)").argParser(port).default(4848),
      )
      .addOption(
        new Option(
          "--host <host>",
          "the interface to listen on; any but 127.0.0.1, localhost or ::1 requires a token",
        )
          .argParser(nonEmpty("--host"))
          .default("127.0.0.1"),
      )
      .addOption(
        new Option(
          "--token <token>",
          "the token every request must carry (generated when --host is not loopback)",
        )
          .argParser(token)
          .env("FLOWWEAVER_UI_TOKEN"),
      )
      .option("--open", "open the dashboard in the default browser")
      .option("--file <file>", "the workflow file, so the Run view draws the graph's edges")
      .addOption(workflowOption())
      .addHelpText(
        "after",
        "\nExamples:\n  $ flowweaver ui\n  $ flowweaver ui --file etl.ts --open\n  $ flowweaver ui --host 0.0.0.0 --port 8080   # prints a token to open it with",
      )
      .action(action(exit, (options: UiOptions) => ui(options, io)));
  },
};

async function ui(options: UiOptions, io: CliIO): Promise<number> {
  const location = parseStateUrl(options.state, io.cwd);
  if (!location.durable) {
    throw new UsageError(
      `--state ${options.state}: the memory store keeps state only while one command runs, so the dashboard would have nothing to show. Point --state at the store your runs use, such as sqlite:PATH or json:PATH.`,
    );
  }
  if (options.workflow !== undefined && options.file === undefined) {
    throw new UsageError("--workflow picks one workflow of --file FILE; give --file too.");
  }
  const workflows: Workflow[] = [];
  if (options.file !== undefined) {
    const loaded = await loadWorkflow(options.file, { cwd: io.cwd, name: options.workflow });
    workflows.push(loaded.workflow);
  }
  // Loaded here, not at the top: only this command needs an HTTP server.
  const { startDashboard, storeWhenPresent } = await import("../../dashboard/index.js");
  const store = storeWhenPresent(location);
  const interrupts = new Interrupts({
    first: () => io.stderr.write("Stopping the dashboard…\n"),
    again: () => process.exit(ExitCode.INTERRUPTED),
  });
  try {
    const dashboard = await startDashboard({
      store,
      port: options.port,
      host: options.host,
      token: options.token,
      open: options.open ?? false,
      workflows,
      // For development and tests: browser files built somewhere else than the package's.
      ...(io.env.FLOWWEAVER_DASHBOARD_ASSETS
        ? { assetsDir: io.env.FLOWWEAVER_DASHBOARD_ASSETS }
        : {}),
    });
    try {
      const c = colorsFor(io.stdout, io.env);
      const address =
        dashboard.token === undefined
          ? dashboard.url
          : `${dashboard.url}?token=${encodeURIComponent(dashboard.token)}`;
      const lines = [
        `FlowWeaver dashboard: ${c.bold(address)}`,
        `  reading ${location.url}${location.exists() ? "" : " (nothing stored yet: runs show up as they start)"}`,
      ];
      if (options.file !== undefined) lines.push(`  graphs from ${options.file}`);
      if (dashboard.token !== undefined) {
        lines.push(
          `  every request needs the token${options.token === undefined ? " (generated; choose one with --token)" : ""}: open the address above once, or send "Authorization: Bearer TOKEN"`,
        );
      }
      if (!isLoopback(dashboard.host)) {
        lines.push(`  listening on ${dashboard.host}: reachable from other machines`);
      }
      lines.push(c.dim("Press Ctrl-C to stop."));
      io.stdout.write(`${lines.join("\n")}\n`);
      await new Promise<void>((resolve) => {
        if (interrupts.signal.aborted) resolve();
        else interrupts.signal.addEventListener("abort", () => resolve(), { once: true });
      });
    } finally {
      await dashboard.close();
    }
    return ExitCode.OK;
  } finally {
    interrupts.dispose();
    await store.close();
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) {
    throw new InvalidArgumentError(
      `--port takes a whole number from 0 to 65535 (0 picks a free port); got "${value}".`,
    );
  }
  return n;
}

function token(value: string): string {
  const problem = tokenProblem(value);
  if (problem) throw new InvalidArgumentError(`--token ${problem}.`);
  return value;
}
