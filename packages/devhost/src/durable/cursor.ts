import type { RetryOptionsJson } from './actions';

/** Host-side progress of one CallActivityWithRetry action (DTFx RetryInterceptor state). */
export interface RetryTracker {
  /** Index of the action in the flattened action list. */
  actionIndex: number;
  functionName: string;
  inputText: string | undefined;
  options: RetryOptionsJson;
  /** Orchestration time of the first attempt (retry timeout is measured from it). */
  firstAttemptAt: string;
  failures: number;
  /** Task id of the attempt in flight, or of the last failed one. */
  taskId: number;
  /** Task id of the retry timer being waited on, if any. */
  timerId: number | null;
  /** The retry timeout passed: remaining attempts are recorded as failed without running the activity. */
  exhausted: boolean;
  lastReason: string;
  lastDetails: string;
}

/**
 * What the host must remember between episodes besides the history itself (the library keeps the equivalent in
 * its replay; DTFx keeps it in its own replay of the C# shim). Persisted atomically with each episode's events.
 */
export interface Cursor {
  /** The next task id the library will assign (`TaskOrchestrationExecutor.sequenceNumber`). */
  nextTaskId: number;
  /** How many flattened actions have been turned into history events. */
  processedActions: number;
  /** The task id given to each processed action (null for actions that take none, e.g. WaitForExternalEvent). */
  actionTaskIds: Array<number | null>;
  retries: RetryTracker[];
  canceledTimers: number[];
  /** Every inbox message up to this sequence number has been consumed into the history. */
  inboxConsumedThrough: number;
  /** Consumed messages above the watermark (consumed out of order, e.g. a terminate or while suspended). */
  inboxConsumedAbove: number[];
  /** Latest custom status (JSON text); kept when an episode does not set one, as the extension does. */
  customStatus: string | null;
  suspended: boolean;
}

export function emptyCursor(): Cursor {
  return {
    nextTaskId: 0,
    processedActions: 0,
    actionTaskIds: [],
    retries: [],
    canceledTimers: [],
    inboxConsumedThrough: -1,
    inboxConsumedAbove: [],
    customStatus: null,
    suspended: false,
  };
}

export function isInboxConsumed(cursor: Cursor, seq: number): boolean {
  return seq <= cursor.inboxConsumedThrough || cursor.inboxConsumedAbove.includes(seq);
}

/** Records consumed inbox sequence numbers, advancing the watermark over any contiguous run. */
export function markInboxConsumed(cursor: Cursor, seqs: readonly number[]): void {
  const above = new Set([...cursor.inboxConsumedAbove, ...seqs]);
  let through = cursor.inboxConsumedThrough;
  while (above.has(through + 1)) {
    through++;
    above.delete(through);
  }
  cursor.inboxConsumedThrough = through;
  cursor.inboxConsumedAbove = [...above].filter((seq) => seq > through).sort((a, b) => a - b);
}
