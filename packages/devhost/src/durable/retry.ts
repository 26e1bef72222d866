import type { RetryOptionsJson } from './actions';

/** .NET `TimeSpan.MaxValue` stands for "no limit"; the extension's defaults (`RetryOptions`). */
const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 60 * 60 * 1000;

/**
 * DTFx `RetryInterceptor.ComputeNextDelay`: the wait before the next attempt after `failedAttempts` failures,
 * or 0 when the retry timeout has passed (DTFx then stops retrying). `now` and `firstAttempt` are orchestration times.
 */
export function computeNextDelayMs(
  options: RetryOptionsJson,
  failedAttempts: number,
  firstAttempt: Date,
  now: Date,
): number {
  const timeout = options.retryTimeoutInMilliseconds;
  // Unset and non-positive limits mean "none", as the extension's RetryOptions defaults (TimeSpan.MaxValue).
  const expired = timeout !== undefined && timeout > 0 && now.getTime() >= firstAttempt.getTime() + timeout;
  if (expired) return 0;
  const coefficient = options.backoffCoefficient ?? 1;
  const maxSetting = options.maxRetryIntervalInMilliseconds;
  const maxInterval = maxSetting !== undefined && maxSetting > 0 ? maxSetting : DEFAULT_MAX_RETRY_INTERVAL_MS;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failedAttempts - 1);
  return Math.max(0, Math.min(delay, maxInterval));
}
