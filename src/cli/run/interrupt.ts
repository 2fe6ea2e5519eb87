const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Turns SIGINT and SIGTERM into an abort of the run: the first stops it cleanly (running
 * tasks are aborted through their signal, finished ones are already stored); a second one
 * means "now", for a task that ignores its signal.
 */
export class Interrupts {
  readonly #controller = new AbortController();
  #received: NodeJS.Signals | undefined;
  readonly #onSignal: (signal: NodeJS.Signals) => void;

  constructor(handlers: {
    readonly first: (signal: NodeJS.Signals) => void;
    readonly again: (signal: NodeJS.Signals) => void;
  }) {
    this.#onSignal = (signal) => {
      if (this.#received) {
        handlers.again(signal);
        return;
      }
      this.#received = signal;
      handlers.first(signal);
      this.#controller.abort(new Error(`${signal} received`));
    };
    for (const signal of SIGNALS) process.on(signal, this.#onSignal);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the run without a signal (the run stalled). */
  stop(reason: Error): void {
    this.#controller.abort(reason);
  }

  /** The signal that stopped the run, if one did. */
  get received(): NodeJS.Signals | undefined {
    return this.#received;
  }

  /** Gives SIGINT and SIGTERM back to their defaults. */
  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.#onSignal);
  }
}
