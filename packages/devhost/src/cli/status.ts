/**
 * `npm run status -- <blobName | status URL> [--json] [--port 7071]`: the document and orchestration state of one
 * upload, read from the local host's GET /api/images/{blobName}.
 */
import { hostBaseUrl } from './args';
import { blobArgument, npmRunCommand, oneTarget, portOption, positionalArguments } from './commands';
import { runCli } from './run';
import { renderStatusReport, type ImageStatusAnswer } from './statusReport';
import { statusUrl } from './uploadPlan';

const USAGE = 'usage: npm run status -- <blobName | status URL> [--json] [--port 7071]';

async function main(args: string[]): Promise<void> {
  const named = blobArgument(oneTarget(positionalArguments(args, ['port'], ['json'])));
  const url = statusUrl(named.baseUrl ?? hostBaseUrl(args), named.blobName);

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
    const reprocess = npmRunCommand('reprocess', [named.blobName, ...portOption(args, named.baseUrl)]);
    console.log(renderStatusReport(body as ImageStatusAnswer, { reprocessCommand: reprocess }));
  } else {
    const error = body as { error?: unknown; message?: unknown };
    const detail = typeof error.message === 'string' ? error.message : JSON.stringify(body);
    throw new Error(`GET ${url} answered ${response.status}: ${detail}`);
  }
}

runCli('status', USAGE, main);
