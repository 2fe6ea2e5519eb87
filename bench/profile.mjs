/**
 * CPU profile of one FlowWeaver build+run, summarised by function and by file, to find
 * where the engine spends its time. Only the measured run is profiled (after a warm-up),
 * through the inspector, so start-up and warm-up do not blur the picture.
 *
 *   npm run build && node --expose-gc bench/profile.mjs [--shape layered] [--size 100000]
 *     [--store memory|sqlite|json] [--concurrency 8] [--top 25] [--save out.cpuprofile]
 *
 * Frames from dist/ are shown as the src/ file they were compiled from (same name, .ts);
 * hot lines are mapped back to src/ lines through dist's source maps.
 * `--save` writes the raw profile for Chrome DevTools or speedscope.
 */
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  assertCompleted,
  buildAndRun,
  loadFlowWeaver,
  makeTempDir,
  removeDir,
  storeKinds,
} from "./lib/flowweaver.mjs";
import { SHAPES } from "./lib/graphs.mjs";
import { collectGarbage, format } from "./lib/measure.mjs";
import { printTable } from "./lib/report.mjs";

const { values } = parseArgs({
  options: {
    shape: { type: "string", default: "layered" },
    size: { type: "string", default: "100000" },
    store: { type: "string", default: "memory" },
    concurrency: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
    save: { type: "string" },
  },
});
const make = SHAPES[values.shape];
if (!make) {
  throw new Error(
    `--shape must be one of ${Object.keys(SHAPES).join(", ")}; got "${values.shape}"`,
  );
}
const size = Number(values.size);
const concurrency = Number(values.concurrency);
const top = Number(values.top);
for (const [option, n] of [
  ["size", size],
  ["concurrency", concurrency],
  ["top", top],
]) {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${option} must be a whole number >= 1; got "${values[option]}"`);
  }
}
const fw = await loadFlowWeaver();
const kind = storeKinds(fw).find((k) => k.key === values.store);
if (!kind) throw new Error(`--store must be memory, sqlite or json; got "${values.store}"`);
if (kind.missing) throw new Error(kind.missing);

/** One build+run on a fresh store; `around` wraps the timed part only (to profile it). */
async function once(shape, around = (run) => run()) {
  const dir = makeTempDir();
  const stateStore = kind.open(dir);
  try {
    const { ms, result } = await around(() => buildAndRun(fw, shape, { concurrency, stateStore }));
    assertCompleted(result, shape.size);
    return ms;
  } finally {
    await stateStore?.close();
    removeDir(dir);
  }
}

await once(make(Math.min(size, 10_000))); // warm-up
const shape = make(size);
collectGarbage();
const session = new Session();
session.connect();
let profile;
const ms = await once(shape, async (run) => {
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  try {
    return await run();
  } finally {
    ({ profile } = await session.post("Profiler.stop"));
  }
});
session.disconnect();
if (values.save) fs.writeFileSync(values.save, JSON.stringify(profile));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Where a frame comes from, short: src/core/scheduler.ts for dist/core/scheduler.js. */
function fileOf(url) {
  if (!url) return "(native)";
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const rel = path.relative(root, file);
  if (rel.startsWith("dist/")) return `src/${rel.slice(5).replace(/\.js$/, ".ts")}`;
  if (rel.startsWith("node_modules/")) return rel.split("/").slice(0, 2).join("/");
  return rel.startsWith("..") ? file : rel;
}
const frameKey = (node) => {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName || "(anonymous)";
  return `${fileOf(url)}: ${functionName || "(anonymous)"}`;
};

// Self time per sample, then per node; inclusive time counts each function once per stack.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const self = new Map();
const inclusive = new Map();
const files = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (node.callFrame.functionName === "(idle)") continue;
  total += us;
  const key = frameKey(node);
  self.set(key, (self.get(key) ?? 0) + us);
  const file = node.callFrame.url ? fileOf(node.callFrame.url) : node.callFrame.functionName;
  files.set(file, (files.get(file) ?? 0) + us);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const k = frameKey(byId.get(at));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;
const ranked = (map, filter = () => true) =>
  [...map]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);

process.stdout.write(
  `Profiled one build+run: ${values.shape} ${format.count(size)} tasks, store ${kind.label}, ` +
    `concurrency ${concurrency}: ${format.ms(ms)} ms (${format.rate(size, ms)} tasks/s under the profiler), ` +
    `${format.ms(total / 1000)} ms of samples (idle excluded).\n`,
);
printTable(
  "Self time by function",
  [
    { header: "self", align: "right" },
    { header: "function", align: "left" },
  ],
  ranked(self).map(([k, us]) => [pct(us), k]),
);
printTable(
  "Inclusive time, FlowWeaver functions (src/)",
  [
    { header: "incl.", align: "right" },
    { header: "function", align: "left" },
  ],
  ranked(inclusive, (k) => k.startsWith("src/")).map(([k, us]) => [pct(us), k]),
);
printTable(
  "Self time by file",
  [
    { header: "self", align: "right" },
    { header: "file", align: "left" },
  ],
  ranked(files).map(([k, us]) => [pct(us), k]),
);

// Hot lines: the profiler's per-line ticks in dist/, mapped back to src/ through the source maps.
const sources = new Map();
function srcLine(url, line) {
  if (!sources.has(url)) {
    const file = fileURLToPath(url);
    const mapFile = `${file}.map`;
    sources.set(url, {
      lines: fs.readFileSync(file, "utf8").split("\n"),
      map: fs.existsSync(mapFile)
        ? new SourceMap(JSON.parse(fs.readFileSync(mapFile, "utf8")))
        : undefined,
    });
  }
  const { lines, map } = sources.get(url);
  const text = lines[line - 1] ?? "";
  const entry = map?.findEntry(line - 1, text.length - text.trimStart().length);
  const where =
    entry?.originalLine === undefined
      ? `${fileOf(url)}:${line}`
      : `${path.relative(root, fileURLToPath(new URL(entry.originalSource, url)))}:${entry.originalLine + 1}`;
  return { where, text: text.trim().slice(0, 80) };
}
const ticks = new Map();
let tickTotal = 0;
for (const node of profile.nodes) {
  for (const { line, ticks: n } of node.positionTicks ?? []) {
    tickTotal += n;
    if (!node.callFrame.url.includes("/dist/")) continue;
    const key = `${node.callFrame.url}\u0000${line}`;
    ticks.set(key, (ticks.get(key) ?? 0) + n);
  }
}
const sampleCount = profile.samples.filter(
  (id) => byId.get(id).callFrame.functionName !== "(idle)",
).length;
printTable(
  "Hot lines in FlowWeaver (share of all samples)",
  [
    { header: "self", align: "right" },
    { header: "source line", align: "left" },
    { header: "compiled code", align: "left" },
  ],
  [...ticks]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, n]) => {
      const [url, line] = key.split("\u0000");
      const { where, text } = srcLine(url, Number(line));
      return [`${((n / Math.max(sampleCount, tickTotal)) * 100).toFixed(1)}%`, where, text];
    }),
);
