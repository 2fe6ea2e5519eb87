/**
 * Concurrency & Thread Safety, for ThreadedExecutor.
 *
 * 1. "ThreadedExecutor is Thread-Safe": statuses, results, retries and store writes are
 *    handled on the main thread by the scheduler; worker threads only run task functions
 *    and send back their results. There is no lock to take.
 * 2. "Protect External Shared State": worker threads share no JavaScript variables. Each
 *    thread imports this module for itself, so a module-level Map is a different Map in
 *    every thread: the guide's race condition becomes updates that silently land in some
 *    thread's private copy (`count_words_shared`, the bad case). Instead, return the data
 *    and combine it in a downstream task (`count_words`, the XCom pattern). State that
 *    really must be shared belongs in a store built for it (a database), not in memory.
 * 3. "Avoid Locks in Task Functions": tasks here are pure functions of their inputs and
 *    params, so they run side by side without waiting on each other.
 *
 * The text comes from `params.text` (a default text otherwise). The file exports both
 * workflows, so the CLI needs to be told which one to run:
 *
 *   npx flowweaver run examples/threaded_thread_safety.ts --executor threaded --workflow count_words
 *   npx flowweaver run examples/threaded_thread_safety.ts --executor threaded --workflow count_words_shared
 *   npx tsx examples/threaded_thread_safety.ts     # both, compared
 */
import { NonRetryableError, ThreadedExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";

export const CHUNKS = 4;

/** The text to count, split into CHUNKS parts that tasks count side by side. */
export function chunksOf(text: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const size = Math.ceil(words.length / CHUNKS);
  return Array.from({ length: CHUNKS }, (_, i) => words.slice(i * size, (i + 1) * size).join(" "));
}

function countInto(counts: Map<string, number>, text: string): Map<string, number> {
  for (const word of text.toLowerCase().match(/[a-z']+/g) ?? []) {
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** The text counted when the run gives none. */
export const SAMPLE_TEXT =
  "The scheduler keeps every status on the main thread. Worker threads run the task " +
  "functions and send their results back. Threads share no variables, so tasks return " +
  "data and a downstream task combines it. The main thread stores each result.";

/**
 * Chunk `index` of the text: `params.chunks` (already split), else `params.text`
 * (`--param text=…`), else SAMPLE_TEXT.
 */
function chunkParam(params: Readonly<Record<string, unknown>>, index: number): string {
  const { chunks, text = SAMPLE_TEXT } = params;
  if (chunks === undefined && typeof text === "string") return chunksOf(text)[index] ?? "";
  if (!Array.isArray(chunks) || typeof chunks[index] !== "string") {
    throw new NonRetryableError(
      `count_words needs params.chunks, an array of ${CHUNKS} strings (execute(workflow, { params: { chunks: chunksOf(text) } })), or params.text, a string (--param text=…); got chunks ${JSON.stringify(chunks)}, text ${JSON.stringify(text)}.`,
    );
  }
  return chunks[index];
}

// Good: each task returns its counts (a Map crosses threads as a Map); one task merges.
const counters = Array.from({ length: CHUNKS }, (_, i) =>
  task(`count_chunk_${i}`, (_inputs, ctx) => countInto(new Map(), chunkParam(ctx.params, i))),
);
export const merge_counts = task(
  "merge_counts",
  (inputs: Readonly<Record<string, Map<string, number>>>) => {
    const total = new Map<string, number>();
    for (const counts of Object.values(inputs)) {
      for (const [word, n] of counts) total.set(word, (total.get(word) ?? 0) + n);
    }
    return total;
  },
);

export const workflow = new Workflow({
  name: "count_words",
  description: "Word counts of a text, chunks counted in parallel and merged",
  module: import.meta.url,
});
for (const counter of counters) workflow.addTask(counter);
/** The workflow's node of merge_counts: its `result` is typed. */
export const mergedNode = workflow.addTask(merge_counts, { dependsOn: counters });

// Bad: tasks update a module-level Map and return nothing. Each thread has its own copy.
export const sharedCounts = new Map<string, number>();
const sharedCounters = Array.from({ length: CHUNKS }, (_, i) =>
  task(`count_chunk_${i}_into_shared`, (_inputs, ctx) => {
    countInto(sharedCounts, chunkParam(ctx.params, i));
  }),
);
export const read_shared = task("read_shared", () => new Map(sharedCounts));

export const sharedWorkflow = new Workflow({
  name: "count_words_shared",
  description: "The same counts through a shared Map: wrong on threads",
  module: import.meta.url,
});
for (const counter of sharedCounters) sharedWorkflow.addTask(counter);
export const sharedNode = sharedWorkflow.addTask(read_shared, { dependsOn: sharedCounters });

/** Words counted in all, from a word → count map. */
export function totalWords(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}

runIfMain(import.meta.url, async () => {
  const params = { chunks: chunksOf(SAMPLE_TEXT) };
  await using executor = new ThreadedExecutor({ maxWorkers: CHUNKS });

  await executor.execute(workflow, { params });
  const merged = mergedNode.result ?? new Map<string, number>();
  console.log(`good: merged counts of ${totalWords(merged)} words, "the" ×${merged.get("the")}`);

  await executor.execute(sharedWorkflow, { params });
  const seen = sharedNode.result ?? new Map<string, number>();
  console.log(
    `bad:  read_shared saw ${totalWords(seen)} of ${totalWords(merged)} words (only its own thread's copy); the main thread's sharedCounts holds ${sharedCounts.size} words`,
  );
});
