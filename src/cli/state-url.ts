import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import type { StateStore } from "../stores/store.js";
import { UsageError } from "./errors.js";

/** Where the CLI keeps state unless `--state` (or FLOWWEAVER_STATE) says otherwise. */
export const DEFAULT_STATE_URL = "sqlite:.flowweaver/state.db";

/** A parsed `--state` URL: says what it points at and opens it. */
export interface StateLocation {
  /** The URL as the user can type it again. */
  readonly url: string;
  /** False for `memory:`: nothing outlives the command, so there is nothing to resume. */
  readonly durable: boolean;
  /** Whether there is anything to read yet; read-only commands never create a store. */
  exists(): boolean;
  open(): Promise<StateStore>;
}

/**
 * One kind of state URL. To support another store, add a scheme to {@link SCHEMES}:
 * `form` is what error messages list, `parse` gets the whole URL (a `postgres://…`
 * connection string is the URL itself).
 */
export interface StateScheme {
  /** `sqlite:PATH`, as shown in messages. */
  readonly form: string;
  matches(url: string): boolean;
  parse(url: string, cwd: string): StateLocation;
}

/** A store kept in one file; `create` builds it (and loads the engine only then). */
function fileScheme(
  prefix: string,
  example: string,
  create: (file: string) => Promise<StateStore>,
): StateScheme {
  return {
    form: `${prefix}PATH`,
    matches: (url) => url.startsWith(prefix),
    parse(url, cwd) {
      const path = url.slice(prefix.length);
      if (path === "" || path.startsWith("//")) {
        throw new UsageError(
          `--state ${JSON.stringify(url)}: write ${prefix}PATH with a file path, for example ${prefix}${example} (relative to the current directory) or ${prefix}/var/lib/flowweaver/${example.split("/").pop()}.`,
        );
      }
      const file = isAbsolute(path) ? path : resolve(cwd, path);
      return {
        url,
        durable: true,
        exists: () => existsSync(file),
        open: () => create(file),
      };
    },
  };
}

const memoryScheme: StateScheme = {
  form: "memory:",
  matches: (url) => url.startsWith("memory:"),
  parse(url) {
    if (url !== "memory:") {
      throw new UsageError(
        `--state ${JSON.stringify(url)}: the memory store takes no path; write memory:`,
      );
    }
    return {
      url,
      durable: false,
      exists: () => false,
      open: async () => new (await import("../stores/memory/index.js")).MemoryStateStore(),
    };
  },
};

/**
 * `postgres://user:password@host:5432/database?schema=name` (or `postgresql://`): the URL
 * is the store's connection string. Whether the store exists is only known by connecting,
 * so it is taken to exist; the store creates its schema on first use.
 */
const postgresScheme: StateScheme = {
  form: "postgres://USER@HOST:PORT/DATABASE",
  matches: (url) => url.startsWith("postgres://") || url.startsWith("postgresql://"),
  parse(url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.hostname === "" || parsed.pathname.replace(/^\//, "") === "") {
      throw new UsageError(
        `--state ${JSON.stringify(url)}: write postgres://USER@HOST:PORT/DATABASE, for example postgres://app@db.internal:5432/app (add ?schema=NAME for a schema other than "flowweaver").`,
      );
    }
    return {
      url,
      durable: true,
      exists: () => true,
      open: async () => {
        const { PostgresStateStore } = await import("../stores/postgres/index.js");
        return new PostgresStateStore(url);
      },
    };
  },
};

/** Every state URL form the CLI accepts, in the order messages list them. */
export const SCHEMES: readonly StateScheme[] = [
  // Imported on use, so commands that never open a store start without the engine.
  fileScheme("sqlite:", ".flowweaver/state.db", async (file) => {
    const { SQLiteStateStore } = await import("../stores/sqlite/index.js");
    return new SQLiteStateStore(file);
  }),
  fileScheme("json:", "state.json", async (file) => {
    const { JSONStateStore } = await import("../stores/json/index.js");
    return new JSONStateStore(file);
  }),
  postgresScheme,
  memoryScheme,
];

/** Parses a `--state` URL, or throws a UsageError listing the accepted forms. */
export function parseStateUrl(url: string, cwd: string): StateLocation {
  const scheme = SCHEMES.find((s) => s.matches(url));
  if (!scheme) {
    throw new UsageError(
      `--state ${JSON.stringify(url)} is not a state URL. Accepted forms: ${SCHEMES.map((s) => s.form).join(", ")} (default ${DEFAULT_STATE_URL}).`,
    );
  }
  return scheme.parse(url, cwd);
}

/** A path for messages: relative to `cwd` when it is inside it. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}
