import { describeThrown, StoreCorruptError, StoreVersionError } from "../../core/errors.js";

/**
 * How a SQL store (SQLite, PostgreSQL) tells its own tables from anything else, and which
 * schema version they are at. Each store lists its tables and reads its `meta` table in
 * its own dialect; the decisions on what it found are made here, with the same messages.
 */

/** The marker that says a file, schema or journal holds a FlowWeaver state store. */
export const FORMAT = "flowweaver-state";

/** What a store's tables hold: nothing yet (new, or half-created), or our schema. */
export type SchemaState =
  | { readonly kind: "empty" }
  | { readonly kind: "ours"; readonly version: number };

/** A schema step as both stores write them; only its version matters here. */
interface Versioned {
  readonly version: number;
}

/** The tables a store at schema `version` must have. */
export interface RequiredTables {
  readonly version: number;
  readonly tables: readonly string[];
}

/** The version the last of `migrations` brings a store to. */
export function latestVersion(migrations: readonly Versioned[]): number {
  return (migrations[migrations.length - 1] as Versioned).version;
}

/** The migrations a store at version `from` (0: none yet) still needs, oldest first. */
export function pendingMigrations<M extends Versioned>(
  migrations: readonly M[],
  from: number,
): M[] {
  return migrations.filter((migration) => migration.version > from);
}

/**
 * What the table names alone say: "empty" when there are none, "marked" when there is a
 * `meta` table to read next. Tables without one are someone else's: StoreCorruptError,
 * `foreign` saying what the store holds instead.
 */
export function classifyTables(
  names: readonly string[],
  location: string,
  foreign: string,
): "empty" | "marked" {
  if (names.length === 0) return "empty";
  if (!names.includes("meta")) {
    throw new StoreCorruptError(
      location,
      `${foreign} (tables ${list(names)}, and no FlowWeaver "meta" table)`,
    );
  }
  return "marked";
}

/**
 * Judges what the `meta` table says: the FlowWeaver marker and a whole schema version
 * (else StoreCorruptError), no newer than `latest` (else StoreVersionError), and, at the
 * version `required` describes, all of its tables.
 */
export function markedSchema(
  meta: ReadonlyMap<string, string>,
  names: readonly string[],
  location: string,
  latest: number,
  required: RequiredTables,
): SchemaState {
  if (meta.get("format") !== FORMAT) {
    throw new StoreCorruptError(
      location,
      `its "meta" table has no format = ${FORMAT} marker (found ${JSON.stringify(meta.get("format") ?? null)})`,
    );
  }
  const version = Number(meta.get("schema_version"));
  if (!Number.isInteger(version) || version < 1) {
    throw new StoreCorruptError(
      location,
      `its schema version is ${JSON.stringify(meta.get("schema_version") ?? null)}, not a whole number >= 1`,
    );
  }
  if (version > latest) throw new StoreVersionError(location, version, latest);
  if (version === required.version) {
    const missing = required.tables.filter((table) => !names.includes(table));
    if (missing.length > 0) {
      throw new StoreCorruptError(location, `tables ${list(missing)} are missing`);
    }
  }
  return { kind: "ours", version };
}

/** The error for a `meta` table that could not be read as FlowWeaver's: someone else's. */
export function foreignMeta(location: string, error: unknown): StoreCorruptError {
  return new StoreCorruptError(
    location,
    `its "meta" table is not FlowWeaver's (${describeThrown(error)})`,
  );
}

/** Up to five names, quoted, for a message. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((name) => `"${name}"`);
  return names.length > 5 ? `${shown.join(", ")}, …` : shown.join(", ");
}
