/**
 * `npm run backfill -- [--prefix users/42/] [--sizes xl,thumb] [--only missing|failed|all] [--port 7071]`:
 * starts a backfill through the local host's POST /api/backfill and follows it until it ends: a progress bar
 * on a terminal, one line per change otherwise. Exit code 0 only when it completed with no failed image.
 * `--attach [instanceId]` follows a running backfill instead (the only one running when no id is given); a 409
 * for a running backfill of the very same request attaches to it too. While following, a host that stops
 * answering (a crash, a restart of `npm start`) is waited for up to `REACH_TIMEOUT_MS`: the backfill itself
 * resumes with the host.
 */
import { durableStatusUrl, hostBaseUrl, optionValue } from './args';
import { countersOf, progressLine, type BackfillCounters } from './backfillProgress';
import { positionalArguments } from './commands';
import { runCli, UsageError } from './run';

const USAGE =
  'usage: npm run backfill -- [--prefix users/42/] [--sizes xl,thumb] [--only missing|failed|all] [--port 7071]\n' +
  '       npm run backfill -- --attach [instanceId] [--port 7071]';
const POLL_MS = 1000;
/** How long a follower waits for a host that stopped answering (a restart takes a few seconds). */
const REACH_TIMEOUT_MS = 120_000;

class UnreachableError extends Error {}

interface RunningAnswer {
  instanceId?: unknown;
  prefix?: unknown;
  sizes?: unknown;
  only?: unknown;
  statusQueryGetUri?: unknown;
}

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
    throw new UnreachableError(
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

/**
 * The same request as a running backfill's: then a 409 for it means "already doing exactly this". Only with
 * `--sizes` given: without it the request means the host's whole catalog, which this CLI does not know.
 */
function sameRequest(running: RunningAnswer, body: Record<string, unknown>): boolean {
  if (!Array.isArray(body.sizes) || !Array.isArray(running.sizes)) return false;
  const labels = (list: unknown[]) => JSON.stringify([...new Set(list.map(String))].sort());
  return (
    running.prefix === (body.prefix ?? '') &&
    running.only === (body.only ?? 'missing') &&
    labels(running.sizes) === labels(body.sizes)
  );
}

/** The orchestrator function every backfill instance runs (src/domain/functionNames.ts `BACKFILL_ORCHESTRATOR`). */
const BACKFILL_ORCHESTRATOR = 'backfillOrchestrator';

/**
 * A named backfill that is not running: one that ended still answers its status URL (following it prints its
 * result). An id the task hub does not know (404), or the id of another kind of instance, is refused here,
 * before anything says "attached".
 */
async function endedBackfill(baseUrl: string, instanceId: string, running: RunningAnswer[]): Promise<void> {
  const url = durableStatusUrl(baseUrl, instanceId);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new UnreachableError(
      `cannot reach the local host at ${url}; is npm start running? (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (response.status === 404) {
    const others = running.map((backfill) => String(backfill.instanceId));
    throw new Error(
      `no backfill ${instanceId} on ${baseUrl}: the task hub has no instance with that id; ` +
        (others.length > 0 ? `running backfills: ${others.join(', ')}` : 'no backfill is running'),
    );
  }
  const text = await response.text();
  let name: unknown;
  try {
    name = (JSON.parse(text) as { name?: unknown }).name;
  } catch {
    throw new Error(`${url} answered ${response.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  if (name !== BACKFILL_ORCHESTRATOR) {
    throw new Error(`${instanceId} is not a backfill: it is an instance of ${JSON.stringify(name)}`);
  }
}

/** The backfill to follow: the one named (checked to exist), or the only one running. */
async function attachTarget(baseUrl: string, instanceId: string | undefined): Promise<RunningAnswer> {
  const { status, body } = await fetchJson(`${baseUrl}/api/backfill`);
  if (status !== 200)
    throw new Error(`GET ${baseUrl}/api/backfill answered ${status}: ${JSON.stringify(body)}`);
  const running = (Array.isArray(body.running) ? body.running : []) as RunningAnswer[];
  if (instanceId !== undefined) {
    const named = running.find((backfill) => backfill.instanceId === instanceId);
    if (named) return named;
    await endedBackfill(baseUrl, instanceId, running);
    return {
      instanceId,
      statusQueryGetUri: durableStatusUrl(baseUrl, instanceId),
    };
  }
  if (running.length === 1 && running[0]) return running[0];
  if (running.length === 0) throw new Error('no backfill is running; start one with npm run backfill');
  throw new Error(
    `${running.length} backfills are running (${running.map((b) => String(b.instanceId)).join(', ')}); ` +
      'name one: npm run backfill -- --attach <instanceId>',
  );
}

async function main(args: string[]): Promise<void> {
  const extra = positionalArguments(args, ['port', 'prefix', 'sizes', 'only'], ['attach']);
  const attach = args.includes('--attach');
  if (attach ? extra.length > 1 : extra.length > 0) {
    throw new UsageError(`Expected only options but received ${JSON.stringify(extra)}`);
  }
  const baseUrl = hostBaseUrl(args);
  let instanceId: string;
  let statusUrl: string;
  if (attach) {
    const target = await attachTarget(baseUrl, extra[0]);
    instanceId = String(target.instanceId);
    statusUrl = durableStatusUrl(baseUrl, instanceId);
    console.log(`Backfill ${instanceId} attached; status: ${statusUrl}`);
  } else {
    const url = `${baseUrl}/api/backfill`;
    const body = requestBody(args);
    const started = await fetchJson(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const running = started.body.running as RunningAnswer | undefined;
    if (started.status === 409 && running && sameRequest(running, body)) {
      instanceId = String(running.instanceId);
      statusUrl = durableStatusUrl(baseUrl, instanceId);
      console.log(`Backfill ${instanceId} is already running this request; attached; status: ${statusUrl}`);
    } else if (started.status !== 202) {
      const message =
        typeof started.body.message === 'string' ? started.body.message : JSON.stringify(started.body);
      const hint = running
        ? `; follow it with npm run backfill -- --attach ${String(running.instanceId)}`
        : '';
      throw new Error(`POST ${url} answered ${started.status}: ${message}${hint}`);
    } else {
      instanceId = String(started.body.id);
      statusUrl = durableStatusUrl(baseUrl, instanceId);
      console.log(`Backfill ${instanceId} started; status: ${statusUrl}`);
    }
  }
  await follow(instanceId, statusUrl);
}

/** The status answer, waiting out a host that stopped answering for up to `REACH_TIMEOUT_MS`. */
async function reachStatus(statusUrl: string): Promise<StatusAnswer> {
  let since: number | undefined;
  for (;;) {
    try {
      return (await fetchJson(statusUrl)).body;
    } catch (error) {
      if (!(error instanceof UnreachableError)) throw error;
      if (since === undefined) {
        since = Date.now();
        console.error(
          'backfill: the host stopped answering; waiting for it to come back (the backfill resumes with it)',
        );
      }
      if (Date.now() - since > REACH_TIMEOUT_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

async function follow(instanceId: string, statusUrl: string): Promise<void> {
  const tty = process.stdout.isTTY;
  let last = '';
  for (;;) {
    const status = await reachStatus(statusUrl);
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
