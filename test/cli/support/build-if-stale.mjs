// Builds the package when dist/ is older than the sources. The CLI tests run it under
// flock(1), so test files starting in parallel build once and never read a half-written
// dist/. `npm test` builds first, so there it finds dist/ fresh and does nothing.
// Type errors are `npm run typecheck`'s to report: tsc still emits JavaScript, and these
// tests check what that JavaScript does, so they only stop when nothing was emitted.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../../", import.meta.url).pathname;

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

let built = 0;
try {
  built = statSync(join(root, "dist/cli/bin.js")).mtimeMs;
} catch {
  // Not built yet.
}
const sources = Math.max(newest(join(root, "src")), statSync(join(root, "package.json")).mtimeMs);
if (sources > built) {
  try {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  } catch {
    if (statSync(join(root, "dist/cli/bin.js"), { throwIfNoEntry: false })?.mtimeMs > built) {
      console.warn("warning: the build reported type errors (above); testing its output anyway");
    } else {
      throw new Error("npm run build emitted nothing; see its errors above");
    }
  }
}
