import type { OrchestrationContext, Task } from 'durable-functions';
import { resizeFunctionName } from '../domain/functionNames';
import type { ResizeOutcome, SizeSpec } from '../domain/types';
import type { InvocationLogger } from '../logging';
import { internalFailure } from './outcomes';
import { settleRound, type SettledRound } from './settle';

type Steps<T> = Generator<Task, T, unknown>;

/** Schedules `findUnregisteredSizes` for these labels (with the transient retries). */
export type FindUnregistered = (labels: string[]) => Task;

/**
 * A planned size whose `resize-{label}` activity this deployment does not register (the label left
 * `IMAGE_SIZES` while this instance still planned it, and is not in `RETIRED_SIZES`): an `internal` outcome the
 * re-drive rounds try again, telling the operator what to set.
 */
export function unregisteredOutcome(size: SizeSpec): ResizeOutcome {
  const name = resizeFunctionName(size.label);
  return internalFailure(
    size,
    `${name} is not registered in this deployment: "${size.label}" left IMAGE_SIZES while this run planned it. ` +
      `List "${size.label}" in RETIRED_SIZES until no run that planned it is running; re-drives then produce it.`,
  );
}

/**
 * One fan-out round that never schedules an activity the deployment lacks: the Durable host fails the whole
 * orchestration (not the task) for an unknown activity name, so no document would be written and nothing
 * re-drives it. `findUnregisteredSizes` answers first (recorded in the history, so replays agree); the sizes it
 * names get `unregisteredOutcome` and count as exhausted (a later re-drive round asks again, so setting
 * `RETIRED_SIZES` in the meantime lets them run); the rest fan out as usual. If the question itself fails, every
 * size is scheduled (the behaviour without the check). `findUnregistered` undefined (an input without
 * `checksRegistration`): the plain fan-out. `scheduleAlongside` schedules what runs in the same fan-out after
 * the sizes (the placeholder of the first round); the caller settles those tasks.
 */
export function* registeredRound(
  context: OrchestrationContext,
  sizes: readonly SizeSpec[],
  findUnregistered: FindUnregistered | undefined,
  runSize: (size: SizeSpec) => Task,
  log: InvocationLogger,
  scheduleAlongside: () => readonly Task[] = () => [],
): Steps<SettledRound> {
  // An instance started before the check existed replays exactly what it scheduled then.
  if (findUnregistered === undefined) {
    const tasks = sizes.map(runSize);
    return yield* settleRound(context, sizes, tasks, scheduleAlongside());
  }
  let missing: ReadonlySet<string> = new Set();
  try {
    const answer: unknown = yield findUnregistered(sizes.map((size) => size.label));
    if (Array.isArray(answer)) missing = new Set(answer.filter((label) => typeof label === 'string'));
  } catch {
    // Asking failed after its retries: schedule everything, as before the check existed.
  }
  const runnable = sizes.filter((size) => !missing.has(size.label));
  if (missing.size > 0 && !context.df.isReplaying) {
    log.warn('planned sizes not registered in this deployment; set RETIRED_SIZES', {
      functions: [...missing].map(resizeFunctionName),
    });
  }
  // The sizes first, then what runs beside them (the placeholder), in one fan-out.
  const tasks = runnable.map(runSize);
  const alongside = scheduleAlongside();
  const settled: SettledRound =
    tasks.length + alongside.length > 0
      ? yield* settleRound(context, runnable, tasks, alongside)
      : { outcomes: [], exhausted: [] };
  const byLabel = new Map(settled.outcomes.map((outcome) => [outcome.label, outcome]));
  const round: SettledRound = { outcomes: [], exhausted: [] };
  for (const size of sizes) {
    if (missing.has(size.label)) {
      round.outcomes.push(unregisteredOutcome(size));
      round.exhausted.push(size);
      continue;
    }
    const outcome = byLabel.get(size.label);
    if (outcome) round.outcomes.push(outcome);
  }
  round.exhausted.push(...settled.exhausted);
  round.exhausted.sort((a, b) => sizes.indexOf(a) - sizes.indexOf(b));
  return round;
}
