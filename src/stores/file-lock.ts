import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { hostname } from "node:os";
import { StoreLockedError } from "../core/errors.js";
import type { LockOwner } from "./store.js";

/**
 * A lock file that says which process uses a resource (a JSON state store): created
 * atomically next to it, holding `{ pid, host, runId, since, boot }`, removed on release
 * and when the process exits. A lock whose holder process is gone (same host, and its pid
 * no longer exists or the machine rebooted since) is taken over.
 */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly runId: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** Linux boot id when the lock was taken: a pid from an earlier boot is always dead. */
  readonly boot?: string;
}

/** A held lock file. */
export class LockFile {
  readonly path: string;
  readonly holder: LockHolder;
  readonly #text: string;
  #held = true;

  private constructor(path: string, holder: LockHolder, text: string) {
    this.path = path;
    this.holder = holder;
    this.#text = text;
    heldLocks.add(this);
    if (heldLocks.size === 1) process.on("exit", releaseAllAtExit);
  }

  /**
   * Takes the lock file at `path` for `owner`, or throws StoreLockedError naming the
   * holder. `resource` names what the lock protects, for messages ("JSON state store …").
   */
  static acquire(path: string, owner: LockOwner, resource: string): LockFile {
    const holder: LockHolder = {
      pid: owner.pid,
      host: owner.host,
      runId: owner.runId,
      since: new Date().toISOString(),
      ...(BOOT_ID === undefined ? {} : { boot: BOOT_ID }),
    };
    const text = `${JSON.stringify(holder)}\n`;
    // A few rounds cover the lock changing between looking at it and acting on it (a
    // holder releasing it, a taker finishing); each round only ends in a loop when the lock
    // file changed under us, which needs another process to make progress.
    for (let round = 0; round < 8; round++) {
      if (createFileExclusive(path, text)) return new LockFile(path, holder, text);
      const current = readLock(path);
      if (current === undefined) continue; // released meanwhile: try again
      if (current.holder === undefined) {
        throw new StoreLockedError(
          `${resource} is locked by ${path}, whose content is not a FlowWeaver lock (${JSON.stringify(current.text.slice(0, 80))}). If no FlowWeaver process is using the store, delete that file.`,
          `unreadable lock file ${path}`,
        );
      }
      if (isAlive(current.holder)) throw lockedError(resource, path, current.holder);
      const outcome = takeOver(path, [current.text], text);
      if (outcome.kind === "won") return new LockFile(path, holder, text);
      if (outcome.kind === "busy")
        throw lockedError(resource, path, outcome.holder, "taking it over");
    }
    throw new StoreLockedError(
      `${resource} is locked by ${path}, which kept changing while FlowWeaver tried to take it: another process is starting on this store. Try again once it is done.`,
      `lock file ${path}`,
    );
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    heldLocks.delete(this);
    if (heldLocks.size === 0) process.off("exit", releaseAllAtExit);
    try {
      // Only ever remove our own lock: if it was taken over (our host name was reused by
      // another machine, say), deleting it would free someone else's lock.
      if (fs.readFileSync(this.path, "utf8") === this.#text) fs.unlinkSync(this.path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
  }
}

/** Describes a holder for messages: `run r1 (pid 42 on host "box", since 2026-…)`. */
export function describeHolder(holder: LockHolder): string {
  return `run ${holder.runId} (pid ${holder.pid} on host "${holder.host}", since ${holder.since})`;
}

/**
 * Creates `path` holding `content`, failing (returning false) if it exists. The content is
 * written to a temporary file first and hard-linked into place, so the file appears whole
 * or not at all, even if the process is killed half-way; `link` refuses an existing target,
 * which makes it as exclusive as O_EXCL. Where hard links are not supported, falls back
 * to O_EXCL creation followed by one small write.
 */
export function createFileExclusive(path: string, content: string, sync = false): boolean {
  const temp = tempPath(path);
  try {
    writeFileSynced(temp, content, sync);
    try {
      fs.linkSync(temp, path);
      return true;
    } catch (error) {
      if (isCode(error, "EEXIST")) return false;
      if (!isCode(error, "EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK")) throw error;
    }
  } finally {
    removeQuietly(temp);
  }
  try {
    writeFileSynced(path, content, sync, "wx");
    return true;
  } catch (error) {
    if (isCode(error, "EEXIST")) return false;
    throw error;
  }
}

/** A fresh temporary name next to `target`, carrying our pid so leftovers can be traced. */
export function tempPath(target: string, purpose = "tmp"): string {
  return `${target}.${purpose}-${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
}

/** Whether a process with this pid exists on this machine. */
export function pidExists(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return !isCode(error, "ESRCH");
  }
}

export function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && codes.includes(code);
}

const BOOT_ID = readBootId();
const heldLocks = new Set<LockFile>();

function releaseAllAtExit(): void {
  for (const lock of [...heldLocks]) {
    try {
      lock.release();
    } catch {
      // The process is exiting; a lock left behind is taken over as its pid is dead.
    }
  }
}

function lockedError(
  resource: string,
  path: string,
  holder: LockHolder,
  doing = "using it",
): StoreLockedError {
  const who =
    holder.pid === process.pid && holder.host === hostname()
      ? `this process (pid ${holder.pid}) through another store object on the same file, ${describeHolder(holder)}. Use one store object per file in a process, or close the other first`
      : `${describeHolder(holder)}, which is ${doing}. Wait for it to finish or stop it; if that process no longer exists${holder.host === hostname() ? "" : ` (FlowWeaver cannot check processes on host "${holder.host}")`}, delete the lock file`;
  return new StoreLockedError(
    `${resource} is in use by ${who} (lock file ${path}).`,
    describeHolder(holder),
  );
}

type TakeOver =
  | { readonly kind: "won" }
  | { readonly kind: "changed" }
  | { readonly kind: "busy"; readonly holder: LockHolder };

/**
 * Replaces the stale lock whose content is `chain[0]` by `mine`, or reports why not.
 *
 * Replacing must be a compare-and-swap: "replace the lock only if it is still the stale
 * one we examined", or two processes that both saw the dead holder could both win.
 * Files have no compare-and-swap, so takers of one particular stale lock first race to
 * create a mutex file named after a hash of its content; exclusive creation lets exactly
 * one of them win. The winner re-reads the lock. Nobody else can have replaced it: a
 * plain acquirer cannot create the lock file while it exists, a dead holder cannot
 * release it, and the other takers lost the mutex. So if it is unchanged, the winner
 * renames a new lock file over it, one atomic step in which the lock file never
 * disappears (a gap would let a plain acquirer in as well).
 *
 * Because the mutex name depends on the stale content, a mutex left behind never blocks
 * taking over a later stale lock, and nobody deletes a mutex another live process holds.
 * A mutex whose creator died (killed between creating it and renaming) is itself stale
 * and is taken over the same way, one level down: a mutex named after the chain of
 * contents. The mutexes are removed once the lock is replaced.
 */
function takeOver(path: string, chain: string[], mine: string): TakeOver {
  const mutex = `${path}.takeover-${createHash("sha256").update(chain.join("\n")).digest("hex").slice(0, 16)}`;
  if (!createFileExclusive(mutex, mine)) {
    const current = readLock(mutex);
    if (current === undefined) return { kind: "changed" };
    if (current.holder !== undefined && isAlive(current.holder)) {
      return { kind: "busy", holder: current.holder };
    }
    if (chain.length >= 4) return { kind: "changed" };
    const deeper = takeOver(path, [...chain, current.text], mine);
    if (deeper.kind === "won") removeQuietly(mutex);
    return deeper;
  }
  try {
    const lock = readLock(path);
    if (lock?.text !== chain[0]) return { kind: "changed" };
    const temp = tempPath(path);
    try {
      writeFileSynced(temp, mine, false);
      fs.renameSync(temp, path);
    } catch (error) {
      removeQuietly(temp);
      throw error;
    }
    return { kind: "won" };
  } finally {
    removeQuietly(mutex);
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot tell: assume it is
  if (holder.boot !== undefined && BOOT_ID !== undefined && holder.boot !== BOOT_ID) return false;
  return pidExists(holder.pid);
}

function readLock(path: string): { text: string; holder: LockHolder | undefined } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (error) {
    if (isCode(error, "ENOENT")) return undefined;
    throw error;
  }
  return { text, holder: parseHolder(text) };
}

function parseHolder(text: string): LockHolder | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const { pid, host, runId, since, boot } = data as Record<string, unknown>;
  // A pid of 0 or below would make process.kill signal a whole process group.
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof host !== "string" || typeof runId !== "string" || typeof since !== "string") {
    return undefined;
  }
  return { pid, host, runId, since, ...(typeof boot === "string" ? { boot } : {}) };
}

function readBootId(): string | undefined {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function writeFileSynced(path: string, content: string, sync: boolean, flag = "wx"): void {
  const fd = fs.openSync(path, flag);
  try {
    fs.writeSync(fd, content);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // Already gone, or a leftover for the next writer's sweep.
  }
}
