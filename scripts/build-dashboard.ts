/**
 * Builds the dashboard's browser files: bundles src/dashboard/client/main.ts (with dagre)
 * into app.js and copies the page, its stylesheet and icon beside it. `npm run build`
 * runs it into dist/dashboard/assets/; tests build into a temporary folder.
 *
 *   npx tsx scripts/build-dashboard.ts [OUT_DIR]
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const CLIENT_DIR = fileURLToPath(new URL("../src/dashboard/client/", import.meta.url));
const DEFAULT_OUT_DIR = fileURLToPath(new URL("../dist/dashboard/assets/", import.meta.url));
const STATIC_FILES = ["index.html", "app.css", "favicon.svg"];

/** Writes index.html, app.css, favicon.svg, app.js and app.js.map into `outDir`. */
export async function buildDashboardAssets(outDir: string = DEFAULT_OUT_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(CLIENT_DIR, "main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: "linked",
    legalComments: "linked",
    logLevel: "warning",
  });
  for (const name of STATIC_FILES) copyFileSync(join(CLIENT_DIR, name), join(outDir, name));
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildDashboardAssets(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`dashboard assets built in ${out}\n`);
}
