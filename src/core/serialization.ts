import { SuperJSON } from "superjson";
import { SerializationError } from "./errors.js";

/**
 * How results and inputs are stored and sent between threads and processes.
 * Plain JSON values are stored as JSON text (fast, and readable in the JSON store);
 * values with Dates, Maps, Sets, BigInts, undefined, typed arrays or Buffers go through
 * superjson; a top-level Buffer stays binary so large payloads are not inflated.
 * Before encoding, the value is walked once so that anything that would not come back as
 * itself (a function, a symbol, a class instance, …) fails with the path to it.
 */
export type EncodedValue =
  | { readonly kind: "json"; readonly text: string }
  | { readonly kind: "superjson"; readonly text: string }
  | { readonly kind: "buffer"; readonly bytes: Uint8Array };

const codec = new SuperJSON();
codec.registerCustom<Buffer, string>(
  {
    isApplicable: (value): value is Buffer => Buffer.isBuffer(value),
    serialize: (value) => value.toString("base64"),
    deserialize: (text) => Buffer.from(text, "base64"),
  },
  "Buffer",
);
// superjson's own typed-array rule writes the items as JSON numbers, which BigInts are not.
codec.registerCustom<BigInt64Array, string[]>(
  {
    isApplicable: (value): value is BigInt64Array => value instanceof BigInt64Array,
    serialize: (value) => Array.from(value, String),
    deserialize: (items) => BigInt64Array.from(items, BigInt),
  },
  "BigInt64Array",
);
codec.registerCustom<BigUint64Array, string[]>(
  {
    isApplicable: (value): value is BigUint64Array => value instanceof BigUint64Array,
    serialize: (value) => Array.from(value, String),
    deserialize: (items) => BigUint64Array.from(items, BigInt),
  },
  "BigUint64Array",
);

const UNDEFINED: EncodedValue = Object.freeze({
  kind: "superjson",
  text: codec.stringify(undefined),
});

/**
 * Encodes a value, or throws SerializationError naming `label` (such as
 * `result of task "fetch"`) and the path inside the value that cannot be stored.
 */
export function encodeValue(
  value: unknown,
  label: string,
  taskName?: string,
  root = "result",
): EncodedValue {
  switch (typeof value) {
    case "undefined":
      return UNDEFINED;
    case "string":
    case "boolean":
      return { kind: "json", text: JSON.stringify(value) };
    case "number":
      if (Number.isFinite(value) && !Object.is(value, -0)) {
        return { kind: "json", text: String(value) };
      }
      return { kind: "superjson", text: codec.stringify(value) };
    default:
  }
  if (value === null) return { kind: "json", text: "null" };
  if (Buffer.isBuffer(value)) return { kind: "buffer", bytes: value };
  let plainJson: boolean;
  try {
    plainJson = inspect(value, root, new Set());
  } catch (error) {
    if (error instanceof Unstorable) {
      throw new SerializationError(
        `Cannot store the ${label}: ${error.reason}, at ${error.path}. Results and inputs must be JSON values, Dates, Maps, Sets, BigInts, undefined, RegExps, typed arrays or Buffers (nested as you like).`,
        { path: error.path, ...(taskName === undefined ? {} : { taskName }) },
      );
    }
    throw error;
  }
  try {
    return plainJson
      ? { kind: "json", text: JSON.stringify(value) }
      : { kind: "superjson", text: codec.stringify(value) };
  } catch (error) {
    throw new SerializationError(`Cannot store the ${label}: ${(error as Error).message}`, {
      cause: error,
      ...(taskName === undefined ? {} : { taskName }),
    });
  }
}

/** Decodes what {@link encodeValue} made. */
export function decodeValue(encoded: EncodedValue): unknown {
  switch (encoded.kind) {
    case "json":
      return JSON.parse(encoded.text);
    case "superjson":
      return codec.parse(encoded.text);
    case "buffer":
      return Buffer.isBuffer(encoded.bytes)
        ? encoded.bytes
        : Buffer.from(encoded.bytes.buffer, encoded.bytes.byteOffset, encoded.bytes.byteLength);
  }
}

