import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import type { ErrorResponse } from "./api-types.js";
import { isLoopback } from "./token.js";

/**
 * Headers for every answer: a Content-Security-Policy that allows only the dashboard's own
 * scripts, styles and API (no inline script, no eval, no framing, no other origin), no
 * MIME sniffing, no referrer. No CORS header is ever sent, so other sites cannot read the API.
 */
export const securityHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  crossOriginResourcePolicy: "same-origin",
  crossOriginOpenerPolicy: "same-origin",
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
  // Plain HTTP on a local port: HSTS would only confuse the browser about this host.
  strictTransportSecurity: false,
});

const READ_METHODS = new Set(["GET", "HEAD"]);

/** The API and the pages are read-only: any other method is 405. */
export const readOnly: MiddlewareHandler = async (c, next) => {
  if (READ_METHODS.has(c.req.method)) return next();
  c.header("Allow", "GET, HEAD");
  return refuse(
    c,
    405,
    "METHOD_NOT_ALLOWED",
    `${c.req.method} is not allowed: the dashboard is read-only (GET and HEAD only).`,
  );
};

/**
 * For a loopback bind without a token: refuses requests whose Host header is not a
 * loopback name. A web page that points its own domain at 127.0.0.1 (DNS rebinding) would
 * otherwise read the dashboard through the visitor's browser.
 */
export const loopbackHostOnly: MiddlewareHandler = async (c, next) => {
  const host = c.req.header("host") ?? "";
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  if (name && isLoopback(name)) return next();
  return refuse(
    c,
    403,
    "HOST_NOT_ALLOWED",
    `This dashboard only answers requests addressed to 127.0.0.1, localhost or [::1]; got Host ${JSON.stringify(host)}. To serve other hosts, start it with --host and use its token.`,
  );
};

/**
 * Requires the token on every request: `Authorization: Bearer TOKEN`, or the cookie set
 * when a page is first opened with `?token=TOKEN`. That first load answers with a redirect
 * to the same address without the token, so it leaves the address bar and history; the
 * cookie is HttpOnly (scripts cannot read it) and SameSite=Strict (other sites cannot
 * send it). Tokens are compared in constant time.
 */
export function requireToken(token: string, cookieName: () => string): MiddlewareHandler {
  const expected = digest(token);
  const matches = (given: string) => timingSafeEqual(digest(given), expected);
  return async (c, next) => {
    const fromQuery = c.req.query("token");
    if (fromQuery !== undefined) {
      if (!matches(fromQuery))
        return unauthorized(c, "The token in the address is not this dashboard's token.");
      setCookie(c, cookieName(), token, { httpOnly: true, sameSite: "Strict", path: "/" });
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const header = c.req.header("authorization");
    if (header?.startsWith("Bearer ") && matches(header.slice("Bearer ".length).trim())) {
      return next();
    }
    const cookie = getCookie(c, cookieName());
    if (cookie !== undefined && matches(cookie)) return next();
    return unauthorized(
      c,
      "This dashboard needs its token: open the address `flowweaver ui` printed (it ends in ?token=…), or send the header Authorization: Bearer TOKEN.",
    );
  };
}

function digest(text: string): Buffer {
  // Hashing first gives both sides one length, which timingSafeEqual requires.
  return createHash("sha256").update(text).digest();
}

function unauthorized(c: Context, message: string): Response {
  c.header("WWW-Authenticate", 'Bearer realm="flowweaver"');
  return refuse(c, 401, "UNAUTHORIZED", message);
}

/** An error answer: JSON for the API, plain text for pages. */
export function refuse(
  c: Context,
  status: 400 | 401 | 403 | 404 | 405 | 500,
  code: string,
  message: string,
): Response {
  c.header("Cache-Control", "no-store");
  if (c.req.path.startsWith("/api/") || c.req.path === "/api") {
    const body: ErrorResponse = { error: { code, message } };
    return c.json(body, status);
  }
  return c.text(`${message}\n`, status);
}
