/**
 * Stand-ins for a metrics client (statsd, Prometheus pushgateway, …) and an alerting
 * service (PagerDuty, a chat webhook, …): they record what they were sent, so the
 * examples can print it and the tests can check it.
 */

export interface TimerSample {
  readonly name: string;
  readonly seconds: number;
}

export class MetricsRecorder {
  readonly #timers: TimerSample[] = [];

  /** Records a duration, like `statsd.timing(name, ms)`. */
  timer(name: string, seconds: number): void {
    this.#timers.push({ name, seconds });
  }

  timers(): readonly TimerSample[] {
    return this.#timers;
  }
}

export interface Alert {
  readonly title: string;
  readonly detail: string;
}

export class AlertOutbox {
  readonly #sent: Alert[] = [];

  send(title: string, error: Error): void {
    this.#sent.push({ title, detail: `${error.name}: ${error.message}` });
  }

  sent(): readonly Alert[] {
    return this.#sent;
  }
}
