/**
 * A client-side bound on one storage call. The SDK's `tryTimeoutInMs` only asks the SERVER to give up (the
 * `timeout` URL parameter); a stalled connection would otherwise hold the activity until host.json's
 * functionTimeout (10 min). A 50 MiB source moves in seconds inside a region, so a minute is generous; the
 * abort surfaces as a thrown (transient) error that Durable retries with backoff.
 */
export const STORAGE_CALL_TIMEOUT_MS = 60_000;

export function storageCallSignal(timeoutMs: number = STORAGE_CALL_TIMEOUT_MS): AbortSignal {
  return AbortSignal.timeout(timeoutMs);
}
