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

export type InstanceClient = Pick<DurableClient, 'getStatus'>;

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
        ...(history ? { history: status.history ?? [] } : {}),
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
