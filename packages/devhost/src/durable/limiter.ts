/**
 * A FIFO work queue running at most `limit` jobs at once: the host-wide `maxConcurrentActivityFunctions`.
 * Jobs never reject into the queue; each job handles its own errors.
 */
export class ConcurrencyLimiter {
  readonly #limit: number;
  readonly #queue: Array<() => Promise<void>> = [];
  #active = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Expected a positive integer for maxConcurrentActivities but received ${limit}`);
    }
    this.#limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  run(job: () => Promise<void>): void {
    this.#queue.push(job);
    this.#next();
  }

  /** Drops queued jobs that have not started (used when the engine stops). */
  clearQueue(): void {
    this.#queue.length = 0;
    this.#notifyIfIdle();
  }

  /** Resolves when no job is running or queued. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #next(): void {
    while (this.#active < this.#limit) {
      const job = this.#queue.shift();
      if (!job) break;
      this.#active++;
      void job().finally(() => {
        this.#active--;
        this.#next();
        this.#notifyIfIdle();
      });
    }
  }

  #notifyIfIdle(): void {
    if (this.#active > 0 || this.#queue.length > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
