/** A missing or invalid setting; the message names the setting, in sharp's "Expected … for … but received …" shape. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    expected: string,
    received: unknown,
  ) {
    super(`Expected ${expected} for ${setting} but received ${describe(received)}`);
    this.name = 'SettingError';
  }
}

/** A received value described in words, for values that must not be echoed (keys, connection strings). */
export class ReceivedDescription {
  constructor(readonly text: string) {}
}

function describe(value: unknown): string {
  if (value instanceof ReceivedDescription) return value.text;
  if (value === undefined) return 'nothing (the setting is missing)';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  // JSON.stringify returns undefined for functions and symbols.
  return JSON.stringify(value) ?? typeof value;
}
