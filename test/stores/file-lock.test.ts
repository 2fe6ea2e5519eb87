import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileExclusive, LockFile } from "../../src/stores/file-lock.js";

const LOCK_MODULE = fileURLToPath(new URL("../../src/stores/file-lock.ts", import.meta.url));
const RESOURCE = "The test store";
const HAS_BOOT_ID = fs.existsSync("/proc/sys/kernel/random/boot_id");

let dir: string;
let lockPath: string;
const held: LockFile[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
  lockPath = path.join(dir, "state.json.lock");
});

afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  fs.rmSync(dir, { recursive: true, force: true });
});

function owner(runId: string) {
  return { runId, pid: process.pid, host: os.hostname() };
}

function acquire(runId: string): LockFile {
  const lock = LockFile.acquire(lockPath, owner(runId), RESOURCE);
  held.push(lock);
  return lock;
}

/** The pid of a process that has exited: the kind of holder a crash leaves behind. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid as number;
}

/** A holder's record on this host, by default of a process that has died, since 08:00. */
function holder(
  runId: string,
  fields: { pid?: number; host?: string; since?: string; boot?: string } = {},
): Record<string, unknown> {
  return {
    pid: fields.pid ?? deadPid(),
    host: fields.host ?? os.hostname(),
    runId,
    since: fields.since ?? "2026-11-25T08:00:00.000Z",
    ...(fields.boot === undefined ? {} : { boot: fields.boot }),
  };
}

function writeHolder(file: string, record: Record<string, unknown>): string {
  const text = `${JSON.stringify(record)}\n`;
  fs.writeFileSync(file, text);
  return text;
}

function refusal(fn: () => unknown): Error & { code?: string; holder?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string; holder?: string };
  }
  throw new Error("expected the lock to be refused");
}

function readHolder(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(lockPath, "utf8")) as Record<string, unknown>;
}

