/**
 * What travels through Redis between a coordinator and its workers: one BullMQ job per
 * attempt, whose data is a {@link JobData}; replies pushed by the worker onto the
 * coordinator's own list, each a {@link Reply}; cancellations published on the queue's
 * cancel channel, each a {@link CancelMessage}. Values cross with the stores' encoding
 * ({@link EncodedValue}) as {@link WireValue}; values too large to travel inline go
 * through the state store instead.
 */
import type { SerializedError } from "../../core/errors.js";
import type { EncodedValue } from "../../core/serialization.js";

/** The protocol version in every job: a worker refuses jobs from another version. */
export const PROTOCOL = 1;

/** An encoded value as JSON can carry it: a Buffer's bytes in base64. */
export type WireValue =
  | { readonly k: "json" | "superjson"; readonly t: string }
  | { readonly k: "buffer"; readonly b: string };

/** A dependency's result too large for the job: the worker reads it from the state store. */
export interface StoredInput {
  readonly k: "stored";
}

/** The data of the BullMQ job that runs one attempt. */
export interface JobData {
  readonly v: typeof PROTOCOL;
  readonly workflow: string;
  readonly task: string;
  readonly attempt: number;
  readonly runId: string;
  readonly runKey: string;
  readonly params: WireValue;
  /** One entry per dependency, by its name. */
  readonly inputs: Readonly<Record<string, WireValue | StoredInput>>;
  /** The coordinator's reply list. */
  readonly reply: string;
  /** The task has a timeout: reply `started` when its function is called, which starts it. */
  readonly timed: boolean;
  /** Results larger than this many bytes go through the state store, when both ends can. */
  readonly inlineLimit: number;
  /** The coordinator's store (its `location`) when the workers are meant to share it. */
  readonly store: string | undefined;
  /** The coordinator takes large results from its store's payloads. */
  readonly storedResults: boolean;
}

/** Worker → coordinator, pushed onto the list `JobData.reply` names. */
export type Reply =
  | { readonly t: "started"; readonly job: string }
  | { readonly t: "ok"; readonly job: string; readonly value: WireValue }
  /** The result is in the state store's payloads under the job's id. */
  | { readonly t: "stored"; readonly job: string; readonly store: string }
  | { readonly t: "error"; readonly job: string; readonly error: SerializedError };

/** Coordinator → every worker: stop the attempt of this job (its ctx.signal aborts). */
export interface CancelMessage {
  readonly job: string;
  readonly reason: SerializedError;
}

/**
 * The job of one attempt. BullMQ ignores an add whose id exists, so enqueuing an attempt
 * twice runs it once; ids may not contain ":", hence the encoding of the task name.
 */
export function jobIdOf(runId: string, task: string, attempt: number): string {
  return `${runId}.${attempt}.${encodeURIComponent(task)}`;
}

/** Keys of FlowWeaver's own, next to BullMQ's under the queue's prefix. */
export function replyKey(prefix: string, queue: string, coordinator: string): string {
  return `${prefix}:${queue}:flowweaver:reply:${coordinator}`;
}

export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:flowweaver:cancel`;
}

/** Replies nobody collects (a coordinator that died) vanish after this long. */
export const REPLY_TTL_MS = 24 * 60 * 60 * 1000;

export function toWire(encoded: EncodedValue): WireValue {
  if (encoded.kind === "buffer") {
    const { bytes } = encoded;
    return {
      k: "buffer",
      b: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"),
    };
  }
  return { k: encoded.kind, t: encoded.text };
}

export function fromWire(wire: WireValue): EncodedValue {
  return wire.k === "buffer"
    ? { kind: "buffer", bytes: Buffer.from(wire.b, "base64") }
    : { kind: wire.k, text: wire.t };
}

/** The size the inline limit is measured in: bytes of the encoded form. */
export function encodedSize(encoded: EncodedValue): number {
  return encoded.kind === "buffer" ? encoded.bytes.byteLength : Buffer.byteLength(encoded.text);
}
