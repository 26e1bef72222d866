/**
 * What the CLIs print for the user to run next: `npm run …` commands whose arguments survive a POSIX shell, and
 * the blob a user names either by its name or by a status URL the upload printed.
 */
import { DEFAULT_PORTS } from '../defaultPorts';
import { optionValue } from './args';
import { UsageError } from './run';

/** Characters a POSIX shell never treats specially; anything else is single-quoted. */
const SHELL_SAFE = /^[A-Za-z0-9_./:@%+=,-]+$/;

/** One argument quoted for sh/bash/zsh: `it's.jpg` → `'it'\''s.jpg'`, `a.jpg` unchanged. */
export function shellQuote(arg: string): string {
  return arg !== '' && SHELL_SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `npm run <script> -- <args…>` with every argument quoted for a shell. */
export function npmRunCommand(script: string, args: readonly string[]): string {
  return ['npm', 'run', script, '--', ...args.map(shellQuote)].join(' ');
}

/**
 * The host option for the command a CLI suggests next, as `--port N`: the port of the status URL it was given,
 * else the `--port` it was given; nothing for the default port. Only the host's port: `status` and
 * `reprocess` talk to the host alone, never to Azurite.
 */
export function portOption(args: readonly string[], baseUrl?: string): string[] {
  const value = baseUrl === undefined ? optionValue([...args], 'port') : new URL(baseUrl).port;
  return value === undefined || value === '' || value === String(DEFAULT_PORTS.host) ? [] : ['--port', value];
}

const STATUS_PATH = '/api/images/';

/**
 * The blob a CLI argument names: a blob name as uploaded (`users/42/cat.jpg`, a leading `/` dropped), or a status
 * URL as `npm run upload` prints it (`http://127.0.0.1:7071/api/images/users/42/my%20cat.jpg`), whose origin then
 * becomes the host to ask.
 *
 * @throws Error for a URL that is not an `/api/images/…` status URL.
 */
export function blobArgument(arg: string): { blobName: string; baseUrl?: string } {
  if (!/^https?:\/\//i.test(arg)) return { blobName: arg.replace(/^\/+/, '') };
  const url = new URL(arg);
  const at = url.pathname.indexOf(STATUS_PATH);
  const encoded = at < 0 ? '' : url.pathname.slice(at + STATUS_PATH.length);
  if (encoded === '') {
    throw new Error(
      `Expected a blob name or a status URL ({host}/api/images/{blob}) but received ${JSON.stringify(arg)}`,
    );
  }
  return {
    blobName: encoded.split('/').map(decodeURIComponent).join('/'),
    baseUrl: `${url.origin}${url.pathname.slice(0, at)}`,
  };
}

/**
 * The positional arguments of a CLI: everything but its options (`valued` take a value, as `--name value` or
 * `--name=value`; `flags` take none).
 *
 * @throws UsageError for an option the CLI does not know.
 */
export function positionalArguments(
  args: readonly string[],
  valued: readonly string[],
  flags: readonly string[],
): string[] {
  const positional: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (!arg.startsWith('--')) positional.push(arg);
    else if (valued.includes(arg.slice(2))) index++;
    else if (valued.some((name) => arg.startsWith(`--${name}=`)) || flags.includes(arg.slice(2))) continue;
    else throw new UsageError(`Unknown option ${arg}`);
  }
  return positional;
}

/** The one blob a `status` or `reprocess` invocation names. @throws UsageError for none or several. */
export function oneTarget(positional: readonly string[]): string {
  const [target, ...extra] = positional;
  if (target === undefined || extra.length > 0) {
    throw new UsageError(
      `Expected one blob name or status URL but received ${positional.length === 0 ? 'none' : positional.map((arg) => JSON.stringify(arg)).join(' ')}`,
    );
  }
  return target;
}

/** `{baseUrl}/api/reprocess/{blob}` with each path segment encoded, and `?sizes=` when sizes are chosen. */
export function reprocessUrl(baseUrl: string, blobName: string, sizes?: string): string {
  const path = blobName.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl}/api/reprocess/${path}${sizes === undefined ? '' : `?sizes=${encodeURIComponent(sizes)}`}`;
}
