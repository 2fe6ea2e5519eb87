import fs from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uiCommand } from "../../src/cli/commands/ui.js";
import type { CliIO } from "../../src/cli/io.js";
import type { TaskResponse, WorkflowsResponse } from "../../src/dashboard/api-types.js";
import { ChangeWatcher } from "../../src/dashboard/changes.js";
import { startDashboard, storeWhenPresent } from "../../src/dashboard/index.js";
import { renderValue } from "../../src/dashboard/preview.js";
import {
  JSONStateStore,
  MemoryStateStore,
  SequentialExecutor,
  SQLiteStateStore,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";
import { deferred } from "./fixtures.js";
import { buildAssets, readEvents, removeDir, tempDir } from "./helpers.js";

let dir: string;
let assetsDir: string;

beforeAll(async () => {
  dir = tempDir();
  assetsDir = await buildAssets(dir);
});

afterAll(() => removeDir(dir));

function oneTask(name: string, fn: () => unknown = () => 1): Workflow {
  const wf = new Workflow(name);
  wf.addTask(task("only", fn));
  return wf;
}

describe("startDashboard options", () => {
  const store = new MemoryStateStore();

  it.each([
    [{}, /option "store" must be a state store/],
    [{ store, port: -1 }, /option "port" must be a whole number from 0 to 65535 .*got -1/],
    [{ store, port: 1.5 }, /option "port".*got 1\.5/],
    [{ store, host: "" }, /option "host" must be an interface/],
    [{ store, token: "short" }, /option "token" must be at least 16 characters.*got 5 characters/],
    [{ store, open: "yes" }, /option "open" must be true or false; got "yes"/],
    [{ store, pollInterval: "soon" }, /pollInterval/],
    [{ store, colour: "blue" }, /unknown option "colour"; the options are: store, port/],
    [{ store, workflows: [{}] }, /option "workflows"\[0\] must be a Workflow; got Object/],
    [
      { store, assetsDir: path.join("/nonexistent", "assets") },
      /browser files are missing: no index.html in \/nonexistent\/assets. Build them with `npm run build`/,
    ],
  ])("refuses %o", async (options, message) => {
    await expect(startDashboard(options as never)).rejects.toThrow(message);
  });

  it("never prints the token it refuses", async () => {
    await expect(startDashboard({ store, assetsDir, token: "secret token!" })).rejects.toThrow(
      /got 13 characters/,
    );
  });

  it("says which port is in use", async () => {
    const first = await startDashboard({ store, port: 0, assetsDir });
    try {
      await expect(startDashboard({ store, port: first.port, assetsDir })).rejects.toMatchObject({
        code: "DASHBOARD_LISTEN_FAILED",
        message: `The dashboard cannot listen on 127.0.0.1:${first.port}: the port is in use: pick another (port 0 picks a free one).`,
      });
    } finally {
      await first.close();
    }
  });
});

describe("live changes", () => {
  it("streams a change event when a run in another store object progresses", async () => {
    const file = path.join(dir, "live.db");
    const writer = new SQLiteStateStore(file);
    const reader = new SQLiteStateStore(file);
    const dashboard = await startDashboard({
      store: reader,
      port: 0,
      assetsDir,
      pollInterval: "10ms",
    });
    const gate = deferred();
    const started = deferred();
    const wf = oneTask("live_probe", async () => {
      started.resolve();
      await gate.promise;
      return "done";
    });
    const controller = new AbortController();
    try {
      const response = await fetch(new URL("/api/events", dashboard.url), {
        signal: controller.signal,
      });
      expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const events = readEvents(response.body as ReadableStream<Uint8Array>);
      const ready = await events.next();
      expect(ready.value?.event).toBe("ready");
      const running = new SequentialExecutor({ stateStore: writer, logger: silentLogger }).execute(
        wf,
      );
      await started.promise;
      const change = await events.next();
      expect(change.value?.event).toBe("change");
      expect(JSON.parse(change.value?.data ?? "{}").version).not.toBe(
        JSON.parse(ready.value?.data ?? "{}").version,
      );
      gate.resolve();
      await running;
      // The finished run changes the fingerprint again.
      expect((await events.next()).value?.event).toBe("change");
    } finally {
      controller.abort();
      await dashboard.close();
      await reader.close();
      await writer.close();
    }
  });

  it("ends open event streams when it closes", async () => {
    const dashboard = await startDashboard({ store: new MemoryStateStore(), port: 0, assetsDir });
    const response = await fetch(new URL("/api/events", dashboard.url));
    const events = readEvents(response.body as ReadableStream<Uint8Array>);
    expect((await events.next()).value?.event).toBe("ready");
    await dashboard.close();
    expect((await events.next()).done).toBe(true);
  });
});

describe("stores", () => {
  it("reads a JSON store that another store object writes", async () => {
    const file = path.join(dir, "state.json");
    const writer = new JSONStateStore(file);
    const reader = new JSONStateStore(file);
    const dashboard = await startDashboard({ store: reader, port: 0, assetsDir });
    const names = async () =>
      (
        (await (await fetch(new URL("/api/workflows", dashboard.url))).json()) as WorkflowsResponse
      ).workflows.map((w) => w.name);
    try {
      const executor = new SequentialExecutor({ stateStore: writer, logger: silentLogger });
      await executor.execute(oneTask("first_json"));
      expect(await names()).toEqual(["first_json"]);
      await executor.execute(oneTask("second_json"));
      expect(await names()).toEqual(["first_json", "second_json"]);
    } finally {
      await dashboard.close();
      await reader.close();
      await writer.close();
    }
  });

  it("reads a memory store and truncates a long result's preview", async () => {
    const store = new MemoryStateStore();
    const wf = oneTask("big", () => "x".repeat(10_000));
    const run = await new SequentialExecutor({ stateStore: store, logger: silentLogger }).execute(
      wf,
    );
    const dashboard = await startDashboard({ store, port: 0, assetsDir });
    try {
      const response = await fetch(new URL(`/api/runs/${run.runId}/tasks/only`, dashboard.url));
      const body = (await response.json()) as TaskResponse;
      expect(body.result?.truncated).toBe(true);
      expect(body.result?.type).toBe("string");
      expect(body.result?.preview).toBe(`${"x".repeat(4000)}…`);
    } finally {
      await dashboard.close();
    }
  });

  it("shows an empty store until the store file appears, and never creates it", async () => {
    const file = path.join(dir, "later", "state.db");
    let opened = 0;
    const store = storeWhenPresent({
      url: `sqlite:${file}`,
      exists: () => fs.existsSync(file),
      open: async () => {
        opened++;
        return new SQLiteStateStore(file);
      },
    });
    const dashboard = await startDashboard({ store, port: 0, assetsDir });
    try {
      const empty = (await (
        await fetch(new URL("/api/workflows", dashboard.url))
      ).json()) as WorkflowsResponse;
      expect(empty).toMatchObject({ store: `sqlite:${file}`, workflows: [] });
      expect(opened).toBe(0);
      const writer = new SQLiteStateStore(file);
      await new SequentialExecutor({ stateStore: writer, logger: silentLogger }).execute(
        oneTask("appeared"),
      );
      await writer.close();
      const later = (await (
        await fetch(new URL("/api/workflows", dashboard.url))
      ).json()) as WorkflowsResponse;
      expect(later.workflows.map((w) => w.name)).toEqual(["appeared"]);
      expect(opened).toBe(1);
    } finally {
      await dashboard.close();
      await store.close();
    }
  });
});

describe("ChangeWatcher", () => {
  it("tells earlier subscribers of a change even when a later one read the new version first", async () => {
    const store = new MemoryStateStore();
    const watcher = new ChangeWatcher(store, 5, silentLogger);
    const heard = deferred<string>();
    const unsubscribe = watcher.subscribe((version) => heard.resolve(version));
    try {
      const before = await watcher.version();
      await new SequentialExecutor({ stateStore: store, logger: silentLogger }).execute(
        oneTask("changed"),
      );
      const later = await watcher.version();
      expect(later).not.toBe(before);
      expect(await heard.promise).toBe(later);
    } finally {
      unsubscribe();
      await watcher.close();
    }
  });
});

describe("workflow summaries", () => {
  it("hold the 10 newest run keys and count them all", async () => {
    const store = new MemoryStateStore();
    const executor = new SequentialExecutor({ stateStore: store, logger: silentLogger });
    const wf = oneTask("daily");
    for (let day = 1; day <= 12; day++) {
      await executor.execute(wf, { runKey: `2026-11-${String(day).padStart(2, "0")}` });
    }
    const dashboard = await startDashboard({ store, port: 0, assetsDir });
    try {
      const body = (await (
        await fetch(new URL("/api/workflows", dashboard.url))
      ).json()) as WorkflowsResponse;
      const [daily] = body.workflows;
      expect(daily?.partitionCount).toBe(12);
      expect(daily?.partitions.map((p) => p.runKey)).toEqual(
        Array.from({ length: 10 }, (_, i) => `2026-11-${String(12 - i).padStart(2, "0")}`),
      );
    } finally {
      await dashboard.close();
    }
  });
});

describe("renderValue", () => {
  it("names the type and runs no code of the value", () => {
    const sneaky = { [Symbol.for("nodejs.util.inspect.custom")]: () => "ran!", a: 1 };
    expect(renderValue(sneaky).preview).not.toContain("ran!");
    expect(renderValue(new Set([1, 2])).type).toBe("Set(2)");
    expect(renderValue(Buffer.from("hi")).type).toBe("Buffer(2)");
    expect(renderValue(null)).toEqual({ type: "null", preview: "null", truncated: false });
    expect(renderValue({ list: Array.from({ length: 500 }, (_, i) => i) }).preview).toContain(
      "400 more items",
    );
  });
});

describe("flowweaver ui", () => {
  it("serves the store until SIGINT, then exits 0", async () => {
    const file = path.join(dir, "cli.db");
    const writer = new SQLiteStateStore(file);
    await new SequentialExecutor({ stateStore: writer, logger: silentLogger }).execute(
      oneTask("from_cli"),
    );
    await writer.close();
    let output = "";
    const printed = deferred<string>();
    const sink = {
      write(text: string) {
        output += text;
        const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
        if (url) printed.resolve(url);
        return true;
      },
      isTTY: false,
    };
    const io = {
      stdout: sink,
      stderr: { write: () => true, isTTY: false },
      stdin: process.stdin,
      env: { FLOWWEAVER_DASHBOARD_ASSETS: assetsDir },
      cwd: dir,
      args: [],
    } as unknown as CliIO;
    const program = new Command("flowweaver").exitOverride();
    let code: number | undefined;
    uiCommand.register(program, { io }, (c) => {
      code = c;
    });
    const done = program.parseAsync(["ui", "--port", "0", "--state", "sqlite:cli.db"], {
      from: "user",
    });
    const url = await Promise.race([
      printed.promise,
      done.then(() => {
        throw new Error(`ui ended before printing its address; it printed: ${output}`);
      }),
    ]);
    const body = (await (await fetch(new URL("/api/workflows", url))).json()) as WorkflowsResponse;
    expect(body.workflows.map((w) => w.name)).toEqual(["from_cli"]);
    expect(output).toContain(`reading sqlite:cli.db\n`);
    expect(output).toContain("Press Ctrl-C to stop.");
    process.emit("SIGINT", "SIGINT");
    await done;
    expect(code).toBe(0);
  });

  it("refuses bad options with messages that name them", async () => {
    const program = new Command("flowweaver")
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    const io = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      env: {},
      cwd: dir,
      args: [],
    } as unknown as CliIO;
    uiCommand.register(program, { io }, () => {});
    await expect(program.parseAsync(["ui", "--port", "70000"], { from: "user" })).rejects.toThrow(
      /--port takes a whole number from 0 to 65535/,
    );
    await expect(program.parseAsync(["ui", "--token", "abc"], { from: "user" })).rejects.toThrow(
      /--token must be at least 16 characters.*got 3 characters/,
    );
    await expect(
      program.parseAsync(["ui", "--state", "memory:"], { from: "user" }),
    ).rejects.toThrow(/the memory store keeps state only while one command runs/);
  });
});
