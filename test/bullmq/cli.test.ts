/**
 * `flowweaver worker` as users start it (the built CLI in a child process): usage errors,
 * an unreachable Redis or PostgreSQL named in a clear error, and a clean stop on SIGTERM.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, finished, runCli, scratchDir, startCli } from "../cli/support/cli.js";
import { service } from "../support/services.js";
import { closedPort, deleteKeys, REDIS_URL, uniquePrefix } from "./support.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/self-running.mjs", import.meta.url));
const redis = await service("redis");
const prefix = uniquePrefix("cli");

describe("flowweaver worker", () => {
  let scratch: ReturnType<typeof scratchDir>;
  const cli = (...args: string[]) => runCli(args, { cwd: scratch.path });

  beforeAll(() => {
    ensureBuilt();
    scratch = scratchDir();
  });

  afterAll(async () => {
    scratch.remove();
    if (redis.up) await deleteKeys(prefix);
  });

  it("is listed in --help", async () => {
    const help = await cli("--help");
    expect(help.stdout).toMatch(/worker \[options\] <file>\s+run the tasks a BullMQExecutor/);
  });

  it.each([
    [["worker", FIXTURE], /required option '--redis <url>' not specified/],
    [["worker", "nowhere.ts", "--redis", REDIS_URL], /workflow file "nowhere.ts" does not exist/],
    [
      ["worker", FIXTURE, "--redis", REDIS_URL, "--concurrency", "0"],
      /--concurrency takes a whole number >= 1; got "0"/,
    ],
    [["worker", FIXTURE, "--redis", REDIS_URL, "--state", "mysql://db/x"], /is not a state URL/],
    [
      ["worker", FIXTURE, "--redis", "http://cache:6379"],
      /must be a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [
      ["worker", FIXTURE, "--redis", REDIS_URL, "--lock-duration", "soon"],
      /--lock-duration takes a duration: seconds, or a number with ms, s, m or h, like "30s"; got "soon"/,
    ],
  ])("flowweaver %j exits 2", async (args, message) => {
    const result = await cli(...args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });

  it("names the Redis address it cannot reach and exits 1", async () => {
    const port = await closedPort();
    const result = await cli("worker", FIXTURE, "--redis", `redis://127.0.0.1:${port}`);
    expect(result.stderr).toContain(
      `error: Redis at 127.0.0.1:${port} is unreachable for flowweaver worker: connect ECONNREFUSED 127.0.0.1:${port}.`,
    );
    expect(result.code).toBe(1);
  });

  it("names the PostgreSQL address its --state cannot reach and exits 1", async () => {
    const port = await closedPort();
    const result = await cli(
      "worker",
      FIXTURE,
      "--redis",
      REDIS_URL,
      "--state",
      `postgres://postgres@127.0.0.1:${port}/test`,
    );
    expect(result.stderr).toContain(`error: PostgreSQL at 127.0.0.1:${port}/test is unreachable`);
    expect(result.code).toBe(1);
  });

  describe.skipIf(!redis.up)(`on Redis${redis.note}`, () => {
    it("serves the file's workflows until SIGTERM, then stops cleanly with exit 0", async () => {
      const child = startCli(["worker", FIXTURE, "--redis", REDIS_URL, "--prefix", prefix], {
        cwd: scratch.path,
      });
      const done = finished(child);
      await new Promise<void>((resolve) => {
        let seen = "";
        child.stderr?.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('serving "self_running"')) resolve();
        });
      });
      child.kill("SIGTERM");
      const result = await done;
      expect(result.stderr).toContain("SIGTERM received: finishing running attempts");
      expect(result.stderr).toContain("worker stopped");
      expect(result.code).toBe(0);
    });
  });
});