describe("LockFile", () => {
  it("writes who holds it, and removes the file on release (twice is harmless)", () => {
    const lock = acquire("run-1");
    expect(readHolder()).toMatchObject({ pid: process.pid, host: os.hostname(), runId: "run-1" });
    expect(Number.isNaN(Date.parse(readHolder().since as string))).toBe(false);
    expect(lock.holder.runId).toBe("run-1");
    lock.release();
    expect(fs.existsSync(lockPath)).toBe(false);
    lock.release();
    // Nothing but the lock file was ever left in the directory.
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses a second holder, naming the file, the holder and what to do", () => {
    const first = acquire("run-holder");
    const error = refusal(() => LockFile.acquire(lockPath, owner("run-second"), RESOURCE));
    expect(error.name).toBe("StoreLockedError");
    expect(error.code).toBe("STORE_LOCKED");
    expect(error.message).toContain(RESOURCE);
    expect(error.message).toContain(lockPath);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain(os.hostname());
    expect(error.message).toContain("run-holder");
    expect(error.message).toContain(first.holder.since);
    expect(error.holder).toContain("run-holder");
    first.release();
    acquire("run-second");
  });

  it("takes over a lock whose holder process is dead", () => {
    writeHolder(lockPath, holder("crashed-run"));
    const lock = acquire("run-new");
    expect(readHolder().runId).toBe("run-new");
    lock.release();
    expect(fs.existsSync(lockPath)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.runIf(HAS_BOOT_ID)("takes over a lock taken before the machine rebooted", () => {
    // pid 1 is alive, but a lock from another boot cannot be held by it any more.
    writeHolder(
      lockPath,
      holder("before-reboot", { pid: 1, boot: "00000000-0000-0000-0000-000000000000" }),
    );
    acquire("after-reboot");
    expect(readHolder().runId).toBe("after-reboot");
  });

  it("does not take over a lock held on another host: it cannot check that process", () => {
    writeHolder(lockPath, holder("remote-run", { host: "some-other-host" }));
    const error = refusal(() => acquire("run-here"));
    expect(error.name).toBe("StoreLockedError");
    expect(error.message).toContain("some-other-host");
    expect(error.message).toContain("remote-run");
    expect(error.message).toContain("delete the lock file");
  });

  it("refuses a lock file it cannot read, and says to delete it if unused", () => {
    const before = "this is not a lock\n";
    fs.writeFileSync(lockPath, before);
    const error = refusal(() => acquire("run-1"));
    expect(error.name).toBe("StoreLockedError");
    expect(error.message).toContain(lockPath);
    expect(error.message).toContain("delete that file");
    expect(fs.readFileSync(lockPath, "utf8")).toBe(before);
  });

  it("takes over when a previous taker died half-way through its takeover", () => {
    const stale = writeHolder(lockPath, holder("crashed-run"));
    // The mutex a dead taker created for this stale lock, and never removed.
    writeHolder(
      takeoverMutex(stale),
      holder("crashed-taker", { since: "2026-11-25T08:00:01.000Z" }),
    );
    acquire("run-new");
    expect(readHolder().runId).toBe("run-new");
    expect(fs.readdirSync(dir)).toEqual(["state.json.lock"]);
  });

  it("stands back while a live process is taking the same stale lock over", () => {
    const stale = writeHolder(lockPath, holder("crashed-run"));
    // pid 1 always exists: a live process, not this one.
    writeHolder(
      takeoverMutex(stale),
      holder("live-taker", { pid: 1, since: "2026-11-25T08:00:01.000Z" }),
    );
    const error = refusal(() => acquire("run-new"));
    expect(error.name).toBe("StoreLockedError");
    expect(error.message).toContain("live-taker");
    expect(error.message).toContain("taking it over");
    expect(fs.readFileSync(lockPath, "utf8")).toBe(stale);
  });

  it("never removes a lock that is no longer its own", () => {
    const lock = acquire("run-1");
    const other = writeHolder(lockPath, holder("someone-else", { pid: process.pid }));
    lock.release();
    expect(fs.readFileSync(lockPath, "utf8")).toBe(other);
  });

  it("lets exactly one of several processes take over a dead holder's lock", async () => {
    writeHolder(lockPath, holder("crashed-run"));
    const children = Array.from({ length: 4 }, (_, i) => startTaker(`taker-${i}`));
    try {
      const outcomes = await Promise.all(children.map((child) => firstLine(child)));
      expect(outcomes.filter((line) => line === "won")).toHaveLength(1);
      expect(outcomes.filter((line) => line === "refused")).toHaveLength(3);
      const winner = children[outcomes.indexOf("won")] as ChildProcess;
      expect(readHolder().pid).toBe(winner.pid);
    } finally {
      await Promise.all(children.map((child) => stop(child)));
    }
    // The winner released at exit; no mutex or temporary file is left.
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("is released when the process exits without releasing it", async () => {
    const child = startTaker("exits");
    expect(await firstLine(child)).toBe("won");
    expect(readHolder().pid).toBe(child.pid);
    await stop(child);
    expect(fs.existsSync(lockPath)).toBe(false);
  });
});

describe("createFileExclusive", () => {
  it("creates a file whole, once, and leaves no temporary file", () => {
    const file = path.join(dir, "f.txt");
    expect(createFileExclusive(file, "first\n")).toBe(true);
    expect(createFileExclusive(file, "second\n")).toBe(false);
    expect(fs.readFileSync(file, "utf8")).toBe("first\n");
    expect(fs.readdirSync(dir)).toEqual(["f.txt"]);
  });
});

function takeoverMutex(staleText: string): string {
  const hash = createHash("sha256").update(staleText).digest("hex").slice(0, 16);
  return `${lockPath}.takeover-${hash}`;
}

/**
 * A child that tries to take the lock, prints "won" or "refused", and exits (without
 * releasing: the exit handler must) when its stdin closes.
 */
function startTaker(runId: string): ChildProcess {
  const script = `
    const { LockFile } = await import(process.argv[1]);
    const os = await import("node:os");
    try {
      LockFile.acquire(process.argv[2], { runId: process.argv[3], pid: process.pid, host: os.hostname() }, "x");
      process.stdout.write("won\\n");
    } catch (error) {
      process.stdout.write(error.name === "StoreLockedError" ? "refused\\n" : "error " + error.message + "\\n");
    }
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));
  `;
  return spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, LOCK_MODULE, lockPath, runId],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf("\n");
      if (newline >= 0) resolve(out.slice(0, newline));
    });
    child.on("exit", (code) =>
      reject(new Error(`child exited (${code}) before answering: ${err}`)),
    );
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on("exit", () => resolve());
    child.stdin?.end();
  });
}
