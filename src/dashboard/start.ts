import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { type Duration, durationToMs, show } from "../core/duration.js";
import { ConfigurationError, FlowWeaverError } from "../core/errors.js";
import { type Logger, stderrLogger } from "../core/logger.js";
import type { Workflow } from "../core/workflow.js";
import { createApp } from "./app.js";
import { Assets, DEFAULT_ASSETS_DIR } from "./assets.js";
import { ChangeWatcher } from "./changes.js";
import { readGraphs } from "./graphs.js";
import { type DashboardStore, ReadModel } from "./read-model.js";
import { generateToken, isLoopback, tokenProblem } from "./token.js";

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The store to show: any StateStore (only its read methods are used). */
  readonly store: DashboardStore;
  /** The TCP port; 0 picks a free one. @default 4848 */
  readonly port?: number;
  /**
   * The interface to listen on. Anything but a loopback address (127.0.0.1, ::1,
   * localhost) requires a token, generated when not given. @default "127.0.0.1"
   */
  readonly host?: string;
  /** Required on every request when set (at least 16 characters: letters, digits, `-._~+/=`). */
  readonly token?: string;
  /** Opens the dashboard in the default browser once it listens. @default false */
  readonly open?: boolean;
  /**
   * Workflows loaded from their files: the store keeps no dependencies, so these give the
   * Run view's graph its edges, and descriptions.
   */
  readonly workflows?: readonly Workflow[];
  /** How often the store is read for changes while a page is open. @default "500ms" */
  readonly pollInterval?: Duration;
  /** Where the built browser files are. @default the `assets` folder beside this module */
  readonly assetsDir?: string;
  /** Where warnings go (a browser that cannot be opened, a store read that failed). */
  readonly logger?: Logger;
}

/** A running dashboard. */
export interface Dashboard extends AsyncDisposable {
  /** Its address, such as `http://127.0.0.1:4848/`. */
  readonly url: string;
  /** The token every request needs, when there is one: open `url + "?token=" + token`. */
  readonly token: string | undefined;
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends open connections; the store stays open (the caller's). */
  close(): Promise<void>;
}

const OPTION_NAMES = new Set([
  "store",
  "port",
  "host",
  "token",
  "open",
  "workflows",
  "pollInterval",
  "assetsDir",
  "logger",
]);
const DEFAULT_PORT = 4848;

/**
 * Serves the web dashboard over a store: the Workflows and Run views and the read-only
 * JSON API they use (see API.md), updating by themselves while runs progress in other
 * processes. Resolves once it listens.
 *
 * @example
 * const store = new SQLiteStateStore(".flowweaver/state.db");
 * const dashboard = await startDashboard({ store, port: 0 });
 * console.log(`Dashboard at ${dashboard.url}`);
 * // …
 * await dashboard.close();
 * await store.close();
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const settings = resolveOptions(options);
  const { store, host, logger } = settings;
  const token = settings.token ?? (isLoopback(host) ? undefined : generateToken());
  const watcher = new ChangeWatcher(store, settings.pollMs, logger);
  const streams = new Map<() => void, Promise<void>>();
  let port = settings.port;
  const app = createApp({
    model: new ReadModel(store, readGraphs(settings.workflows)),
    watcher,
    assets: new Assets(settings.assetsDir),
    logger,
    token,
    cookieName: () => `flowweaver_token_${port}`,
    streams,
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
    server.once("error", onError);
    server.listen(settings.port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}/`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const open = [...streams.values()];
      for (const end of streams.keys()) end();
      await Promise.all(open);
      await watcher.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open until they time out.
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
    })();
    return closing;
  };

  if (settings.open) {
    const target = token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`;
    await openBrowser(target, logger);
  }
  return { url, token, host, port, close, [Symbol.asyncDispose]: close };
}

interface Settings {
  readonly store: DashboardStore;
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly open: boolean;
  readonly workflows: readonly Workflow[];
  readonly pollMs: number;
  readonly assetsDir: string;
  readonly logger: Logger;
}

function resolveOptions(options: DashboardOptions): Settings {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      `startDashboard(options) takes an object such as { store }; got ${show(options)}.`,
    );
  }
  const unknown = Object.keys(options).filter((key) => !OPTION_NAMES.has(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `startDashboard(): unknown option ${unknown.map((k) => `"${k}"`).join(", ")}; the options are: ${[...OPTION_NAMES].join(", ")}.`,
    );
  }
  const {
    store,
    port = DEFAULT_PORT,
    host = "127.0.0.1",
    token,
    open = false,
    workflows = [],
    pollInterval = "500ms",
    assetsDir = DEFAULT_ASSETS_DIR,
    logger = stderrLogger,
  } = options;
  const methods = ["listWorkflows", "listRuns", "listAttempts", "listTaskStates", "loadResult"];
  if (
    typeof store !== "object" ||
    store === null ||
    methods.some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== "function")
  ) {
    throw new ConfigurationError(
      `startDashboard option "store" must be a state store (SQLiteStateStore, JSONStateStore, MemoryStateStore, …) with ${methods.join(", ")}; got ${show(store)}.`,
    );
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigurationError(
      `startDashboard option "port" must be a whole number from 0 to 65535 (0 picks a free port); got ${show(port)}.`,
    );
  }
  if (typeof host !== "string" || host.trim() === "") {
    throw new ConfigurationError(
      `startDashboard option "host" must be an interface name or address such as "127.0.0.1" or "0.0.0.0"; got ${show(host)}.`,
    );
  }
  const problem = token === undefined ? undefined : tokenProblem(token);
  if (problem) {
    throw new ConfigurationError(
      `startDashboard option "token" ${problem}. Leave it out to have one generated.`,
    );
  }
  if (typeof open !== "boolean") {
    throw new ConfigurationError(
      `startDashboard option "open" must be true or false; got ${show(open)}.`,
    );
  }
  const pollMs = durationToMs(pollInterval, 'startDashboard option "pollInterval"');
  if (pollMs <= 0) {
    throw new ConfigurationError(
      `startDashboard option "pollInterval" must be more than 0; got ${show(pollInterval)}.`,
    );
  }
  if (typeof assetsDir !== "string" || assetsDir === "") {
    throw new ConfigurationError(
      `startDashboard option "assetsDir" must be a folder path; got ${show(assetsDir)}.`,
    );
  }
  return { store, port, host, token, open, workflows, pollMs, assetsDir, logger };
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${urlHost(host)}:${port}`;
  const hint =
    error.code === "EADDRINUSE"
      ? `the port is in use: pick another (port 0 picks a free one)`
      : error.code === "EACCES"
        ? `not permitted: ports below 1024 need privileges; pick a port above 1023`
        : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
          ? `this machine has no interface ${JSON.stringify(host)}: use 127.0.0.1, 0.0.0.0 or one of its addresses`
          : error.message;
  return new FlowWeaverError(`The dashboard cannot listen on ${where}: ${hint}.`, {
    code: "DASHBOARD_LISTEN_FAILED",
    cause: error,
  });
}

/** The host as written in a URL: IPv6 in brackets; a wildcard bind is reached as localhost. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "[::]") return "localhost";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

async function openBrowser(target: string, logger: Logger): Promise<void> {
  try {
    const { default: open } = await import("open");
    const child = await open(target);
    child.once("error", (error) => {
      logger.warn({ error }, `could not open a browser; open ${target} yourself`);
    });
  } catch (error) {
    logger.warn({ error }, `could not open a browser; open ${target} yourself`);
  }
}
