import * as df from 'durable-functions';

/**
 * Retries for transient failures (network, 5xx, 429 throttling, timeouts); permanent problems come back as
 * outcomes and are never retried. Waits 2, 4, 8, 16 s between 5 attempts (30 s of waiting at most): long
 * enough for a throttled or briefly unavailable storage/Cosmos endpoint to recover, short enough that a size
 * whose dependency is really down is reported as `internal` within about a minute instead of holding the
 * image back for hours. The 30 s cap bounds any later retuning of the coefficient.
 * No `retryTimeoutInMilliseconds`: when it expires the Durable extension skips the final retry timer, which
 * the JS library still waits for, leaving the orchestration stuck.
 */
export const TRANSIENT_RETRY = Object.freeze({
  firstRetryIntervalInMilliseconds: 2_000,
  maxNumberOfAttempts: 5,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 30_000,
});

export function transientRetryOptions(): df.RetryOptions {
  const options = new df.RetryOptions(
    TRANSIENT_RETRY.firstRetryIntervalInMilliseconds,
    TRANSIENT_RETRY.maxNumberOfAttempts,
  );
  options.backoffCoefficient = TRANSIENT_RETRY.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = TRANSIENT_RETRY.maxRetryIntervalInMilliseconds;
  return options;
}
