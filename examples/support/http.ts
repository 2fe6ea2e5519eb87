/**
 * A small JSON-over-HTTP client on `fetch`, with the error classes the seed's Python
 * examples catch from `requests`: a connection error, a timeout, an HTTP error with its
 * status, a body that is not JSON. Tasks pass `ctx.signal`, so a FlowWeaver timeout or a
 * cancelled run really aborts the request instead of leaving it running.
 */

/** The server could not be reached, or dropped the connection (transient). */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
}

/** The request's own timeout (`timeoutMs`) expired (usually transient). */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
}

/** The server answered with a status outside 2xx. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly url: string,
    /** Seconds from the `Retry-After` header, when the server sent one. */
    readonly retryAfter: number | undefined,
  ) {
    super(`GET ${url} answered ${status}`);
  }
}

/** The body was not the JSON the caller expected: a data problem, retrying won't help. */
export class ResponseFormatError extends Error {
  override readonly name = "ResponseFormatError";
}

export interface GetJsonOptions {
  /** Pass the task's `ctx.signal`: FlowWeaver aborts it at the task's timeout. */
  readonly signal?: AbortSignal;
  /** A per-request limit, shorter than the task's timeout so a retry still fits. */
  readonly timeoutMs?: number;
}

/**
 * GETs `url` and parses the JSON body. The type parameter trusts the server's shape; a
 * production client would check it (zod, valibot, …) before handing it on.
 *
 * @example
 * const users = await getJson<User[]>(`${apiUrl}/users`, { signal: ctx.signal, timeoutMs: 10_000 });
 */
export async function getJson<T>(url: string, options: GetJsonOptions = {}): Promise<T> {
  const signals = [options.signal, timeoutSignal(options.timeoutMs)].filter(
    (signal): signal is AbortSignal => signal !== undefined,
  );
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    throw classify(error, url, options.signal);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
    throw new HttpError(response.status, url, Number.isFinite(retryAfter) ? retryAfter : undefined);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw classify(error, url, options.signal);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ResponseFormatError(
      `GET ${url} did not return JSON (body starts ${JSON.stringify(text.slice(0, 40))})`,
    );
  }
}

function timeoutSignal(ms: number | undefined): AbortSignal | undefined {
  return ms === undefined ? undefined : AbortSignal.timeout(ms);
}

function classify(error: unknown, url: string, taskSignal: AbortSignal | undefined): Error {
  // The task's own signal fired (FlowWeaver timeout or cancellation): report its reason,
  // so the task fails with TaskTimeoutError rather than a generic AbortError.
  if (taskSignal?.aborted) {
    const reason: unknown = taskSignal.reason;
    return reason instanceof Error ? reason : new Error(String(reason));
  }
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new RequestTimeoutError(`GET ${url} timed out`, { cause: error });
  }
  return new ConnectionError(`GET ${url} failed: ${describeCause(error)}`, { cause: error });
}

function describeCause(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : String(error);
}
