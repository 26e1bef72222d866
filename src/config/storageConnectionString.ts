import { isLoopbackUrl } from './loopback';

/** `Key=Value` pairs of a storage connection string; keys compared case-insensitively, values may contain `=`. */
function connectionStringParts(connectionString: string): Array<{ key: string; value: string }> {
  return connectionString
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const equals = part.indexOf('=');
      return equals < 0
        ? { key: part, value: '' }
        : { key: part.slice(0, equals).trim(), value: part.slice(equals + 1).trim() };
    });
}

/** The connection string with key and SAS values replaced, for messages and logs. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(
    /((?:^|;)\s*(?:AccountKey|SharedAccessSignature)\s*=)[^;]*/gi,
    '$1<redacted>',
  );
}

/**
 * Why a connection string may reach something other than a local emulator, or undefined when it cannot.
 * Keys are for emulators only, so every endpoint it names (`BlobEndpoint`, `QueueEndpoint`, …, the
 * development storage proxy) must be loopback, and the blob endpoint must come from somewhere local:
 * `UseDevelopmentStorage=true` or an explicit `BlobEndpoint`. Without one the SDK builds the account's
 * Azure endpoint (`https://{AccountName}.blob.core.windows.net`) and would send the key there.
 */
export function nonLocalConnectionString(connectionString: string): string | undefined {
  const parts = connectionStringParts(connectionString);
  for (const { key, value } of parts) {
    if (/endpoint$|^DevelopmentStorageProxyUri$/i.test(key) && !isLoopbackUrl(value)) {
      return `a connection string with ${key} ${JSON.stringify(value)}`;
    }
  }
  const developmentStorage = parts.some(
    ({ key, value }) => /^UseDevelopmentStorage$/i.test(key) && /^true$/i.test(value),
  );
  const blobEndpoint = parts.some(({ key }) => /^BlobEndpoint$/i.test(key));
  if (!developmentStorage && !blobEndpoint) {
    const account = parts.find(({ key }) => /^AccountName$/i.test(key))?.value ?? '';
    return `a connection string for account ${JSON.stringify(account)} with no BlobEndpoint (its Azure endpoint)`;
  }
  return undefined;
}
