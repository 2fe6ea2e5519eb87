import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, fixture, runCli, scratchDir } from "./support/cli.js";

let dir: ReturnType<typeof scratchDir>;
beforeAll(() => {
  ensureBuilt();
  dir = scratchDir();
});
afterAll(() => dir.remove());

const cli = (...args: string[]) => runCli(args, { cwd: dir.path });

describe("bad usage exits 2 with a message that says what to do", () => {
  it.each([
    [["run", fixture("pipeline.ts"), "--bogus"], /unknown option '--bogus'/],
    [["fly"], /unknown command 'fly'/],
    [[], /Usage: flowweaver/],
    [["run"], /missing required argument 'file'/],
    [
      ["run", fixture("pipeline.ts"), "--executor", "quantum"],
      /Allowed choices are sequential, async, threaded/,
    ],
    [
      ["run", fixture("pipeline.ts"), "--concurrency", "0"],
      /--concurrency takes a whole number >= 1; got "0"/,
    ],
    [
      ["run", fixture("pipeline.ts"), "--concurrency", "4"],
      /sequential executor runs one task at a time/,
    ],
    [["run", fixture("pipeline.ts"), "--param", "novalue"], /--param takes KEY=VALUE/],
    [
      ["run", fixture("pipeline.ts"), "--param", "a=1", "--param", "a=2"],
      /--param a is given twice/,
    ],
    [["history", "--limit", "many"], /--limit takes a whole number >= 1; got "many"/],
  ])("flowweaver %j", async (args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("a bad --state URL names the accepted forms", async () => {
    const result = await cli("run", fixture("pipeline.ts"), "--state", "mysql://db/flows");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--state "mysql://db/flows" is not a state URL. Accepted forms: sqlite:PATH, json:PATH, postgres://USER@HOST:PORT/DATABASE, memory: (default sqlite:.flowweaver/state.db).',
    );
    const empty = await cli("status", "--state", "sqlite:");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/write sqlite:PATH with a file path/);
  });

  it("a missing file, a file of another kind, and a file that fails to import", async () => {
    const missing = await cli("run", "nowhere.ts");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/workflow file "nowhere.ts" does not exist/);

    writeFileSync(join(dir.path, "notes.txt"), "not code");
    const text = await cli("run", "notes.txt");
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/must end in \.ts, \.mts, \.js, \.mjs; got "\.txt"/);

    const broken = await cli("graph", fixture("throws-on-import.mjs"));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/could not load workflow file .*throws-on-import\.mjs/);
    expect(broken.stderr).toContain("this module cannot be imported");
  });

  it("a file with no workflow, or several without --workflow", async () => {
    const none = await cli("run", fixture("no-workflow.ts"));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exports no Workflow \(its exports: answer, lonely\)/);

    const two = await cli("run", fixture("two-workflows.mjs"));
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(
      /exports 2 workflows: cli_alpha \(export "alpha"\), cli_beta \(export "beta"\)\. Choose one with --workflow NAME/,
    );

    const wrong = await cli("graph", fixture("two-workflows.mjs"), "--workflow", "gamma");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--workflow "gamma": .* has no workflow by that name/);
  });

  it("a workflow with a dependency cycle is refused before it runs", async () => {
    const result = await cli("run", fixture("cycle.mjs"), "--state", "memory:");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/dependency cycle: (a → b → a|b → a → b)/);
  });

  it("clear refuses to delete without --yes when not on a terminal", async () => {
    expect((await cli("run", fixture("pipeline.mjs"))).code).toBe(0);
    const result = await cli("clear");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Not on a terminal, so it cannot ask: pass --yes to confirm/);
  });

  it("read-only commands refuse memory:, which holds nothing between commands", async () => {
    const result = await cli("status", "--state", "memory:");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the memory store keeps state only while one command runs/);
  });
});

describe("help and version", () => {
  it.each(["run", "status", "history", "graph", "clear"])(
    "flowweaver %s --help describes the command and exits 0",
    async (command) => {
      const result = await cli(command, "--help");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: flowweaver ${command}`);
      expect(result.stdout).toContain("--state <url>");
    },
  );

  it("flowweaver --help lists the commands; --version prints the version", async () => {
    const help = await cli("--help");
    expect(help.code).toBe(0);
    for (const command of ["run", "status", "history", "graph", "clear"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    const version = await cli("--version");
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
