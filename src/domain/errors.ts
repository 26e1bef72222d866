import { expectedMessage, ReceivedDescription } from './validation';

/**
 * The app's error classes. Permanent problems with an image are never thrown (they are `Failure` results,
 * see failure.ts); these are the throws: configuration and caller bugs (fail loudly), and transient conditions
 * that Durable or Event Grid retries.
 */

/** A missing or invalid setting (or host.json value); `setting` names it. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    expected: string,
    received: unknown,
  ) {
    const shown =
      received === undefined ? new ReceivedDescription('nothing (the setting is missing)') : received;
    super(expectedMessage(expected, setting, shown));
    this.name = 'SettingError';
  }
}

/**
 * A bad argument from our own code: an activity input from our orchestrator (a bug or a version skew between
 * deployments) or a render call. Fails loudly with the field named instead of half-working.
 */
export class ArgumentError extends TypeError {
  constructor(
    readonly field: string,
    expected: string,
    received: unknown,
  ) {
    super(expectedMessage(expected, field, received));
    this.name = 'ArgumentError';
  }
}

/**
 * A conditional read-decide-write loop (derivative upload, document write) that kept losing to concurrent
 * writers for all its attempts. Thrown, so Durable retries the activity later.
 */
export class ConcurrentWriteError extends Error {
  constructor(what: string, attempts: number) {
    super(`${what} kept changing under us: gave up after ${attempts} conditional writes`);
    this.name = 'ConcurrentWriteError';
  }
}

/**
 * Thrown (not returned as a failure) when the worker ran out of memory or threads while reading a source:
 * the activity must let it propagate so Durable retries the work, with backoff, on a less loaded worker.
 */
export class ImageResourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageResourceError';
  }
}

/**
 * A decode stopped after its wall-clock budget. On a busy worker a valid photo can overrun it, so it is
 * transient like running out of memory: retried with backoff, then re-driven, and only after those bounded
 * attempts does the size end failed (`internal`, with this message).
 */
export class DecodeTimeoutError extends ImageResourceError {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeTimeoutError';
  }
}
