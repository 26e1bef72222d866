import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { requireOperator } from '../auth/caller';
import { CONSOLE_INSTANCE_FUNCTION } from '../domain/functionNames';
import { describeReceived } from '../domain/validation';
import { invocationLogger } from '../logging';
import { productionHttpDeps, type ImageHttpDeps } from './http/deps';
import { INSTANCE_ROUTE } from './http/instanceLinks';
import { jsonError } from './http/jsonResponses';
import { isInstanceNotFound } from './instanceStatus';

export type InstanceClient = Pick<DurableClient, 'getStatus' | 'createHttpManagementPayload'>;

/** A history read is one call to the app's own host: a stalled one must not hold the request. */
const HISTORY_TIMEOUT_MS = 30_000;

/**
 * The instance's history events. durable-functions 3.5's `getStatus` drops them (its status type reads
 * `history`, the extension answers `historyEvents`), so the extension's status URL is read here, on the
 * server: the system key in it never leaves the app.
 */
async function historyEvents(client: InstanceClient, instanceId: string): Promise<unknown[]> {
  const url = new URL(client.createHttpManagementPayload(instanceId).statusQueryGetUri);
  url.searchParams.set('showHistory', 'true');
  url.searchParams.set('showHistoryOutput', 'true');
  url.searchParams.set('showInput', 'false');
  const response = await fetch(url, { signal: AbortSignal.timeout(HISTORY_TIMEOUT_MS) });
  if (!response.ok && response.status !== 202) {
    throw new Error(`The Durable status API answered ${response.status} for the history of ${instanceId}`);
  }
  const body = (await response.json()) as { historyEvents?: unknown };
  return Array.isArray(body.historyEvents) ? (body.historyEvents as unknown[]) : [];
}

/** The instance ids this app makes (`img-…`, `backfill-…`, reprocess suffixes): letters, digits, `-_.:`. */
const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * `GET /api/console/instances/{instanceId}[?history=true]` (operators): one Durable instance's status, read
 * server-side with the durable client, so no browser ever holds the extension's system key. 200 `{ instanceId,
 * name, runtimeStatus, customStatus, output, createdTime, lastUpdatedTime, history? }` (history: the
 * orchestration's events with their outputs), 400 `invalid-request` for an id this app never makes, 404
 * `not-found`, 401/403 not an operator.
 */
export function createConsoleInstanceHandler(
  deps: () => Pick<ImageHttpDeps, 'settings' | 'authEnabled'> = productionHttpDeps,
) {
  return async (
    request: HttpRequest,
    client: InstanceClient,
    context: InvocationContext,
  ): Promise<HttpResponseInit> => {
    const { settings, authEnabled } = deps();
    const operator = requireOperator(request, settings.site, authEnabled);
    if ('response' in operator) return operator.response;
    const instanceId = request.params.instanceId ?? '';
    if (!INSTANCE_ID.test(instanceId)) {
      return jsonError(
        400,
        'invalid-request',
        `Expected an instance id (letters, digits, "-", "_", ".", ":") but received ${describeReceived(instanceId)}`,
      );
    }
    const history = request.query.get('history') === 'true';
    let status;
    try {
      status = await client.getStatus(instanceId, {
        showHistory: history,
        showHistoryOutput: history,
        showInput: false,
      });
    } catch (error) {
      if (isInstanceNotFound(error)) {
        return jsonError(404, 'not-found', `No Durable instance "${instanceId}" in this task hub`, {
          instanceId,
        });
      }
      throw error;
    }
    invocationLogger(context, { instanceId }).info('instance read', { history });
    const events = history ? await historyEvents(client, instanceId) : undefined;
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: {
        instanceId: status.instanceId,
        name: status.name,
        runtimeStatus: status.runtimeStatus,
        customStatus: status.customStatus ?? null,
        output: status.output ?? null,
        createdTime: status.createdTime,
        lastUpdatedTime: status.lastUpdatedTime,
        ...(events === undefined ? {} : { history: events }),
      },
    };
  };
}

export const consoleInstance = createConsoleInstanceHandler();

// Anonymous at the host, operators only in the handler: the console's History and Status links and its
// reprocess and backfill progress read this instead of the Durable management URLs.
df.app.client.http(CONSOLE_INSTANCE_FUNCTION, {
  route: `${INSTANCE_ROUTE}/{instanceId}`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: consoleInstance,
});
