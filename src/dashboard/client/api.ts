import type { ErrorResponse } from "../api-types.js";

/** An API answer that was not 2xx, with the server's message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** GETs a JSON endpoint of this dashboard (the token cookie goes along by itself). */
export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = `${path} answered ${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as Partial<ErrorResponse>;
      if (body.error) ({ code, message } = body.error);
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiFailure(response.status, code, message);
  }
  return (await response.json()) as T;
}

/** `/api/…` with each part encoded. */
export function apiPath(...parts: readonly string[]): string {
  return `/api/${parts.map(encodeURIComponent).join("/")}`;
}
