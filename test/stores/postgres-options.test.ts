import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { PostgresStateStore } from "../../src/index.js";
import { isTransient, translate, withRetry } from "../../src/stores/postgres/connection.js";
import { loadDriver } from "../../src/stores/postgres/driver.js";
import { resolveConnection } from "../../src/stores/postgres/options.js";
import { rejection, thrown } from "./failures.js";
import { INDEX_URL, runScript } from "./scripts.js";

/** A port on 127.0.0.1 that nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const NO_ENV: NodeJS.ProcessEnv = {};

describe("PostgresStateStore arguments", () => {
  it.each([
    [undefined, "got undefined"],
    [42, "got 42"],
    [null, "got null"],
    [["postgres://x"], "got an array"],
  ])("refuses the connection %j, showing it", (bad, shown) => {
    const error = thrown(() => new PostgresStateStore(bad as unknown as string));
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain("urlOrPoolConfig");
    expect(error.message).toContain(shown);
  });

  it.each([
    ["", 'must start with "postgres://"'],
    ["mysql://root@localhost/db", 'must start with "postgres://"'],
    ["127.0.0.1:5432", 'must start with "postgres://"'],
    ["postgres://u@[bad/db", "not a valid URL"],
    ["postgres://u@h/%E0%A4%A", "not validly percent-encoded"],
  ])("refuses the URL %j, saying why", (url, why) => {
    const error = thrown(() => new PostgresStateStore(url));
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain(why);
    expect(error.message).toContain("postgres://USER");
  });

  it("never shows a password, in messages or in its location", () => {
    const error = thrown(() => new PostgresStateStore("postgres://app:s3cret@[oops/db"));
    expect(error.message).not.toContain("s3cret");
    expect(error.message).toContain("app:***@");
    const store = new PostgresStateStore("postgres://app:s3cret@db.internal:6543/jobs");
    expect(store.location).toBe("postgres://app@db.internal:6543/jobs?schema=flowweaver");
    expect(store.address).toBe("db.internal:6543/jobs");
    const badPassword = thrown(
      () => new PostgresStateStore({ host: "h", password: 42 as unknown as string }),
    );
    expect(badPassword.message).toContain('"password"');
    expect(badPassword.message).not.toContain("42");
  });

  it.each([
    [{ hots: "db" }, '"hots"', "the fields are: connectionString, host"],
    [{ port: "5432" }, '"port" must be a port number', 'got "5432"'],
    [{ port: 70000 }, '"port" must be a port number', "got 70000"],
    [{ max: 0 }, '"max" must be a whole number >= 1', "got 0"],
    [{ host: "" }, '"host" must be a non-empty', 'got ""'],
    [{ connectionTimeoutMillis: -1 }, '"connectionTimeoutMillis"', "got -1"],
    [{ ssl: "yes" }, '"ssl" must be a boolean or TLS options', 'got "yes"'],
  ])("refuses the pool config %j, naming the field", (config, field, shown) => {
    const error = thrown(() => new PostgresStateStore(config as object));
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain(field);
    expect(error.message).toContain(shown);
  });

  it.each([
    ["bad-name", 'got "bad-name"'],
    ['a"b', 'got "a\\"b"'],
    ["1abc", 'got "1abc"'],
    ["pg_catalog", 'got "pg_catalog"'],
    ["x".repeat(64), "at most 63 characters"],
    ["", 'got ""'],
    [7, "got 7"],
  ])("refuses the schema %j", (schema, shown) => {
    const error = thrown(
      () => new PostgresStateStore("postgres://h/db", { schema: schema as string }),
    );
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain('option "schema"');
    expect(error.message).toContain(shown);
  });

  it("refuses bad options, naming them", () => {
    const url = "postgres://h/db";
    const fast = thrown(() => new PostgresStateStore(url, { durability: "fast" as "full" }));
    expect(fast.message).toContain('"durability"');
    expect(fast.message).toContain('"fast"');
    const typo = thrown(() => new PostgresStateStore(url, { shema: "x" } as object));
    expect(typo.message).toContain('"shema"');
    expect(typo.message).toContain("the options are: schema, durability");
    const notObject = thrown(() => new PostgresStateStore(url, "x" as unknown as object));
    expect(notObject.message).toContain("options must be an object");
    const twice = thrown(() => new PostgresStateStore(`${url}?schema=a`, { schema: "b" }));
    expect(twice.message).toContain("give the schema in one place only");
    const badUrlSchema = thrown(() => new PostgresStateStore(`${url}?schema=a-b`));
    expect(badUrlSchema.message).toContain("the URL's schema parameter");
  });

  it("refuses bad method arguments, naming them", async () => {
    const store = new PostgresStateStore("postgres://h/db");
    await expect(store.listRuns({ limit: 0 })).rejects.toThrow(/"limit".*got 0/);
    await expect(store.clearAllStates(7 as unknown as string)).rejects.toThrow(/"workflow".*got 7/);
    await expect(store.listAttempts(undefined as unknown as string)).rejects.toThrow(/"runId"/);
    await expect(store.acquireLock("", { runId: "r", pid: 1, host: "h" })).rejects.toThrow(
      /"workflow"/,
    );
    await store.close();
  });

  it("works out address, user and location as node-postgres would connect", () => {
    const fromUrl = resolveConnection("postgresql://me@db:6000/app?schema=etl", {}, NO_ENV);
    expect(fromUrl).toMatchObject({ address: "db:6000/app", user: "me", schema: "etl" });
    // The store's own parameter is not handed to node-postgres.
    expect(fromUrl.config.connectionString).toBe("postgresql://me@db:6000/app");
    expect(fromUrl.location).toBe("postgres://me@db:6000/app?schema=etl");

    const socket = resolveConnection("postgres:///app?host=/var/run/postgresql", {}, NO_ENV);
    expect(socket.address).toBe("/var/run/postgresql:5432/app");

    const fields = resolveConnection({ host: "::1", user: "svc" }, { schema: "s" }, NO_ENV);
    expect(fields).toMatchObject({ address: "[::1]:5432/svc", user: "svc", schema: "s" });
    expect(fields.config).toMatchObject({ connectionTimeoutMillis: 10_000, host: "::1" });

    const env = resolveConnection(
      {},
      {},
      { PGHOST: "pghost", PGPORT: "7000", PGUSER: "u", PGDATABASE: "d" },
    );
    expect(env.address).toBe("pghost:7000/d");
    expect(resolveConnection({}, {}, NO_ENV).address).toBe("localhost:5432/postgres");
  });

  it("says how to install pg when it is missing", async () => {
    const missing = await rejection(
      loadDriver(async () => {
        throw Object.assign(new Error("Cannot find package 'pg' imported from /app/x.js"), {
          code: "ERR_MODULE_NOT_FOUND",
        });
      }),
    );
    expect(missing.code).toBe("POSTGRES_DRIVER_MISSING");
    expect(missing.message).toContain("npm install pg@^8");
    const broken = await rejection(
      loadDriver(async () => {
        throw new SyntaxError("Unexpected token");
      }),
    );
    expect(broken.code).toBe("POSTGRES_DRIVER_FAILED");
    const wrong = await rejection(loadDriver(async () => ({ default: {} })));
    expect(wrong.message).toContain("not node-postgres 8");
  });

  it("loads pg only when a store is used, not on import", () => {
    const child = runScript(
      `import { createRequire } from "node:module";
       const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(k));
       const { PostgresStateStore } = await import(${JSON.stringify(INDEX_URL)});
       const store = new PostgresStateStore("postgres://nobody@127.0.0.1:1/none");
       const before = loaded();
       await store.listWorkflows().catch(() => {});
       await store.close();
       console.log(JSON.stringify({ before, after: loaded() }));`,
    );
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({ before: false, after: true });
  });
});

describe("PostgresStateStore connection errors", () => {
  it("names the address and how to start PostgreSQL when nothing listens there", async () => {
    const port = await closedPort();
    const store = new PostgresStateStore(`postgres://app:s3cret@127.0.0.1:${port}/jobs`);
    const error = await rejection(store.loadTaskStates("wf", "default"));
    expect(error.code).toBe("STORE_UNREACHABLE");
    expect(error.message).toContain(`PostgreSQL at 127.0.0.1:${port}/jobs is unreachable`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain("pg_ctlcluster");
    expect(error.message).not.toContain("s3cret");
    // Every call tries again (PostgreSQL may have been started since) and says the same.
    expect((await rejection(store.listWorkflows())).code).toBe("STORE_UNREACHABLE");
    expect((await rejection(store.acquireLock("wf", { runId: "r", pid: 1, host: "h" }))).code).toBe(
      "STORE_UNREACHABLE",
    );
    await store.close();
  });

  it("explains refused logins, missing databases and missing privileges", () => {
    const connection = resolveConnection("postgres://app@db:5432/jobs", {}, NO_ENV);
    const as = (code: string) =>
      translate(Object.assign(new Error(`server said ${code}`), { code }), connection) as Error & {
        code: string;
      };
    expect(as("28P01")).toMatchObject({ code: "STORE_AUTH_FAILED" });
    expect(as("28P01").message).toContain('refused the login of user "app"');
    expect(as("3D000")).toMatchObject({ code: "STORE_DATABASE_MISSING" });
    expect(as("3D000").message).toContain("db:5432/jobs");
    expect(as("42501")).toMatchObject({ code: "STORE_PERMISSION_DENIED" });
    expect(as("42501").message).toContain('schema "flowweaver"');
    const other = new Error("syntax");
    expect(translate(other, connection)).toBe(other);
    const aggregate = Object.assign(
      new AggregateError(
        [
          new Error("connect ECONNREFUSED ::1:5432"),
          new Error("connect ECONNREFUSED 127.0.0.1:5432"),
        ],
        "",
      ),
      { code: "ECONNREFUSED" },
    );
    expect((translate(aggregate, connection) as Error).message).toContain(
      "connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432",
    );
  });

  it("retries transient failures (dropped connection, serialization failure, deadlock) only", async () => {
    for (const code of ["40001", "40P01", "57P01", "ECONNRESET"]) {
      expect(isTransient(Object.assign(new Error("x"), { code }))).toBe(true);
    }
    expect(isTransient(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransient(Object.assign(new Error("x"), { code: "23505" }))).toBe(false);
    expect(isTransient(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(false);

    let calls = 0;
    const flaky = () => {
      calls++;
      if (calls < 3) return Promise.reject(Object.assign(new Error("deadlock"), { code: "40P01" }));
      return Promise.resolve("ok");
    };
    expect(await withRetry(flaky, [0, 0, 0])).toBe("ok");
    expect(calls).toBe(3);

    calls = 0;
    const always = () => {
      calls++;
      return Promise.reject(Object.assign(new Error("serialization"), { code: "40001" }));
    };
    await expect(withRetry(always, [0, 0])).rejects.toThrow("serialization");
    expect(calls).toBe(3);

    calls = 0;
    const fatal = () => {
      calls++;
      return Promise.reject(Object.assign(new Error("unique"), { code: "23505" }));
    };
    await expect(withRetry(fatal, [0, 0])).rejects.toThrow("unique");
    expect(calls).toBe(1);
  });
});
