import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SQLiteStateStore } from "../../src/index.js";
import { openDatabase } from "../../src/stores/sqlite/connection.js";
import { loadDriver } from "../../src/stores/sqlite/driver.js";
import { storeContract } from "./contract.js";
import { thrown } from "./failures.js";
import { INDEX_URL, runScript } from "./scripts.js";
import { useSQLiteScratch } from "./sqlite-helpers.js";

storeContract("SQLiteStateStore", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
  const file = path.join(dir, "state.db");
  return {
    open: () => new SQLiteStateStore(file),
    persistent: true,
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

const scratch = useSQLiteScratch();

describe("SQLiteStateStore options", () => {
  it.each([
    [undefined, "got undefined"],
    ["", 'got ""'],
    ["   ", 'got "   "'],
    [42, "got 42"],
  ])("refuses the path %j, showing it", (bad, shown) => {
    const error = thrown(() => new SQLiteStateStore(bad as string));
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain("path");
    expect(error.message).toContain(shown);
  });

  it("refuses bad options, naming them", () => {
    const { file } = scratch;
    const fast = thrown(() => new SQLiteStateStore(file, { durability: "fast" as "full" }));
    expect(fast.message).toContain('"durability"');
    expect(fast.message).toContain('"fast"');
    const typo = thrown(() => new SQLiteStateStore(file, { durabilty: "full" } as object));
    expect(typo.message).toContain('"durabilty"');
    const notObject = thrown(() => new SQLiteStateStore(file, "full" as unknown as object));
    expect(notObject.message).toContain("options must be an object");
    expect(fs.existsSync(file)).toBe(false);
  });

  it("refuses bad query arguments, naming them", async () => {
    const store = scratch.open();
    await expect(store.listRuns({ limit: 0 })).rejects.toThrow(/"limit".*got 0/);
    await expect(store.listRuns({ limit: "5" as unknown as number })).rejects.toThrow(/"limit"/);
    await expect(store.clearAllStates(7 as unknown as string)).rejects.toThrow(/"workflow".*got 7/);
    await expect(store.listAttempts(undefined as unknown as string)).rejects.toThrow(/"runId"/);
  });

  it("uses synchronous=NORMAL by default and FULL with durability 'full', in WAL mode", () => {
    for (const [durability, level] of [
      ["normal", 1],
      ["full", 2],
    ] as const) {
      const file = path.join(scratch.dir, `${durability}.db`);
      const db = openDatabase(file, durability, `sqlite:${file}`);
      try {
        expect(db.pragma("synchronous", { simple: true })).toBe(level);
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(db.pragma("busy_timeout", { simple: true })).toBeGreaterThanOrEqual(1000);
      } finally {
        db.close();
      }
    }
    expect(scratch.open(path.join(scratch.dir, "full.db"), { durability: "full" }).durability).toBe(
      "full",
    );
    expect(scratch.open(path.join(scratch.dir, "normal.db")).durability).toBe("normal");
  });

  it("says how to install better-sqlite3 when it is missing", () => {
    const missing = thrown(() =>
      loadDriver(() => {
        throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), {
          code: "MODULE_NOT_FOUND",
        });
      }),
    );
    expect(missing.code).toBe("SQLITE_DRIVER_MISSING");
    expect(missing.message).toContain("npm install better-sqlite3@^12");
    const broken = thrown(() =>
      loadDriver(() => {
        throw new Error("was compiled against a different Node.js version");
      }),
    );
    expect(broken.code).toBe("SQLITE_DRIVER_FAILED");
    expect(broken.message).toContain("npm rebuild better-sqlite3");
  });

  it("loads better-sqlite3 only when a store is created, not on import", () => {
    const child = runScript(
      `import { createRequire } from "node:module";
       const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("better-sqlite3"));
       const { SQLiteStateStore } = await import(${JSON.stringify(INDEX_URL)});
       const before = loaded();
       await new SQLiteStateStore(${JSON.stringify(scratch.file)}).close();
       console.log(JSON.stringify({ before, after: loaded() }));`,
    );
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({ before: false, after: true });
  });

  it('keeps an in-memory database for ":memory:"', async () => {
    const store = new SQLiteStateStore(":memory:");
    expect(store.location).toBe("sqlite::memory:");
    await store.commit({
      runs: [
        {
          runId: "r",
          workflow: "wf",
          runKey: "default",
          status: "COMPLETED",
          startedAt: 1,
          finishedAt: 2,
          error: undefined,
        },
      ],
      taskStates: [],
      attempts: [],
    });
    expect(await store.listWorkflows()).toEqual(["wf"]);
    await store.close();
  });
});
