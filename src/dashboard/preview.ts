import { inspect } from "node:util";
import { RESULT_PREVIEW_CHARS } from "./api-types.js";

/** A stored result rendered for people: what it is and how it reads, cut to a size. */
export interface RenderedValue {
  readonly type: string;
  readonly preview: string;
  readonly truncated: boolean;
}

/**
 * Renders a decoded result with `util.inspect`, which shows Dates, Maps, Sets, BigInts and
 * Buffers as themselves (a superjson text would show its envelope). Limits on depth,
 * items and string length keep a huge value cheap to render; the text is then cut to
 * `max` characters. Custom inspect hooks are off: only data is rendered, no code runs.
 */
export function renderValue(value: unknown, max = RESULT_PREVIEW_CHARS): RenderedValue {
  const text =
    typeof value === "string"
      ? value
      : inspect(value, {
          depth: 4,
          maxArrayLength: 100,
          maxStringLength: max,
          breakLength: 80,
          compact: 3,
          customInspect: false,
          getters: false,
          showProxy: false,
          colors: false,
        });
  const truncated = text.length > max;
  return {
    type: typeOf(value),
    preview: truncated ? `${text.slice(0, max)}…` : text,
    truncated,
  };
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (Buffer.isBuffer(value)) return `Buffer(${value.byteLength})`;
  if (value instanceof Map || value instanceof Set) {
    return `${value.constructor.name}(${value.size})`;
  }
  if (ArrayBuffer.isView(value) && "length" in value) {
    return `${value.constructor.name}(${String(value.length)})`;
  }
  if (value instanceof Date) return "Date";
  if (value instanceof RegExp) return "RegExp";
  return "object";
}
