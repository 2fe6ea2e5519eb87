/**
 * The coordinator's end of the reply list: every worker pushes the replies of this
 * coordinator's jobs onto one Redis list, read here in order on a connection of its own.
 * A list rather than BullMQ's event stream: the stream is trimmed (a slow reader would
 * lose outcomes) and carries every event of every coordinator on the queue.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describeThrown } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Reply } from "./protocol.js";
import { disconnect, type RedisClient } from "./redis.js";

/** Replies taken per round trip when several are waiting. */
const BATCH = 1000;
/** How long one blocking read waits before asking again (it also notices a dead socket). */
const BLOCK_SECONDS = 5;
/** A pause after a failed read, so a connection that keeps failing is not asked in a busy loop. */
const ERROR_PAUSE_MS = 250;

export class ReplyReader {
  readonly #client: RedisClient;
  readonly #key: string;
  readonly #onReply: (reply: Reply) => void;
  readonly #logger: Logger;
  #closed = false;
  readonly #stopped: Promise<void>;

  constructor(client: RedisClient, key: string, onReply: (reply: Reply) => void, logger: Logger) {
    this.#client = client;
    this.#key = key;
    this.#onReply = onReply;
    this.#logger = logger;
    this.#stopped = this.#read();
  }

  /** Stops reading and closes the connection; replies still on the list stay there. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([disconnect(this.#client), this.#stopped]);
  }

  async #read(): Promise<void> {
    const client = this.#client;
    while (!this.#closed) {
      let items: string[];
      try {
        items = (await client.lpop(this.#key, BATCH)) ?? [];
        if (items.length === 0) {
          const popped = await client.blpop(this.#key, BLOCK_SECONDS);
          if (!popped) continue;
          items = [popped[1]];
        }
      } catch (error) {
        if (this.#closed) return;
        // ioredis reconnects by itself and the next read waits for it.
        this.#logger.warn({ error }, `reading replies failed: ${describeThrown(error)}`);
        await sleep(ERROR_PAUSE_MS);
        continue;
      }
      for (const text of items) this.#dispatch(text);
    }
  }

  #dispatch(text: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(text) as Reply;
    } catch (error) {
      this.#logger.warn({ error }, `ignored a reply that is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    try {
      this.#onReply(reply);
    } catch (error) {
      this.#logger.error({ error }, `handling the reply of job ${reply.job} failed`);
    }
  }
}
