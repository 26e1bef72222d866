import type { OrchestrationContext, Task } from 'durable-functions';
import type { PlaceholderOutcome, ResizeOutcome, SizeSpec } from '../domain/types';
import { checkedOutcome, internalOutcome, placeholderOutcome } from './outcomes';

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
 * Fans in one round: `tasks[i]` runs `sizes[i]`, and `alongside` (the placeholder's task in the first round)
 * runs in the same fan-out; the caller settles those itself (e.g. with `settlePlaceholder`). Task.all fails on
 * the first task that exhausted its retries; the others are still wanted and are collected (and, if still
 * running, awaited) one by one.
 */
export function* settleRound(
  context: OrchestrationContext,
  sizes: readonly SizeSpec[],
  tasks: readonly Task[],
  alongside: readonly Task[] = [],
): Steps<SettledRound> {
  try {
    yield context.df.Task.all([...tasks, ...alongside]);
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

/**
 * The placeholder task's result (already scheduled by the fan-out), or not `ok` with the reason it failed:
 * never an exception.
 */
export function* settlePlaceholder(task: Task): Steps<PlaceholderOutcome> {
  if (task.isCompleted) return placeholderOutcome(task.result, false);
  if (task.isFaulted) return placeholderOutcome(task.result, true);
  try {
    return placeholderOutcome(yield task, false);
  } catch (error) {
    return placeholderOutcome(error, true);
  }
}
