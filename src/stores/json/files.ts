import fs from "node:fs";
import path from "node:path";
import { createFileExclusive, isCode, pidExists, tempPath } from "../file-lock.js";
import { HEADER_LINE } from "./format.js";

/**
 * Creates a new journal holding only its header, unless the file already exists. The
 * header is written and flushed to a temporary file that is then linked into place, so
 * the journal never exists half-written: a crash at any instant leaves either no file or
 * a complete, empty store.
 */
export function createJournal(file: string): void {
  if (createFileExclusive(file, HEADER_LINE, true)) syncDirectory(path.dirname(file));
}

/**
 * Replaces `file` by a fresh journal holding only its header (the file was empty, as a
 * crash during creation by an older writer can leave it). Only the lock holder does this.
 * Returns the new file's descriptor, open for reading and writing.
 */
export function replaceWithHeader(file: string): number {
  const temp = tempPath(file, "header");
  const fd = fs.openSync(temp, "wx+");
  try {
    fs.writeSync(fd, HEADER_LINE);
    fs.fsyncSync(fd);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  syncDirectory(path.dirname(file));
  return fd;
}

/**
 * Flushes a directory, so that a rename or a new name in it survives a power loss.
 * Some platforms cannot open a directory for that (Windows); there it is skipped.
 */
export function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!isCode(error, "EISDIR", "EINVAL", "EPERM", "EBADF")) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `buffers` at `position` and resolves once all bytes are written: one `writev`
 * for a commit, looping only if the system writes less (a full disk reports its error
 * on the next call).
 */
export async function writeAt(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const written = await new Promise<number>((resolve, reject) => {
      fs.writev(fd, rest, at, (error, bytes) => (error ? reject(error) : resolve(bytes)));
    });
    at += written;
    rest = dropBytes(rest, written);
  }
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()));
  });
}

/** Reads exactly `length` bytes at `position`, or fails if the file ends first. */
export function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  return new Promise((resolve, reject) => {
    let done = 0;
    const next = (): void => {
      if (done === length) {
        resolve(buffer);
        return;
      }
      fs.read(fd, buffer, done, length - done, position + done, (error, got) => {
        if (error) reject(error);
        else if (got === 0) reject(new Error(`unexpected end of file at byte ${position + done}`));
        else {
          done += got;
          next();
        }
      });
    };
    next();
  });
}

/**
 * Removes temporary files a killed writer left next to `file`. Only the lock holder
 * calls this: a compaction temp file is then always a leftover (only lock holders
 * compact), other temp files are when the process that made them is gone.
 */
export function sweepTempFiles(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  // Exactly `<base>.<purpose>-<pid>-<hex>.tmp` or `<base>.lock.<purpose>-<pid>-<hex>.tmp`:
  // not the temp files of another store whose name merely starts the same.
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^${escaped}(\\.lock)?\\.([a-z]+)-(\\d+)-[0-9a-f]+\\.tmp$`);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const [, lock, purpose, pid] = match;
    const leftover = (purpose === "compact" && lock === undefined) || !pidExists(Number(pid));
    if (leftover) removeQuietly(path.join(dir, name));
  }
}

export function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone; or left for the next sweep.
  }
}

function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  let i = 0;
  while (i < buffers.length && left >= (buffers[i] as Buffer).length) {
    left -= (buffers[i] as Buffer).length;
    i++;
  }
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(left);
  return rest;
}
