import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Logger } from "../core/logger.js";
import type { ChangeEvent } from "./api-types.js";
import type { Assets } from "./assets.js";
import type { ChangeWatcher } from "./changes.js";
import type { ReadModel } from "./read-model.js";
import { loopbackHostOnly, readOnly, refuse, requireToken, securityHeaders } from "./security.js";

export interface AppParts {
  readonly model: ReadModel;
  readonly watcher: ChangeWatcher;
  readonly assets: Assets;
  readonly logger: Logger;
  /** Required on every request when set. */
  readonly token: string | undefined;
  /** The cookie that carries the token (named per port: cookies do not tell ports apart). */
  readonly cookieName: () => string;
  /** Open event streams: ending one resolves its promise once its response is finished. */
  readonly streams: Map<() => void, Promise<void>>;
}

/** The run list's default and largest page. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
/** Comments on idle event streams, so proxies and browsers keep them open. */
const HEARTBEAT_MS = 15_000;

/**
 * The dashboard's HTTP application: security first (headers, read-only methods, host or
 * token check), then the JSON API under `/api/`, then the static browser files. See API.md.
 */
export function createApp(parts: AppParts): Hono {
  const { model, watcher, assets, logger } = parts;
  const app = new Hono();

  app.use(securityHeaders);
  app.use(readOnly);
  app.use(
    parts.token === undefined ? loopbackHostOnly : requireToken(parts.token, parts.cookieName),
  );
  app.use("/api/*", async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });

  app.get("/api/workflows", async (c) => c.json(await model.workflows()));

  app.get("/api/workflows/:name", async (c) => {
    const limit = readLimit(c.req.query("limit"));
    if (typeof limit === "string") return refuse(c, 400, "BAD_QUERY", limit);
    const name = c.req.param("name");
    const found = await model.workflow(name, limit);
    if (!found) {
      return refuse(
        c,
        404,
        "NOT_FOUND",
        `${model.store.location} holds no workflow named ${JSON.stringify(name)}.`,
      );
    }
    return c.json(found);
  });

  app.get("/api/runs", async (c) => {
    const limit = readLimit(c.req.query("limit"));
    if (typeof limit === "string") return refuse(c, 400, "BAD_QUERY", limit);
    const workflow = c.req.query("workflow");
    if (workflow === "") {
      return refuse(
        c,
        400,
        "BAD_QUERY",
        "?workflow= must name a workflow; leave it out for every workflow.",
      );
    }
    return c.json(await model.runs(workflow, limit));
  });

  app.get("/api/runs/:runId", async (c) => {
    const runId = c.req.param("runId");
    const found = await model.run(runId);
    if (!found)
      return refuse(
        c,
        404,
        "NOT_FOUND",
        `${model.store.location} holds no run with id ${JSON.stringify(runId)}.`,
      );
    return c.json(found);
  });

  app.get("/api/runs/:runId/tasks/:task", async (c) => {
    const { runId, task } = c.req.param();
    const found = await model.task(runId, task);
    if (!found) {
      return refuse(
        c,
        404,
        "NOT_FOUND",
        `${model.store.location} holds no task ${JSON.stringify(task)} in a run with id ${JSON.stringify(runId)}.`,
      );
    }
    return c.json(found);
  });

  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      let end = () => {};
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      let finished = () => {};
      parts.streams.set(
        end,
        new Promise<void>((resolve) => {
          finished = resolve;
        }),
      );
      stream.onAbort(end);
      const send = (event: string, version: string) => {
        const data: ChangeEvent = { version };
        stream.writeSSE({ event, data: JSON.stringify(data) }).catch(end);
      };
      const unsubscribe = watcher.subscribe((version) => send("change", version));
      const heartbeat = setInterval(() => {
        stream.write(": keep-alive\n\n").catch(end);
      }, HEARTBEAT_MS);
      heartbeat.unref();
      try {
        // `retry` asks the browser to reconnect within a second if the stream drops.
        await stream.writeSSE({
          event: "ready",
          data: JSON.stringify({ version: await watcher.version() } satisfies ChangeEvent),
          retry: 1000,
        });
        await ended;
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
        parts.streams.delete(end);
        finished();
      }
    }),
  );

  app.all("/api/*", (c) =>
    refuse(
      c,
      404,
      "NOT_FOUND",
      `No API endpoint ${c.req.path}. The endpoints are listed in src/dashboard/API.md.`,
    ),
  );

  app.use(assets.serve);

  app.notFound((c) => refuse(c, 404, "NOT_FOUND", `Not found: ${c.req.path}`));

  app.onError((error, c) => {
    logger.error({ error, path: c.req.path }, "dashboard: a request failed");
    const message = error instanceof Error ? error.message : String(error);
    return refuse(c, 500, "INTERNAL_ERROR", `The dashboard could not answer: ${message}`);
  });

  return app;
}

/** The `limit` query parameter, or a message saying what is wrong with it. */
function readLimit(raw: string | undefined): number | string {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_LIMIT) {
    return `?limit= takes a whole number from 1 to ${MAX_LIMIT}; got ${JSON.stringify(raw)}.`;
  }
  return n;
}
