import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { MiddlewareHandler } from "hono";
import { ConfigurationError } from "../core/errors.js";

/**
 * Where `npm run build` puts the browser code: next to this module in `dist/dashboard/`.
 * Run from the sources (src/dashboard/, through tsx), the build's copy is used instead.
 */
export const DEFAULT_ASSETS_DIR =
  [new URL("./assets/", import.meta.url), new URL("../../dist/dashboard/assets/", import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(join(dir, "index.html"))) ??
  fileURLToPath(new URL("./assets/", import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  ".txt": "text/plain; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
};

interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
  readonly etag: string;
}

/**
 * The dashboard's static files, read once into memory by name. A request is answered only
 * when its path is exactly `/` + one of these names, so no request path is ever joined to
 * a directory: `..`, encoded dots, slashes and absolute paths find nothing by construction.
 */
export class Assets {
  readonly #files: ReadonlyMap<string, Asset>;

  constructor(dir: string) {
    if (!existsSync(join(dir, "index.html"))) {
      throw new ConfigurationError(
        `The dashboard's browser files are missing: no index.html in ${dir}. Build them with \`npm run build\`, or with \`npx tsx scripts/build-dashboard.ts DIR\` and pass assetsDir: DIR.`,
      );
    }
    const files = new Map<string, Asset>();
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const type = TYPES[extname(entry.name)];
      if (!entry.isFile() || type === undefined) continue;
      const body = readFileSync(join(dir, entry.name));
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`;
      files.set(`/${entry.name}`, { body, type, etag });
    }
    this.#files = files;
  }

  /** Serves `/` as index.html and `/NAME` as that file; anything else falls through (404). */
  readonly serve: MiddlewareHandler = async (c, next) => {
    const asset = this.#files.get(c.req.path === "/" ? "/index.html" : c.req.path);
    if (!asset) return next();
    c.header("Cache-Control", "no-cache");
    c.header("ETag", asset.etag);
    if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
    c.header("Content-Type", asset.type);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200);
  };
}
