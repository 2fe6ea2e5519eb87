import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  encodeValue,
  JSONStateStore,
  type JSONStateStoreOptions,
  MemoryStateStore,
  type StateStore,
  type StoreBatch,
  type TaskStateWrite,
} from "../../src/index.js";
import { attemptRecord, resultFor, runRecord, stateWrite } from "./contract/harness.js";
import { storeContract } from "./contract.js";
import { rejection } from "./failures.js";

storeContract("JSONStateStore", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
  const file = path.join(dir, "state.json");
  return {
    open: () => new JSONStateStore(file),
    persistent: true,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

const INDEX = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
const HEADER = '{"format":"flowweaver-state","version":1}';

let dir: string;
let file: string;
const opened: JSONStateStore[] = [];

function open(options?: JSONStateStoreOptions, at = file): JSONStateStore {
  const store = new JSONStateStore(at, options);
  opened.push(store);
  return store;
}

function batch(parts: Partial<StoreBatch>): StoreBatch {
  return { runs: [], taskStates: [], attempts: [], ...parts };
}

function completed(task: string, value: unknown, overrides: Partial<TaskStateWrite> = {}) {
  return stateWrite({ task, result: encodeValue(value, "test value"), ...overrides });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid as number;
}

function hash(at = file): string {
  return createHash("sha256").update(fs.readFileSync(at)).digest("hex");
}

function lines(at = file): string[] {
  return fs.readFileSync(at, "utf8").split("\n");
}

/** What opening `at` throws; the file must be left exactly as it was. */
function refusedOpen(at = file): Error & { code?: string } {
  const before = hash(at);
  let thrown: unknown;
  try {
    open(undefined, at);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect(hash(at)).toBe(before);
  expect(fs.readdirSync(path.dirname(at)).filter((name) => name !== path.basename(at))).toEqual([]);
  return thrown as Error & { code?: string };
}

describe("JSONStateStore", () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
    file = path.join(dir, "state.json");
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("arguments", () => {
    it("refuses a missing or empty path, naming the argument", () => {
      for (const bad of ["", "   ", 42, undefined]) {
        expect(() => new JSONStateStore(bad as string)).toThrow(/JSONStateStore\(path\).*got/);
      }
    });

    it("refuses bad options, naming the option and the value given", () => {
      const cases: [unknown, RegExp][] = [
        ["fast", /options must be an object; got "fast"/],
        [{ durability: "fast" }, /"durability" must be "normal" or "full"; got "fast"/],
        [{ compactRatio: 0 }, /"compactRatio" must be a number > 0; got 0/],
        [{ compactMinBytes: -1 }, /"compactMinBytes" must be an integer >= 0; got -1/],
        [{ compactEvery: 3 }, /no option "compactEvery"/],
      ];
      for (const [options, message] of cases) {
        expect(() => new JSONStateStore(file, options as JSONStateStoreOptions)).toThrow(message);
      }
    });

    it("creates missing parent directories, and the file with only its header", () => {
      const deep = path.join(dir, "a", "b", "c", "state.json");
      open(undefined, deep);
      expect(fs.readFileSync(deep, "utf8")).toBe(`${HEADER}\n`);
      expect(fs.readdirSync(path.dirname(deep))).toEqual(["state.json"]);
    });

    it("names the path when its directory cannot be created", () => {
      fs.writeFileSync(path.join(dir, "plain-file"), "x");
      const bad = path.join(dir, "plain-file", "sub", "state.json");
      expect(() => new JSONStateStore(bad)).toThrow(
        expect.objectContaining({
          name: "ConfigurationError",
          message: expect.stringContaining(bad),
        }),
      );
    });

    it("names the path when it is a directory", () => {
      expect(() => new JSONStateStore(dir)).toThrow(/is a directory/);
    });

    it("refuses bad records before writing anything", async () => {
      const store = open();
      const before = hash();
      const bad: [Partial<StoreBatch>, RegExp][] = [
        [{ taskStates: [stateWrite({ attempts: -1 })] }, /taskStates\[0\].*"attempts"/],
        [{ taskStates: [stateWrite({ status: "DONE" as never })] }, /"status" must be one of/],
        [
          { taskStates: [stateWrite({ status: "FAILED", result: resultFor(store, 1) })] },
          /only stored with status "COMPLETED"/,
        ],
        [{ runs: [runRecord(), runRecord({ startedAt: "soon" as never })] }, /runs\[1\]/],
        [{ attempts: [attemptRecord({ attempt: 0 })] }, /attempts\[0\].*"attempt"/],
      ];
      for (const [parts, message] of bad) {
        const error = await rejection(store.commit(batch(parts)));
        expect(error.name).toBe("ConfigurationError");
        expect(error.message).toMatch(message);
      }
      await expect(store.loadTaskStates(1 as never, "default")).rejects.toThrow(/"workflow"/);
      expect(hash()).toBe(before);
    });
  });

  describe("file format", () => {
    it("is readable: a header, then one record a line, results inline", async () => {
      const store = open();
      const customers = { customers: [{ id: 1, name: "Ann" }], total: 1 };
      await store.commit(
        batch({
          runs: [runRecord()],
          taskStates: [
            completed("extract", customers),
            completed("dated", { at: new Date("2026-11-25T10:00:00.000Z") }),
            completed("raw", Buffer.from("hello")),
          ],
          attempts: [attemptRecord({ task: "extract" })],
        }),
      );
      const text = fs.readFileSync(file, "utf8");
      const all = lines();
      expect(all[0]).toBe(HEADER);
      expect(all.at(-1)).toBe("");
      for (const line of all.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
      // The JSON result appears as itself, not as an escaped string.
      expect(text).toContain(`"result":{"json":${JSON.stringify(customers)}}`);
      expect(text).toContain('"result":{"base64":"aGVsbG8="}');
      expect(text).toMatch(/"result":\{"superjson":\{"json":\{"at":"2026-11-25T10:00:00.000Z"\}/);
      expect(text).toContain('"startedAt":"2026-11-25T');
      expect(all.at(-2)).toBe('{"type":"commit","records":5}');
      expect(await open().loadResult("wf", "default", "extract")).toStrictEqual(customers);
    });

    it("reads lines edited by hand: other spacing, CRLF line ends", async () => {
      fs.writeFileSync(
        file,
        [
          HEADER,
          '{ "type": "task", "workflow": "wf", "runKey": "default", "task": "a", "status": "COMPLETED",',
        ].join("\n") +
          ' "runId": "r1", "attempts": 1, "result": { "json": [1, 2, 3] } }\r\n' +
          '{"type":"commit","records":1}\r\n',
      );
      const store = open();
      expect(await store.loadResult("wf", "default", "a")).toEqual([1, 2, 3]);
      expect((await store.loadTaskStates("wf", "default")).get("a")?.runId).toBe("r1");
      // Appending and compacting keep it: the next writer rewrites such lines canonically.
      await store.commit(batch({ taskStates: [stateWrite({ task: "b" })] }));
      expect(await open().loadResult("wf", "default", "a")).toEqual([1, 2, 3]);
    });

    it("keeps results on disk and reads them back each time", async () => {
      const store = open();
      await store.commit(batch({ taskStates: [completed("a", { n: 1 })] }));
      const first = store.readResultSync("wf", "default", "a");
      expect(first).toStrictEqual({ n: 1 });
      expect(store.readResultSync("wf", "default", "a")).not.toBe(first);
    });

    it("survives a reopen with durability: full", async () => {
      const store = open({ durability: "full" });
      await store.commit(batch({ taskStates: [completed("a", "durable")] }));
      expect(await open().loadResult("wf", "default", "a")).toBe("durable");
    });
  });

  describe("reading a damaged file", () => {
    async function seeded(): Promise<void> {
      const store = open();
      await store.commit(batch({ taskStates: [completed("a", "first")] }));
      await store.commit(batch({ taskStates: [completed("b", "second")] }));
      await store.close();
    }

    it("drops a torn last line, then appends after it, not onto it", async () => {
      await seeded();
      const fragment = '{"type":"task","workflow":"wf","runKey":"default","task":"c","sta';
      fs.appendFileSync(file, fragment);
      const torn = hash();
      const store = open();
      expect([...(await store.loadTaskStates("wf", "default")).keys()]).toEqual(["a", "b"]);
      // Reading changed nothing.
      expect(hash()).toBe(torn);
      await store.commit(batch({ taskStates: [completed("d", "fourth")] }));
      expect(fs.readFileSync(file, "utf8")).not.toContain(fragment);
      for (const line of lines().slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
      const reopened = open();
      expect([...(await reopened.loadTaskStates("wf", "default")).keys()]).toEqual(["a", "b", "d"]);
      expect(await reopened.loadResult("wf", "default", "d")).toBe("fourth");
    });

    it("drops a commit whose commit line never arrived, and an unparseable last line", async () => {
      await seeded();
      const record = JSON.stringify({
        type: "task",
        workflow: "wf",
        runKey: "default",
        task: "c",
        status: "RUNNING",
        runId: "r",
        attempts: 1,
      });
      fs.appendFileSync(file, `${record}\n${record.slice(0, 20)}garbage\n`);
      const store = open();
      expect([...(await store.loadTaskStates("wf", "default")).keys()]).toEqual(["a", "b"]);
    });

    it("refuses an unparseable line in the middle and leaves the file as it is", async () => {
      await seeded();
      const all = lines();
      all[1] = (all[1] as string).replace('"status"', '"sta');
      fs.writeFileSync(file, all.join("\n"));
      const error = refusedOpen();
      expect(error.name).toBe("StoreCorruptError");
      expect(error.code).toBe("STORE_CORRUPT");
      expect(error.message).toContain(file);
      expect(error.message).toContain("line 2");
    });

    it("refuses a well-formed line that is not a valid record", async () => {
      await seeded();
      fs.writeFileSync(
        file,
        fs.readFileSync(file, "utf8").replace('"attempts":1', '"attempts":-1'),
      );
      expect(refusedOpen().message).toMatch(/"attempts" must be an integer >= 0; got -1/);
    });

    it("refuses a commit that lost a record in the middle", async () => {
      const store = open();
      await store.commit(batch({ taskStates: [completed("a", 1), completed("b", 2)] }));
      await store.commit(batch({ taskStates: [completed("c", 3)] }));
      await store.close();
      const all = lines();
      all.splice(2, 1);
      fs.writeFileSync(file, all.join("\n"));
      expect(refusedOpen().message).toMatch(/closes 2 records but 1 precede it/);
    });

    it("refuses files that are not FlowWeaver stores, and leaves them as they are", () => {
      const foreign: [string, string | Buffer][] = [
        ["package.json", '{"name":"my-app","version":"1.0.0"}\n'],
        ["blank.json", "\n"],
        ["spaces.json", "   "],
        ["array.json", "[]\n"],
        ["notes.txt", "remember the milk\n"],
        ["binary.bin", Buffer.alloc(10_000, 7)],
      ];
      for (const [name, content] of foreign) {
        const at = path.join(dir, name);
        fs.writeFileSync(at, content);
        const error = refusedOpen(at);
        expect(error.name).toBe("StoreCorruptError");
        expect(error.message).toContain(at);
        fs.rmSync(at);
      }
    });

    it("refuses a file from a newer format version, unchanged", () => {
      fs.writeFileSync(file, '{"format":"flowweaver-state","version":2}\n{"type":"future"}\n');
      const error = refusedOpen();
      expect(error.name).toBe("StoreVersionError");
      expect(error.code).toBe("STORE_VERSION");
      expect(error.message).toContain("schema version 2");
    });

    it("treats an empty file, or a torn header alone, as a new store", async () => {
      for (const content of ["", "{", HEADER.slice(0, 20), HEADER]) {
        fs.writeFileSync(file, content);
        const store = open();
        expect(await store.listWorkflows()).toEqual([]);
        await store.commit(batch({ taskStates: [completed("a", "ok")] }));
        expect(lines()[0]).toBe(HEADER);
        expect(await open().loadResult("wf", "default", "a")).toBe("ok");
        for (const each of opened.splice(0)) await each.close();
      }
    });
  });

  describe("compaction", () => {
    /** The same batches into a MemoryStateStore, as the oracle of what must be kept. */
    async function writeBoth(store: StateStore, oracle: StateStore, rounds: number): Promise<void> {
      const values = [{ n: 1 }, new Map([["k", new Date(0)]]), Buffer.from("bytes"), "text", 7n];
      for (let round = 0; round < rounds; round++) {
        const runId = `run-${round % 3}`;
        const run = runRecord({ runId, status: round % 2 ? "COMPLETED" : "RUNNING" });
        const attempt = attemptRecord({ runId, task: `t${round % 10}`, attempt: round + 1 });
        const states = Array.from({ length: 10 }, (_, i) => ({
          write: stateWrite({
            workflow: i % 2 ? "odd" : "even",
            task: `t${i}`,
            runId,
            attempts: round + 1,
            ...(i === 9
              ? { status: "FAILED", error: { name: "Error", message: `round ${round}` } }
              : {}),
          }),
          value: i === 9 ? undefined : [values[(round + i) % values.length], round],
        }));
        for (const target of [store, oracle]) {
          await target.commit(
            batch({
              runs: [run],
              taskStates: states.map(({ write, value }) =>
                value === undefined ? write : { ...write, result: resultFor(target, value) },
              ),
              attempts: [attempt],
            }),
          );
        }
      }
    }

    async function expectSameState(store: StateStore, oracle: StateStore): Promise<void> {
      expect(await store.listWorkflows()).toEqual(await oracle.listWorkflows());
      expect(await store.listRuns({ limit: 1000 })).toStrictEqual(
        await oracle.listRuns({ limit: 1000 }),
      );
      for (const run of await oracle.listRuns()) {
        expect(await store.listAttempts(run.runId)).toStrictEqual(
          await oracle.listAttempts(run.runId),
        );
      }
      for (const workflow of await oracle.listWorkflows()) {
        const expected = await oracle.loadTaskStates(workflow, "default");
        expect(await store.loadTaskStates(workflow, "default")).toStrictEqual(expected);
        for (const task of expected.keys()) {
          expect(await store.loadResult(workflow, "default", task)).toStrictEqual(
            await oracle.loadResult(workflow, "default", task),
          );
        }
      }
    }

    it("keeps everything and shrinks the file", async () => {
      const store = open({ compactMinBytes: 0 });
      const oracle = new MemoryStateStore();
      await writeBoth(store, oracle, 60);
      await store.close();
      const { compactions, bytesAppended, bytesCompacted } = store.stats;
      expect(compactions).toBeGreaterThan(0);
      expect(fs.statSync(file).size).toBeLessThan(bytesAppended / 5);
      expect(bytesCompacted).toBeLessThan(bytesAppended);
      await expectSameState(open(), oracle);
      for (const line of lines().slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
      expect(fs.readdirSync(dir)).toEqual(["state.json"]);
    });

    it("reads results right after compacting, in the same store object", async () => {
      const store = open({ compactMinBytes: 0 });
      const lock = await store.acquireLock("even", { runId: "r", pid: process.pid, host: "h" });
      const oracle = new MemoryStateStore();
      await writeBoth(store, oracle, 30);
      // Compaction runs after the commit that called for it: let it finish.
      const last = batch({ runs: [runRecord({ runId: "last" })] });
      await store.commit(last);
      await oracle.commit(last);
      expect(store.stats.compactions).toBeGreaterThan(0);
      await expectSameState(store, oracle);
      await lock.release();
    });

    it("compacts a bloated journal when a writer opens it", async () => {
      const oracle = new MemoryStateStore();
      const first = open({ compactRatio: 1000 });
      await writeBoth(first, oracle, 30);
      expect(first.stats.compactions).toBe(0);
      await first.close();
      const bloated = fs.statSync(file).size;
      const second = open({ compactMinBytes: 0 });
      const lock = await second.acquireLock("even", { runId: "r", pid: process.pid, host: "h" });
      expect(second.stats.compactions).toBe(1);
      expect(fs.statSync(file).size).toBeLessThan(bloated / 5);
      await lock.release();
      await expectSameState(open(), oracle);
    });

    it("empties the file when everything is cleared", async () => {
      const store = open();
      await writeBoth(store, new MemoryStateStore(), 5);
      await store.clearAllStates();
      await store.close();
      expect(fs.readFileSync(file, "utf8")).toBe(`${HEADER}\n`);
    });

    it("costs linear time: 10,000 commits of one new task state each never rewrite the file", async () => {
      const store = open();
      await store.acquireLock("wf", { runId: "r", pid: process.pid, host: "h" });
      let largest = 0;
      for (let i = 0; i < 10_000; i++) {
        const before = store.stats.bytesAppended;
        await store.commit(batch({ taskStates: [completed(`task-${i}`, i)] }));
        largest = Math.max(largest, store.stats.bytesAppended - before);
      }
      const { bytesAppended, compactions, commits } = store.stats;
      expect(commits).toBe(10_000);
      expect(compactions).toBe(0);
      // Each commit appended its own few hundred bytes, however large the file had grown.
      expect(largest).toBeLessThan(400);
      expect(fs.statSync(file).size).toBe(HEADER.length + 1 + bytesAppended);
    });

    it("costs linear time: 10,000 rewrites of one task compact rarely, writing less than they append", async () => {
      const store = open({ compactMinBytes: 64 * 1024 });
      await store.acquireLock("wf", { runId: "r", pid: process.pid, host: "h" });
      for (let i = 0; i < 10_000; i++) {
        await store.commit(batch({ taskStates: [completed("same", i)] }));
      }
      const { bytesAppended, bytesCompacted, compactions } = store.stats;
      expect(compactions).toBeGreaterThan(0);
      expect(compactions).toBeLessThanOrEqual(Math.ceil(bytesAppended / (64 * 1024)));
      expect(bytesCompacted).toBeLessThan(bytesAppended / 10);
      expect(fs.statSync(file).size).toBeLessThan(2 * 64 * 1024);
      expect(await open().loadResult("wf", "default", "same")).toBe(9999);
    });

    it("removes temporary files a killed writer left, and only those", async () => {
      await open().close();
      const leftovers = [
        "state.json.compact-1-00ff.tmp",
        `state.json.lock.tmp-${deadPid()}-ab.tmp`,
      ];
      const others = ["state.json.old.compact-1-00ff.tmp", `state.json.tmp-${process.pid}-cd.tmp`];
      for (const name of [...leftovers, ...others]) fs.writeFileSync(path.join(dir, name), "x");
      await open().commit(batch({ runs: [runRecord()] }));
      expect(fs.readdirSync(dir).sort()).toEqual(["state.json", ...others].sort());
    });
  });

  describe("single writer", () => {
    const childOwner = () => ({ runId: "r", pid: process.pid, host: os.hostname() });

    it("refuses a second process while one runs, and lets readers read", async () => {
      const child = startHolder();
      try {
        await child.line("locked");
        const store = open();
        // Reading needs no lock: a CLI can look at a file in use.
        expect(await store.loadResult("nightly", "default", "a")).toBe("from child");
        const error = await rejection(store.acquireLock("other", childOwner()));
        expect(error.name).toBe("StoreLockedError");
        for (const part of [
          `${file}.lock`,
          `pid ${child.process.pid}`,
          os.hostname(),
          "child-run",
          "since 20",
          "Wait for it to finish",
        ]) {
          expect(error.message).toContain(part);
        }
        await expect(store.commit(batch({ runs: [runRecord()] }))).rejects.toThrow(/in use/);
        await expect(store.clearAllStates()).rejects.toThrow(/in use/);
        // The child goes on writing; this store sees it without reopening.
        child.send("write");
        await child.line("written");
        expect(await store.loadResult("nightly", "default", "a")).toBe("written later");
        child.send("release");
        await child.line("released");
        const lock = await store.acquireLock("other", childOwner());
        await lock.release();
      } finally {
        await child.stop();
      }
    });

    it("takes over the lock of a process killed while running", async () => {
      const child = startHolder();
      await child.line("locked");
      child.process.kill("SIGKILL");
      await child.stop();
      const left = JSON.parse(fs.readFileSync(`${file}.lock`, "utf8")) as { pid: number };
      expect(left.pid).toBe(child.process.pid);
      const store = open();
      const lock = await store.acquireLock("nightly", { ...childOwner(), runId: "after-crash" });
      const holder = JSON.parse(fs.readFileSync(`${file}.lock`, "utf8")) as { runId: string };
      expect(holder.runId).toBe("after-crash");
      expect(await store.loadResult("nightly", "default", "a")).toBe("from child");
      await lock.release();
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
    });

    it("refuses a second store object on the same file in this process", async () => {
      const first = open();
      const held = await first.acquireLock("a", childOwner());
      const error = await rejection(open().acquireLock("b", childOwner()));
      expect(error.name).toBe("StoreLockedError");
      expect(error.message).toContain("this process");
      await held.release();
      await open().commit(batch({ runs: [runRecord()] }));
    });

    it("holds the lock file while any workflow runs, and removes it at close", async () => {
      const store = open();
      const a = await store.acquireLock("a", childOwner());
      const b = await store.acquireLock("b", childOwner());
      await a.release();
      expect(fs.existsSync(`${file}.lock`)).toBe(true);
      await b.release();
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
      await store.acquireLock("c", childOwner());
      await store.close();
      expect(fs.existsSync(`${file}.lock`)).toBe(false);
      await expect(store.listRuns()).rejects.toThrow(/closed/);
    });
  });
});

interface Holder {
  readonly process: ChildProcess;
  line(expected: string): Promise<void>;
  send(command: string): void;
  stop(): Promise<void>;
}

/**
 * A child process that runs "nightly" on the store: it takes the lock, stores task a,
 * prints "locked", then obeys "write", "release" and the end of its stdin.
 */
function startHolder(): Holder {
  const script = `
    const { JSONStateStore, encodeValue } = await import(process.argv[1]);
    const os = await import("node:os");
    const store = new JSONStateStore(process.argv[2]);
    const lock = await store.acquireLock("nightly", { runId: "child-run", pid: process.pid, host: os.hostname() });
    const write = (value) => store.commit({ runs: [], attempts: [], taskStates: [{
      workflow: "nightly", runKey: "default", task: "a", status: "COMPLETED", runId: "child-run",
      attempts: 1, startedAt: 1, finishedAt: 2, duration: 0.001, version: undefined,
      error: undefined, result: encodeValue(value, "x") }] });
    await write("from child");
    process.stdout.write("locked\\n");
    process.stdin.setEncoding("utf8");
    for await (const chunk of process.stdin) {
      if (chunk.includes("write")) { await write("written later"); process.stdout.write("written\\n"); }
      if (chunk.includes("release")) { await lock.release(); await store.close(); process.stdout.write("released\\n"); }
    }
  `;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, INDEX, file],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  const waiting: { expected: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const wait of [...waiting]) {
      if (out.split("\n").includes(wait.expected)) {
        waiting.splice(waiting.indexOf(wait), 1);
        wait.resolve();
      }
    }
  };
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    check();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.on("exit", (code, signal) => {
    for (const wait of waiting.splice(0)) {
      wait.reject(
        new Error(`the child exited (${code ?? signal}) before "${wait.expected}": ${err}`),
      );
    }
  });
  return {
    process: child,
    line: (expected) =>
      new Promise((resolve, reject) => {
        waiting.push({ expected, resolve, reject });
        check();
      }),
    send: (command) => child.stdin.write(`${command}\n`),
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
