import type { AttemptRequest, AttemptRunner } from "../core/scheduler.js";

/** Runs attempts on the calling thread's event loop, up to `concurrency` at once. */
export class InlineRunner implements AttemptRunner {
  constructor(readonly concurrency: number) {}

  async runAttempt(request: AttemptRequest): Promise<unknown> {
    return request.task.fn(request.inputs as never, request.ctx);
  }
}
