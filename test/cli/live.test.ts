import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BIN, ensureBuilt, fixture, scratchDir } from "./support/cli.js";

const execFileAsync = promisify(execFile);

beforeAll(ensureBuilt);

let dir: ReturnType<typeof scratchDir>;
beforeEach(() => {
  dir = scratchDir();
});
afterEach(() => dir.remove());

/**
 * Runs the CLI on a pseudo-terminal of the given size (util-linux `script`), so stdout is
 * a TTY, and returns everything the terminal received, escape codes included.
 */
async function onTerminal(
  args: string,
  size: { rows: number; cols: number },
): Promise<{ code: number; screen: string }> {
  const command = `stty rows ${size.rows} cols ${size.cols}; node ${BIN} ${args}; echo "[exit $?]"`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color" };
  delete env.NO_COLOR;
  delete env.CI;
  const { stdout } = await execFileAsync("script", ["-qfec", command, "/dev/null"], {
    cwd: dir.path,
    env,
    encoding: "utf8",
  });
  const code = Number(/\[exit (\d+)\]/.exec(stdout)?.[1]);
  return { code, screen: stdout };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing escape codes is the point.
const plain = (text: string) => text.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, "").replaceAll("\r", "");

/** The last frame log-update drew before the summary: the lines just above it. */
function lastFrame(screen: string, summaryStart: RegExp): string[] {
  const lines = plain(screen).split("\n");
  const end = lines.findIndex((line) => summaryStart.test(line));
  return lines.slice(0, end);
}

describe("the live view on a terminal", () => {
  it("redraws every task in place and ends with final states and a summary", async () => {
    const { code, screen } = await onTerminal(
      `run ${fixture("failing.ts")} --state json:state.json`,
      { rows: 30, cols: 120 },
    );
    expect(code).toBe(1);
    // Drawn in place: cursor movement and line erasing, with colors.
    const ESC = "\u001B";
    expect(screen).toContain(`${ESC}[1A`);
    expect(screen).toContain(`${ESC}[2K`);
    expect(screen).toContain(`${ESC}[32m✔`);
    const frame = lastFrame(screen, /cli_failing failed in/);
    const row = (name: string) => frame.filter((line) => line.startsWith(` ${name} `, 1)).at(-1);
    expect(row("independent")).toMatch(/✔ independent +done +1 attempt/);
    expect(row("broken")).toMatch(/✖ broken +failed +1 attempt +\S+ +database unreachable/);
    expect(row("after_broken")).toMatch(/↷ after_broken +skipped +broken failed/);
    expect(row("after_after")).toMatch(/↷ after_after +skipped +broken failed/);
    const text = plain(screen);
    expect(text).toMatch(/✖ cli_failing failed in \S+ \(run [0-9a-f-]{36}\)/);
    expect(text).toContain("completed 1 · resumed from store 0 · failed 1 · skipped 2 · 4 tasks");
  });

  it("marks tasks resumed from the store", async () => {
    await onTerminal(`run ${fixture("pipeline.ts")} --state json:state.json`, {
      rows: 30,
      cols: 120,
    });
    const { code, screen } = await onTerminal(
      `run ${fixture("pipeline.ts")} --state json:state.json`,
      {
        rows: 30,
        cols: 120,
      },
    );
    expect(code).toBe(0);
    const frame = lastFrame(screen, /cli_pipeline completed in/);
    expect(
      frame.filter((line) => /↺ (extract|transform|load) +done .*resumed from store/.test(line)),
    ).toHaveLength(3);
    expect(plain(screen)).toContain("completed 0 · resumed from store 3");
  });

  it("stays within the terminal's height when there are more tasks than rows", async () => {
    const rows = 15;
    const { code, screen } = await onTerminal(`run ${fixture("wide.ts")} --state memory:`, {
      rows,
      cols: 100,
    });
    expect(code).toBe(0);
    const frame = lastFrame(screen, /cli_wide completed in/);
    const start = frame.findLastIndex((line) => line.startsWith("cli_wide · run "));
    const drawn = frame.slice(start).filter((line) => line.trim() !== "");
    expect(drawn.length).toBeLessThan(rows);
    expect(drawn.at(-2)).toMatch(/… \d+ more tasks not shown/);
    expect(drawn.at(-1)).toMatch(/^60\/60 finished · 60 done/);
    expect(plain(screen)).toContain(
      "completed 60 · resumed from store 0 · failed 0 · skipped 0 · 60 tasks",
    );
  });
});
