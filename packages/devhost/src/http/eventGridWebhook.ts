import { randomUUID } from 'node:crypto';
import type { FunctionInvoker, HttpExchangeRequest, HttpExchangeResponse } from '../contracts';
import { errorReply, jsonReply } from './jsonReply';

/** Origins Event Grid itself sends in `WebHook-Request-Origin` (the extension echoes only these). */
const EVENT_GRID_ORIGINS = [
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.cn',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.microsoft.scloud',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validationCode(body: unknown): unknown {
  if (Array.isArray(body))
    return isRecord(body[0]) && isRecord(body[0].data) ? body[0].data.validationCode : undefined;
  if (!isRecord(body)) return undefined;
  // CloudEvents validation: `data` may arrive as JSON text.
  let data = body.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      return undefined;
    }
  }
  return isRecord(data) ? data.validationCode : undefined;
}

/**
 * `POST /runtime/webhooks/eventgrid?functionName=NAME`, as the Event Grid extension's HttpRequestProcessor
 * answers it: the SubscriptionValidation handshake, Notification (one invocation per event, in parallel;
 * 202 when all succeed, 500 when any fails so Event Grid redelivers), Unsubscribe (202), the CloudEvents
 * OPTIONS abuse-protection handshake, and 400 for anything else.
 */
export async function handleEventGridWebhook(
  invoker: FunctionInvoker,
  request: HttpExchangeRequest,
): Promise<HttpExchangeResponse> {
  const functionName = new URL(request.url).searchParams.get('functionName') ?? '';
  const target = invoker
    .functions()
    .find(
      (fn) =>
        fn.name.toLowerCase() === functionName.toLowerCase() &&
        fn.trigger.type.toLowerCase() === 'eventgridtrigger',
    );
  if (!target) return errorReply(404, `cannot find function: '${functionName}'`);

  const method = request.method.toUpperCase();
  if (method === 'OPTIONS') {
    const origin = request.headers['webhook-request-origin']?.trim().toLowerCase();
    return {
      status: 200,
      headers: {
        'webhook-allowed-origin':
          origin && EVENT_GRID_ORIGINS.includes(origin) ? origin : 'eventgrid.azure.net',
      },
      body: '',
    };
  }
  if (method !== 'POST')
    return errorReply(405, `The Event Grid webhook accepts POST and OPTIONS, not ${method}`);

  const eventType = request.headers['aeg-event-type']?.trim().toLowerCase();
  if (eventType === 'unsubscribe') return { status: 202, headers: {}, body: '' };
  if (eventType !== 'subscriptionvalidation' && eventType !== 'notification') {
    return errorReply(
      400,
      'The aeg-event-type header must be SubscriptionValidation, Notification or Unsubscribe',
    );
  }

  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return errorReply(400, 'The request body is not valid JSON');
  }

  if (eventType === 'subscriptionvalidation') {
    const code = validationCode(body);
    if (typeof code !== 'string' || code === '')
      return errorReply(400, 'The validation event has no data.validationCode');
    return jsonReply(200, { validationResponse: code });
  }

  const events = Array.isArray(body) ? body : [body];
  if (events.length === 0 || !events.every(isRecord)) {
    return errorReply(400, 'The body must be an event object or a non-empty array of event objects');
  }
  const results = await Promise.all(
    events.map((event) =>
      invoker.invoke(target.name, {
        triggerData: { json: JSON.stringify(event) },
        triggerMetadata: {
          data: { json: JSON.stringify(event.data ?? null) },
          sys: {
            json: JSON.stringify({
              MethodName: target.name,
              UtcNow: new Date().toISOString(),
              RandGuid: randomUUID(),
            }),
          },
        },
      }),
    ),
  );
  const failures = results.flatMap((result) => (result.ok ? [] : [result.error.message]));
  if (failures.length > 0) {
    return errorReply(500, `${failures.length} of ${events.length} event(s) failed: ${failures.join('; ')}`);
  }
  return { status: 202, headers: {}, body: '' };
}
