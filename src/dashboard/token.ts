import { randomBytes } from "node:crypto";

/** What a token may be: long enough to resist guessing, and safe in a cookie, a header and a URL. */
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,}$/;

/** A token nobody can guess: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Why `token` cannot be used, or undefined when it can. The message shows the token's
 * length, never the token, since messages end up in logs.
 */
export function tokenProblem(token: unknown): string | undefined {
  if (typeof token === "string" && TOKEN.test(token)) return undefined;
  const got = typeof token === "string" ? `${token.length} characters` : typeof token;
  return `must be at least 16 characters of letters, digits and -._~+/= (for example from \`openssl rand -hex 32\`); got ${got}`;
}

/**
 * Whether `host` names this machine's loopback interface, which other machines cannot reach.
 * Only such a bind may go without a token.
 */
export function isLoopback(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return bare === "localhost" || bare === "::1" || /^127(?:\.\d{1,3}){3}$/.test(bare);
}
