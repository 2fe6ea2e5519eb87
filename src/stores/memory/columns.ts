/**
 * Growable typed-array columns for the memory store's tables. Numbers kept in typed
 * arrays live off the JS heap: a run of 100,000 tasks leaves no per-task objects for the
 * garbage collector to copy and trace, which is most of what keeping history used to cost.
 */

/** `undefined` is kept as NaN in number columns (no stored time or duration is NaN). */
export const NONE = Number.NaN;

export function toColumn(value: number | undefined): number {
  return value === undefined ? NONE : value;
}

export function fromColumn(value: number | undefined): number | undefined {
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

type TypedArray = Float64Array | Int32Array | Uint8Array;

/** `column` with room for at least `rows` rows, doubling so growth costs O(1) per row. */
export function withRoom<T extends TypedArray>(column: T, rows: number): T {
  if (rows <= column.length) return column;
  const grown = new (column.constructor as new (length: number) => T)(
    Math.max(rows, column.length * 2, 64),
  );
  grown.set(column);
  return grown;
}
