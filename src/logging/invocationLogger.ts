import type { InvocationContext } from '@azure/functions';

/** What ties a log line to one image: the issue requires blob name and instance id on every line. */
export interface LogFields {
  blobName?: string;
  instanceId?: string;
  label?: string;
}

export type LogExtra = Readonly<Record<string, unknown>>;

export interface InvocationLogger {
  info(message: string, extra?: LogExtra): void;
  warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
  /** A logger for the same invocation with more fields (e.g. the instance id once it is known). */
  with(fields: LogFields): InvocationLogger;
}

type LogSink = Pick<InvocationContext, 'log' | 'warn' | 'error'>;

/** Errors do not survive JSON.stringify (their fields are not enumerable); keep what an operator needs. */
function serializable(value: unknown): unknown {
  if (value instanceof Error) {
    const withCode = value as Error & { code?: unknown; statusCode?: unknown };
    return { name: value.name, message: value.message, code: withCode.code, statusCode: withCode.statusCode };
  }
  return value;
}

/** One JSON object per line: `msg` first, then the identifying fields (always present, null when unknown). */
export function formatLogLine(message: string, fields: LogFields, extra: LogExtra = {}): string {
  const line: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) if (key !== 'msg') line[key] = serializable(value);
  // The identifying fields are written last so an `extra` key can never overwrite them.
  Object.assign(line, {
    blobName: fields.blobName ?? null,
    instanceId: fields.instanceId ?? null,
    ...(fields.label !== undefined ? { label: fields.label } : {}),
  });
  return JSON.stringify({ msg: message, ...line });
}

/**
 * A structured logger bound to one invocation: lines go through the invocation context, so the host
 * correlates them with the invocation (App Insights operation id), and each carries the blob name and
 * instance id so one image's story can be queried across the trigger, the orchestrator and the activities.
 */
export function invocationLogger(context: LogSink, fields: LogFields): InvocationLogger {
  return {
    info: (message, extra) => context.log(formatLogLine(message, fields, extra)),
    warn: (message, extra) => context.warn(formatLogLine(message, fields, extra)),
    error: (message, extra) => context.error(formatLogLine(message, fields, extra)),
    with: (more) => invocationLogger(context, { ...fields, ...more }),
  };
}

/** The same logger with `fields` added to every line (a call's own extra fields win). */
export function withExtra(logger: InvocationLogger, fields: LogExtra): InvocationLogger {
  return {
    info: (message, extra) => logger.info(message, { ...fields, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
    error: (message, extra) => logger.error(message, { ...fields, ...extra }),
    with: (more) => withExtra(logger.with(more), fields),
  };
}
