import * as df from 'durable-functions';
import type { RetryPlan, TransientRetry } from '../domain/types';

/**
 * Retries for transient failures (network, 5xx, 429 throttling, timeouts); permanent problems come back as
 * outcomes and are never retried. Waits 2, 4, 8, 16 s between 5 attempts (30 s of waiting at most): long
 * enough for a throttled or briefly unavailable storage/Cosmos endpoint to recover, short enough that a size
 * whose dependency is really down is reported as `internal` within about a minute instead of holding the
 * image back for hours (the re-drive rounds of `RetryPlan.redriveDelaysSeconds` come back to it later).
 * The 30 s cap bounds any later retuning of the coefficient.
 * No `retryTimeoutInMilliseconds`: when it expires the Durable extension skips the final retry timer, which
 * the JS library still waits for, leaving the orchestration stuck.
 */
export const TRANSIENT_RETRY: Readonly<TransientRetry> = Object.freeze({
  firstRetryIntervalInMilliseconds: 2_000,
  maxNumberOfAttempts: 5,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 30_000,
});

export function transientRetryOptions(policy: Readonly<TransientRetry> = TRANSIENT_RETRY): df.RetryOptions {
  const options = new df.RetryOptions(policy.firstRetryIntervalInMilliseconds, policy.maxNumberOfAttempts);
  options.backoffCoefficient = policy.backoffCoefficient;
  options.maxRetryIntervalInMilliseconds = policy.maxRetryIntervalInMilliseconds;
  return options;
}

/** The plan a new instance captures in its input (the trigger and reprocess both start with it). */
export function retryPlanFor(redriveDelaysSeconds: readonly number[]): RetryPlan {
  return { transient: { ...TRANSIENT_RETRY }, redriveDelaysSeconds: [...redriveDelaysSeconds] };
}

/** What an instance started before re-drive existed (no `retry` in its input) replays with. */
export const LEGACY_RETRY_PLAN: Readonly<RetryPlan> = Object.freeze(retryPlanFor([]));

function positiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Whether `value` is a RetryPlan the orchestrator can schedule from (it arrives as JSON in the input). */
export function isRetryPlan(value: unknown): value is RetryPlan {
  if (typeof value !== 'object' || value === null) return false;
  const { transient, redriveDelaysSeconds } = value as Partial<RetryPlan>;
  return (
    typeof transient === 'object' &&
    transient !== null &&
    positiveInteger(transient.firstRetryIntervalInMilliseconds) &&
    positiveInteger(transient.maxNumberOfAttempts) &&
    typeof transient.backoffCoefficient === 'number' &&
    transient.backoffCoefficient >= 1 &&
    positiveInteger(transient.maxRetryIntervalInMilliseconds) &&
    Array.isArray(redriveDelaysSeconds) &&
    redriveDelaysSeconds.every(positiveInteger)
  );
}