/** A short, human-readable preview of an encoded value (for the CLI and dashboard). */
export function previewEncoded(encoded: EncodedValue, max = 200): string {
  if (encoded.kind === "buffer") return `<Buffer ${encoded.bytes.byteLength} bytes>`;
  return encoded.text.length > max ? `${encoded.text.slice(0, max)}…` : encoded.text;
}

class Unstorable extends Error {
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(reason);
  }
}

const TYPED_ARRAYS: ReadonlySet<unknown> = new Set([
  Int8Array.prototype,
  Uint8Array.prototype,
  Uint8ClampedArray.prototype,
  Int16Array.prototype,
  Uint16Array.prototype,
  Int32Array.prototype,
  Uint32Array.prototype,
  Float32Array.prototype,
  Float64Array.prototype,
  BigInt64Array.prototype,
  BigUint64Array.prototype,
]);

/** `path.name`, or `path["name"]` when the name is not an identifier: how error paths read. */
export function pathTo(path: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

/** Walks a value; throws Unstorable where it cannot round-trip; returns true for plain JSON. */
function inspect(value: unknown, path: string, onPath: Set<object>): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "undefined":
    case "bigint":
      return false;
    case "symbol":
      throw new Unstorable("a symbol cannot be stored", path);
    case "function":
      throw new Unstorable(
        `a function${value.name ? ` (${value.name})` : ""} cannot be stored`,
        path,
      );
    default:
  }
  if (value === null) return true;
  const object = value as object;
  if (onPath.has(object)) return false; // a cycle: superjson keeps it, JSON cannot
  const proto: unknown = Object.getPrototypeOf(object);
  if (Array.isArray(object)) {
    onPath.add(object);
    let json = true;
    for (let i = 0; i < object.length; i++) {
      if (!(i in object)) {
        throw new Unstorable("a sparse array (one with holes) cannot be stored", `${path}[${i}]`);
      }
      if (!inspect(object[i], `${path}[${i}]`, onPath)) json = false;
    }
    onPath.delete(object);
    return json;
  }
  if (proto === Object.prototype || proto === null) {
    if (Object.getOwnPropertySymbols(object).length > 0) {
      throw new Unstorable("an object with symbol keys cannot be stored", path);
    }
    onPath.add(object);
    let json = proto === Object.prototype;
    for (const name of Object.keys(object)) {
      if (!inspect((object as Record<string, unknown>)[name], pathTo(path, name), onPath))
        json = false;
    }
    onPath.delete(object);
    return json;
  }
  if (object instanceof Date || object instanceof RegExp) return false;
  if (Buffer.isBuffer(object) || TYPED_ARRAYS.has(proto)) return false;
  if (object instanceof Map) {
    onPath.add(object);
    let i = 0;
    for (const [k, v] of object) {
      inspect(k, `${path}<Map key #${i}>`, onPath);
      inspect(v, `${path}.get(${typeof k === "string" ? JSON.stringify(k) : `#${i}`})`, onPath);
      i++;
    }
    onPath.delete(object);
    return false;
  }
  if (object instanceof Set) {
    onPath.add(object);
    let i = 0;
    for (const v of object) inspect(v, `${path}<Set item #${i++}>`, onPath);
    onPath.delete(object);
    return false;
  }
  const name = (proto as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  if (object instanceof Error) {
    throw new Unstorable(
      `an ${name ?? "Error"} object cannot be stored faithfully (throw it instead, or return { message, … } as a plain object)`,
      path,
    );
  }
  if (object instanceof Promise) {
    throw new Unstorable("a Promise cannot be stored (await it first)", path);
  }
  throw new Unstorable(
    `a ${name ?? "class"} instance cannot be stored faithfully (its prototype and private state would be lost); return a plain object instead`,
    path,
  );
}
