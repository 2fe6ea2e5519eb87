/** What this machine's disk costs a durable commit, for reading the durability figures. */
import fs from "node:fs";
import path from "node:path";

/**
 * Median microseconds of one 8 KiB write plus `fdatasync`, overwriting a preallocated
 * file in `dir` (as SQLite's WAL does once it has grown): the floor under every commit
 * that must survive power loss.
 */
export function fdatasyncMicros(dir, samples = 300) {
  const file = path.join(dir, "fdatasync.probe");
  const page = Buffer.alloc(8192, 7);
  const fd = fs.openSync(file, "w+");
  try {
    for (let i = 0; i < 64; i++) fs.writeSync(fd, page, 0, page.length, i * page.length);
    fs.fdatasyncSync(fd);
    const times = [];
    for (let i = 0; i < samples; i++) {
      const started = process.hrtime.bigint();
      fs.writeSync(fd, page, 0, page.length, (i % 64) * page.length);
      fs.fdatasyncSync(fd);
      times.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1];
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}
