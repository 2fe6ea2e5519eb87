import type { AttemptRequest, AttemptRunner } from "../core/runner.js";

/** Runs attempts on the calling thread's event loop, up to `concurrency` at once. */
export class InlineRunner implements AttemptRunner {
  constructor(readonly concurrency: number) {}

  /** Calls the task function directly: a synchronous result needs no promise. */
  runAttempt(request: AttemptRequest): unknown {
    return request.task.fn(request.inputs as never, request.ctx);
  }
}
