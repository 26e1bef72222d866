/**
 * `npm run backfill -- [--prefix users/42/] [--sizes xl,thumb] [--only missing|failed|all] [--port 7071]`:
 * starts a backfill through the local host's POST /api/backfill and follows it until it ends: a progress bar
 * on a terminal, one line per change otherwise. Exit code 0 only when it completed with no failed image.
 */
import { hostBaseUrl, optionValue } from './args';
import { countersOf, progressLine, type BackfillCounters } from './backfillProgress';
import { positionalArguments } from './commands';
import { runCli, UsageError } from './run';

const USAGE =
  'usage: npm run backfill -- [--prefix users/42/] [--sizes xl,thumb] [--only missing|failed|all] [--port 7071]';
const POLL_MS = 1000;

interface StatusAnswer {
  runtimeStatus?: string;
  customStatus?: unknown;
  output?: unknown;
}

async function fetchJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(
      `cannot reach the local host at ${url}; is npm start running? (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new Error(`${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
}

function requestBody(args: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const prefix = optionValue(args, 'prefix');
  const sizes = optionValue(args, 'sizes');
  const only = optionValue(args, 'only');
  if (prefix !== undefined) body.prefix = prefix;
  if (sizes !== undefined)
    body.sizes = sizes
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== '');
  if (only !== undefined) body.only = only;
  return body;
}

async function main(args: string[]): Promise<void> {
  const extra = positionalArguments(args, ['port', 'prefix', 'sizes', 'only'], []);
  if (extra.length > 0) throw new UsageError(`Expected only options but received ${JSON.stringify(extra)}`);
  const url = `${hostBaseUrl(args)}/api/backfill`;
  const started = await fetchJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(requestBody(args)),
  });
  if (started.status !== 202) {
    const message =
      typeof started.body.message === 'string' ? started.body.message : JSON.stringify(started.body);
    throw new Error(`POST ${url} answered ${started.status}: ${message}`);
  }
  const instanceId = String(started.body.id);
  const statusUrl = String(started.body.statusUrl);
  const tty = process.stdout.isTTY;
  console.log(`Backfill ${instanceId} started; status: ${statusUrl}`);

  let last = '';
  for (;;) {
    const { body } = await fetchJson(statusUrl);
    const status = body as StatusAnswer;
    const counters = countersOf(status);
    if (counters) {
      const line = progressLine(counters, tty);
      if (tty) process.stdout.write(`\r${line}\x1b[K`);
      else if (line !== last) console.log(line);
      last = line;
    }
    if (
      status.runtimeStatus === 'Completed' ||
      status.runtimeStatus === 'Failed' ||
      status.runtimeStatus === 'Terminated'
    ) {
      if (tty) process.stdout.write('\n');
      finish(instanceId, status.runtimeStatus, counters, status.output);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function finish(
  instanceId: string,
  runtimeStatus: string,
  counters: BackfillCounters | undefined,
  output: unknown,
): void {
  if (runtimeStatus !== 'Completed' || !counters) {
    throw new Error(`backfill ${instanceId} ended ${runtimeStatus}: ${JSON.stringify(output)}`);
  }
  console.log(
    `Backfill ${instanceId} completed: ${counters.listed} listed, ${counters.started} started, ` +
      `${counters.skipped} skipped, ${counters.completed} completed, ${counters.failed} failed`,
  );
  if (counters.failed > 0) {
    throw new Error(`${counters.failed} image(s) failed; npm run status -- <blob> shows why`);
  }
}

runCli('backfill', USAGE, main);
