/**
 * Loopback hosts as WHATWG `URL` reports them: it canonicalises IPv4 (`127.1`, `0x7f.0.0.1` -> `127.0.0.1`),
 * lower-cases names and compresses IPv6 (`[0:0:0:0:0:0:0:1]` -> `[::1]`), so exact patterns suffice.
 */
const LOOPBACK_HOSTNAME = /^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/** The hosts a key may be sent to: 127.0.0.0/8, localhost and [::1], where only the emulators listen. */
export const LOOPBACK_HOSTS = '127.0.0.0/8, localhost, [::1]';

/** Whether a `URL.hostname` is loopback. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAME.test(hostname);
}

/** Whether `value` is an absolute URL whose host is loopback; anything unparsable is not. */
export function isLoopbackUrl(value: string): boolean {
  try {
    return isLoopbackHostname(new URL(value).hostname);
  } catch {
    return false;
  }
}
