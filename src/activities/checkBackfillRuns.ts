import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ArgumentError } from '../domain/errors';
import { CHECK_BACKFILL_RUNS_FUNCTION } from '../domain/functionNames';
import { checkBackfillRuns, type CheckRunsInput, type CheckRunsResult } from './backfill/checkRuns';

/** The state of each run a backfill has in flight (one status read each). */
export async function checkBackfillRunsHandler(
  raw: unknown,
  context: InvocationContext,
): Promise<CheckRunsResult> {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<CheckRunsInput>;
  if (!Array.isArray(input.instanceIds) || !input.instanceIds.every((id) => typeof id === 'string')) {
    throw new ArgumentError('the checkBackfillRuns input', '{instanceIds: string[]}', raw);
  }
  return checkBackfillRuns({ instanceIds: input.instanceIds }, df.getClient(context));
}

df.app.activity(CHECK_BACKFILL_RUNS_FUNCTION, {
  handler: checkBackfillRunsHandler,
  extraInputs: [df.input.durableClient()],
});
