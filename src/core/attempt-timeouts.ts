/** What a timed attempt needs while it is open. */
interface TimeoutControl {
  readonly controller: AbortController;
  readonly onRunAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The timeouts of one run's attempts. A timed attempt gets a signal of its own, aborted by
 * the run's signal or by its timer, whichever comes first; its clock starts when it is
 * armed (at once on the event loop, or when a worker says the task started).
 */
export class AttemptTimeouts {
  readonly #runSignal: AbortSignal;
  readonly #open = new Map<number, TimeoutControl>();

  constructor(runSignal: AbortSignal) {
    this.#runSignal = runSignal;
  }

  /** The signal for task i's attempt: the run's, and its own timer's once armed. */
  open(i: number): AbortSignal {
    const controller = new AbortController();
    const runSignal = this.#runSignal;
    const onRunAbort = () => controller.abort(runSignal.reason);
    runSignal.addEventListener("abort", onRunAbort, { once: true });
    this.#open.set(i, { controller, onRunAbort, timer: undefined });
    return controller.signal;
  }

  /**
   * Starts task i's clock, once. When it runs out, the attempt's signal is aborted with
   * the error `timedOut` makes, which then goes to `expired`.
   */
  arm(i: number, timeoutMs: number, timedOut: () => Error, expired: (error: Error) => void): void {
    const control = this.#open.get(i);
    if (!control || control.timer) return;
    control.timer = setTimeout(() => {
      const error = timedOut();
      control.controller.abort(error);
      expired(error);
    }, timeoutMs);
  }

  /** Task i's attempt ended: its timer and its link to the run's signal go. */
  close(i: number): void {
    const control = this.#open.get(i);
    if (!control) return;
    if (control.timer) clearTimeout(control.timer);
    this.#runSignal.removeEventListener("abort", control.onRunAbort);
    this.#open.delete(i);
  }
}
