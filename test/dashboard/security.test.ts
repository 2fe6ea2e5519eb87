import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import {
  MemoryStateStore,
  SequentialExecutor,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";
import { buildAssets, rawRequest, removeDir, tempDir } from "./helpers.js";

// Made while the file is collected: the traversal cases below name files in it.
const dir = tempDir();
let assetsDir: string;
const store = new MemoryStateStore();
let dashboard: Dashboard;

beforeAll(async () => {
  assetsDir = await buildAssets(dir);
  // Files just outside the assets folder, which no request may read.
  fs.writeFileSync(path.join(dir, "secret.txt"), "TOP-SECRET-OUTSIDE");
  fs.writeFileSync(path.join(dir, "secret.js"), "TOP-SECRET-OUTSIDE");
  const wf = new Workflow("tiny");
  wf.addTask(task("only", () => 1));
  await new SequentialExecutor({ stateStore: store, logger: silentLogger }).execute(wf);
  dashboard = await startDashboard({ store, port: 0, assetsDir });
});

afterAll(async () => {
  await dashboard?.close();
  removeDir(dir);
});

describe("static files", () => {
  it("serves the page and its script with their types", async () => {
    const page = await rawRequest(dashboard.url, "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).toContain('<script type="module" src="/app.js"></script>');
    const script = await rawRequest(dashboard.url, "/app.js");
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
  });

  it.each([
    "/../secret.txt",
    "/../../secret.txt",
    "/assets/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/app.js/../../secret.js",
    "/.%2e/secret.js",
    `/${path.join(dir, "secret.txt")}`,
    `//${path.join(dir, "secret.txt")}`,
    `/${encodeURIComponent(path.join(dir, "secret.txt"))}`,
    "/etc/passwd",
    "/%00/secret.txt",
    "/index.html%00.txt",
  ])("cannot escape the assets folder: %s", async (attempt) => {
    const response = await rawRequest(dashboard.url, attempt);
    expect([400, 404]).toContain(response.status);
    expect(response.body).not.toContain("TOP-SECRET-OUTSIDE");
    expect(response.body).not.toContain("root:");
  });
});

describe("read-only", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])("answers %s with 405", async (method) => {
    for (const target of ["/api/workflows", "/", "/app.js", "/api/nothing"]) {
      const response = await rawRequest(dashboard.url, target, { method });
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET, HEAD");
    }
  });

  it("answers HEAD like GET without a body", async () => {
    const response = await rawRequest(dashboard.url, "/api/workflows", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.body).toBe("");
  });
});

describe("security headers", () => {
  it("sends a strict CSP, nosniff and no CORS on every answer", async () => {
    for (const target of ["/", "/app.js", "/api/workflows", "/missing"]) {
      const response = await rawRequest(dashboard.url, target, {
        headers: { Origin: "https://evil.example" },
      });
      const csp = response.headers["content-security-policy"] ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.headers["x-frame-options"]).toBe("DENY");
      expect(response.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("never caches API answers", async () => {
    const response = await rawRequest(dashboard.url, "/api/workflows");
    expect(response.headers["cache-control"]).toBe("no-store");
  });
});

describe("host check without a token", () => {
  it("answers requests addressed to a loopback name only (no DNS rebinding)", async () => {
    const { port } = dashboard;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect(
        (await rawRequest(dashboard.url, "/api/workflows", { headers: { Host: host } })).status,
      ).toBe(200);
    }
    const evil = await rawRequest(dashboard.url, "/api/workflows", {
      headers: { Host: `evil.example:${port}` },
    });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body)).toMatchObject({ error: { code: "HOST_NOT_ALLOWED" } });
  });
});

describe("token", () => {
  const token = "a-test-token-that-is-long-enough";

  it("is required on every request, by header or by cookie", async () => {
    const guarded = await startDashboard({ store, port: 0, assetsDir, token });
    try {
      expect(guarded.token).toBe(token);
      for (const target of ["/", "/app.js", "/api/workflows", "/api/events"]) {
        const response = await rawRequest(guarded.url, target);
        expect(response.status).toBe(401);
        expect(response.headers["www-authenticate"]).toBe('Bearer realm="flowweaver"');
      }
      const wrong = await rawRequest(guarded.url, "/api/workflows", {
        headers: { Authorization: `Bearer ${token}x` },
      });
      expect(wrong.status).toBe(401);
      const right = await rawRequest(guarded.url, "/api/workflows", {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(right.status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it("moves a token from the address into an HttpOnly SameSite=Strict cookie", async () => {
    const guarded = await startDashboard({ store, port: 0, assetsDir, token });
    try {
      const first = await rawRequest(guarded.url, `/?token=${token}&x=1`);
      expect(first.status).toBe(303);
      expect(first.headers.location).toBe("/?x=1");
      const cookie = first.headers["set-cookie"]?.[0] ?? "";
      expect(cookie).toMatch(new RegExp(`^flowweaver_token_${guarded.port}=`));
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Strict");
      expect(cookie).toContain("Path=/");
      const pair = cookie.split(";")[0] ?? "";
      const withCookie = await rawRequest(guarded.url, "/api/workflows", {
        headers: { Cookie: pair },
      });
      expect(withCookie.status).toBe(200);
      const badQuery = await rawRequest(guarded.url, "/?token=guess-guess-guess-guess");
      expect(badQuery.status).toBe(401);
      expect(badQuery.headers["set-cookie"]).toBeUndefined();
    } finally {
      await guarded.close();
    }
  });

  it("is generated for a host other machines can reach", async () => {
    const open = await startDashboard({ store, port: 0, assetsDir, host: "0.0.0.0" });
    try {
      expect(open.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(open.url).toBe(`http://localhost:${open.port}/`);
      expect((await rawRequest(open.url, "/api/workflows")).status).toBe(401);
      const ok = await rawRequest(open.url, "/api/workflows", {
        headers: { Authorization: `Bearer ${open.token}`, Host: `192.0.2.7:${open.port}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
