/**
 * Times in the journal are ISO strings, so a person reading the file sees when things
 * happened. `Date#toISOString` and `Date.parse` cost about half a microsecond each, which
 * adds up over hundreds of thousands of records; the times of one run fall in few distinct
 * seconds, so the second part is cached and only the milliseconds are formatted.
 */

/** Largest time `toISOString` writes as a plain four-digit year (9999-12-31T23:59:59.999Z). */
const MAX_ISO_MS = 253_402_300_799_999;

let formattedSecond = Number.NaN;
let formattedPrefix = "";

/**
 * A time as stored: an ISO string for whole milliseconds in years 1970–9999 (every time
 * FlowWeaver records), the number itself otherwise so that it round-trips exactly.
 */
export function timeToJson(ms: number): string | number {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ISO_MS) return ms;
  const second = Math.floor(ms / 1000);
  if (second !== formattedSecond) {
    formattedSecond = second;
    formattedPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "…T03:04:05."
  }
  const milli = ms - second * 1000;
  return `${formattedPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

let parsedPrefix = "";
let parsedSecond = Number.NaN;

/** Reads back what {@link timeToJson} wrote; undefined when it is not a time. */
export function timeFromJson(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  // The common shape, "2026-11-25T08:00:00.123Z", without allocating when the second is
  // the one parsed last.
  if (value.length === 24 && value.charCodeAt(19) === 0x2e && value.charCodeAt(23) === 0x5a) {
    const millis = digit(value, 20) * 100 + digit(value, 21) * 10 + digit(value, 22);
    if (millis >= 0) {
      if (!value.startsWith(parsedPrefix) || parsedPrefix === "") {
        const prefix = value.slice(0, 19);
        if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(prefix)) return undefined;
        const second = Date.parse(`${prefix}Z`);
        if (!Number.isFinite(second)) return undefined;
        parsedPrefix = prefix;
        parsedSecond = second;
      }
      return parsedSecond + millis;
    }
  }
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The digit at `index`, or a large negative number when it is not one. */
function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 0x30;
  return code >= 0 && code <= 9 ? code : -10_000;
}
