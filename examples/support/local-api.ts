/**
 * A real HTTP server on 127.0.0.1 (a free port) that stands in for the APIs the seed
 * calls: a CRM, a flaky endpoint, a slow one, one that rate-limits. Examples talk to it
 * with plain `fetch`, so retries and timeouts meet real sockets, and nothing leaves the
 * machine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Answers one request. `hit` counts the requests this route has had, from 1. */
export type Route = (request: IncomingMessage, response: ServerResponse, hit: number) => void;

export interface LocalApi extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly url: string;
  /** Requests `route` (a key of the route table) has received so far. */
  hits(route: string): number;
  /** Resolves once `route` has received its `count`-th request: lets tests wait without sleeping. */
  waitForHits(route: string, count: number): Promise<void>;
  /** Stops the server and drops open connections, hung requests included. */
  close(): Promise<void>;
}

export interface LocalApiOptions {
  /**
   * Never keep the process alive: the listening socket and every accepted connection are
   * `unref()`ed, so a process whose work is done exits even though the server was never
   * closed (the stand-ins tasks start on first use, see `stand-in.ts`). A request in
   * flight still keeps the process alive through the client's own socket.
   * @default false
   */
  readonly background?: boolean;
}

/**
 * Starts the stand-in API. Route keys are paths (`"/customers"`); a key ending in `/*`
 * matches every path below it (`"/reports/*"`). Anything else gets a 404.
 *
 * @example
 * await using api = await startLocalApi({ "/data": failFirst(2, status(503), json({ ok: true })) });
 * await getJson(`${api.url}/data`);
 */
export async function startLocalApi(
  routes: Readonly<Record<string, Route>>,
  options: LocalApiOptions = {},
): Promise<LocalApi> {
  for (const key of Object.keys(routes)) {
    if (!key.startsWith("/")) {
      throw new TypeError(`startLocalApi: route keys are paths starting with "/"; got "${key}".`);
    }
  }
  const counts = new Map<string, number>();
  const waiters = new Map<string, { count: number; resolve: () => void }[]>();

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const key = matchRoute(routes, path);
    const route = key === undefined ? undefined : routes[key];
    if (key === undefined || route === undefined) {
      json({ error: `no route for ${path}` }, 404)(request, response, 1);
      return;
    }
    const hit = (counts.get(key) ?? 0) + 1;
    counts.set(key, hit);
    const pending = waiters.get(key) ?? [];
    waiters.set(
      key,
      pending.filter((waiter) => {
        if (hit < waiter.count) return true;
        waiter.resolve();
        return false;
      }),
    );
    route(request, response, hit);
  });
  if (options.background) {
    server.unref();
    // Keep-alive connections would otherwise hold the process for the server's idle timeout.
    server.on("connection", (socket) => socket.unref());
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Hung and keep-alive connections would hold close() open forever.
    server.closeAllConnections();
    await closed;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    hits: (route) => counts.get(route) ?? 0,
    waitForHits: (route, count) => {
      if ((counts.get(route) ?? 0) >= count) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const list = waiters.get(route) ?? [];
        list.push({ count, resolve });
        waiters.set(route, list);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function matchRoute(routes: Readonly<Record<string, Route>>, path: string): string | undefined {
  if (Object.hasOwn(routes, path)) return path;
  for (const key of Object.keys(routes)) {
    if (key.endsWith("/*") && path.startsWith(key.slice(0, -1))) return key;
  }
  return undefined;
}

/** Answers with `body` as JSON. */
export function json(body: unknown, statusCode = 200, headers: Record<string, string> = {}): Route {
  const payload = JSON.stringify(body);
  return (_request, response) => {
    response.writeHead(statusCode, { "content-type": "application/json", ...headers });
    response.end(payload);
  };
}

/** Answers with an HTTP status and a short JSON error body. */
export function status(statusCode: number, headers: Record<string, string> = {}): Route {
  return json({ error: `status ${statusCode}` }, statusCode, headers);
}

/** 429 Too Many Requests, with a `Retry-After` header. */
export function rateLimited(retryAfterSeconds = 1): Route {
  return status(429, { "retry-after": String(retryAfterSeconds) });
}

/** A 200 whose body is not JSON: a data problem, not a transient one. */
export const invalidJson: Route = (_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end("<html>maintenance</html>");
};

/** Closes the socket without an answer, like a network blip (fetch fails with ECONNRESET). */
export const dropConnection: Route = (request) => {
  request.socket.destroy();
};

/** Never answers: a hung upstream. The server drops the connection when it closes. */
export const hang: Route = () => {};

/** The first `times` requests get `failure`, the rest `then`. */
export function failFirst(times: number, failure: Route, then: Route): Route {
  return (request, response, hit) =>
    hit <= times ? failure(request, response, hit) : then(request, response, hit - times);
}

/** Answers with `then` after `ms` milliseconds (a slow but working API). */
export function delayed(ms: number, then: Route): Route {
  return (request, response, hit) => {
    const timer = setTimeout(() => then(request, response, hit), ms);
    // A client that gave up (timeout, abort) needs no answer.
    response.once("close", () => clearTimeout(timer));
  };
}

/**
 * Holds requests until `count` of them are waiting, then answers them all with `then`
 * (later ones at once). Only concurrent callers get through, which proves concurrency
 * without measuring time.
 */
export function whenAll(count: number, then: Route): Route {
  const held: (() => void)[] = [];
  return (request, response, hit) => {
    const answer = () => then(request, response, hit);
    if (hit > count) return answer();
    held.push(answer);
    if (held.length === count) for (const release of held.splice(0)) release();
  };
}

/** Answers with JSON computed from the request URL; `undefined` means 404. */
export function dynamic(answer: (url: URL) => unknown): Route {
  return (request, response, hit) => {
    const body = answer(new URL(request.url ?? "/", "http://localhost"));
    if (body === undefined) json({ error: "not found" }, 404)(request, response, hit);
    else json(body)(request, response, hit);
  };
}
