/**
 * `npm run reprocess -- <blobName | status URL> [--sizes thumb,medium] [--json] [--port 7071]`: a fresh run of the
 * blob's current version through the local host's POST /api/reprocess/{blobName}[?sizes=…].
 */
import { hostBaseUrl, optionValue } from './args';
import {
  blobArgument,
  npmRunCommand,
  oneTarget,
  portOption,
  positionalArguments,
  reprocessUrl,
} from './commands';
import { runCli } from './run';

const USAGE =
  'usage: npm run reprocess -- <blobName | status URL> [--sizes thumb,medium] [--json] [--port 7071]';

async function main(args: string[]): Promise<void> {
  const named = blobArgument(oneTarget(positionalArguments(args, ['port', 'sizes'], ['json'])));
  const url = reprocessUrl(named.baseUrl ?? hostBaseUrl(args), named.blobName, optionValue(args, 'sizes'));

  let response: Response;
  try {
    response = await fetch(url, { method: 'POST' });
  } catch (error) {
    throw new Error(
      `cannot reach the local host at ${url}; is npm start running? (${(error as Error).message})`,
      { cause: error },
    );
  }
  const text = await response.text();
  let body: { id?: unknown; message?: unknown; following?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`POST ${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (args.includes('--json')) console.log(JSON.stringify(body, null, 2));
  if (response.status !== 202) {
    const detail = typeof body.message === 'string' ? body.message : text;
    throw new Error(`POST ${url} answered ${response.status}: ${detail}`);
  }
  if (!args.includes('--json')) {
    console.log(
      body.following === true
        ? `Reprocessing ${named.blobName}: orchestration ${String(body.id)} of this version is in flight and will write the sizes; following it`
        : `Reprocessing ${named.blobName}: orchestration ${String(body.id)} started`,
    );
    console.log(
      `Follow it with: ${npmRunCommand('status', [named.blobName, ...portOption(args, named.baseUrl)])}`,
    );
  }
}

runCli('reprocess', USAGE, main);
