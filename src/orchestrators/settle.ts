import type { OrchestrationContext, Task } from 'durable-functions';
import type { ResizeOutcome, SizeSpec } from '../domain/types';
import { checkedOutcome, internalOutcome } from './outcomes';

type Steps<T> = Generator<Task, T, unknown>;

/** One round of sizes, settled: an outcome per size in plan order, and the sizes whose retries ran out. */
export interface SettledRound {
  outcomes: ResizeOutcome[];
  /** Sizes whose task still threw after every transient retry (their outcome is `internal`). */
  exhausted: SizeSpec[];
}

/**
 * Waits for one size's task (already scheduled by the fan-out, so yielding it again adds no action) and turns
 * it into an outcome: a task that still failed after its retries becomes that size's `internal` error.
 */
function* settle(task: Task, size: SizeSpec): Steps<{ outcome: ResizeOutcome; exhausted: boolean }> {
  if (task.isCompleted) return { outcome: checkedOutcome(size, task.result), exhausted: false };
  if (task.isFaulted) return { outcome: internalOutcome(size, task.result), exhausted: true };
  try {
    return { outcome: checkedOutcome(size, yield task), exhausted: false };
  } catch (error) {
    return { outcome: internalOutcome(size, error), exhausted: true };
  }
}

/**
 * Fans in one round: `tasks[i]` runs `sizes[i]`. Task.all fails on the first size that exhausted its retries;
 * the others are still wanted and are collected (and, if still running, awaited) one by one.
 */
export function* settleRound(
  context: OrchestrationContext,
  sizes: readonly SizeSpec[],
  tasks: readonly Task[],
): Steps<SettledRound> {
  try {
    yield context.df.Task.all([...tasks]);
  } catch {
    // Collected below, size by size.
  }
  const round: SettledRound = { outcomes: [], exhausted: [] };
  for (const [index, size] of sizes.entries()) {
    const task = tasks[index];
    if (!task) continue;
    const { outcome, exhausted } = yield* settle(task, size);
    round.outcomes.push(outcome);
    if (exhausted) round.exhausted.push(size);
  }
  return round;
}
