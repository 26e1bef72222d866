/**
 * `npm run status -- <blobName> [--json] [--port 7071]`: the document and orchestration state of one upload,
 * read from the local host's GET /api/images/{blobName}.
 */
import { hostBaseUrl } from './args';
import { renderStatusReport, type ImageStatusAnswer } from './statusReport';
import { statusUrl } from './uploadPlan';

const USAGE = 'usage: npm run status -- <blobName> [--json] [--port 7071]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const positional = args.filter((arg, index) => !arg.startsWith('--') && args[index - 1] !== '--port');
  const blobName = positional[0];
  if (!blobName || args.includes('--help')) throw new Error(USAGE);
  const url = statusUrl(hostBaseUrl(args), blobName.replace(/^\/+/, ''));

  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(
      `cannot reach the local host at ${url}; is npm start running? (${(error as Error).message})`,
      { cause: error },
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`GET ${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (args.includes('--json')) {
    console.log(JSON.stringify(body, null, 2));
  } else if (response.status === 200) {
    console.log(renderStatusReport(body as ImageStatusAnswer));
  } else {
    const error = body as { error?: unknown; message?: unknown };
    const detail = typeof error.message === 'string' ? error.message : JSON.stringify(body);
    throw new Error(`GET ${url} answered ${response.status}: ${detail}`);
  }
}

main().catch((error: unknown) => {
  console.error(`status: ${(error as Error).message}`);
  process.exitCode = 1;
});
