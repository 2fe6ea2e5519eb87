/**
 * The local services some tests need (PostgreSQL, Redis): whether they answer, and what
 * to do when they do not. Outside CI a missing service skips those tests with a message
 * saying how to start it; in CI (`CI=true`) it fails them, since `.ci/run` starts both
 * (scripts/services.sh).
 *
 * @example
 * const postgres = await service("postgres");
 * describe.skipIf(!postgres.up)(`PostgresStateStore${postgres.note}`, () => { … });
 */
import { Socket } from "node:net";

export type ServiceName = "postgres" | "redis";

interface ServiceSpec {
  readonly title: string;
  readonly host: string;
  readonly port: number;
  readonly start: string;
  /** Bytes that make the server answer, and whether an answer is the server's. */
  readonly hello: Buffer;
  readonly recognise: (reply: Buffer) => boolean;
}

export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = {
  postgres: {
    title: "PostgreSQL",
    host: "127.0.0.1",
    port: 5432,
    start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    // An SSLRequest: a PostgreSQL server answers with one byte, "S" or "N".
    hello: Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]),
    recognise: (reply) => reply[0] === 0x53 || reply[0] === 0x4e,
  },
  redis: {
    title: "Redis",
    host: "127.0.0.1",
    port: 6379,
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
    hello: Buffer.from("PING\r\n"),
    // "+PONG", or an error such as "-NOAUTH": a Redis server either way.
    recognise: (reply) => reply[0] === 0x2b || reply[0] === 0x2d,
  },
};

/** The PostgreSQL database the tests use (trust auth, as on the project's machines). */
export const POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = "redis://127.0.0.1:6379";

export interface ServiceStatus {
  readonly up: boolean;
  /** "" when up; otherwise " (skipped: … start it with …)", to append to a suite's title. */
  readonly note: string;
}

const PROBE_TIMEOUT_MS = 2000;
const checked = new Map<ServiceName, Promise<ServiceStatus>>();

/**
 * Whether `name` answers on its local port. When it does not: in CI this rejects (the
 * test file fails, naming the service and how to start it); elsewhere it resolves
 * `{ up: false }` with a note for the skipped suite's title, and prints the note once.
 */
export function service(name: ServiceName): Promise<ServiceStatus> {
  let status = checked.get(name);
  if (!status) {
    status = probe(SERVICES[name]).then((up) => decide(name, up));
    checked.set(name, status);
  }
  return status;
}

function decide(name: ServiceName, up: boolean): ServiceStatus {
  if (up) return { up, note: "" };
  const spec = SERVICES[name];
  const why = `${spec.title} is not running on ${spec.host}:${spec.port}; start it with: ${spec.start}`;
  if (process.env.CI === "true") {
    throw new Error(
      `${why} (in CI a missing service fails the tests; .ci/run starts it through scripts/services.sh)`,
    );
  }
  console.warn(`Skipping the ${spec.title} tests: ${why}`);
  return { up, note: ` (skipped: ${why})` };
}

/** Connects and says hello; true only when the reply is the service's own. */
export function probe(spec: ServiceSpec, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (reply: Buffer) => done(spec.recognise(reply)));
    socket.once("close", () => done(false));
    socket.connect(spec.port, spec.host, () => socket.write(spec.hello));
  });
}
