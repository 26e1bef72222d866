import type { ResizeOrchestrationInput, RetryPlan, SizeSpec, SourceRef } from './types';

/**
 * The behaviour flags every run started by this code carries. The orchestrator reads each one as "absent:
 * the old behaviour", because instances started before the flag existed replay without it; a new run always
 * sets it. A new flag is added here and nowhere else, so every starter (event, reprocess, hand-off, backfill)
 * gets it at once.
 */
export const NEW_RUN_FLAGS = Object.freeze({
  checksRegistration: true,
  placeholder: true,
  routeByBytes: true,
  prunesDropped: true,
} as const satisfies Partial<ResizeOrchestrationInput>);

/** What a starter decides for one run: the plans captured at start, so a replay never reads a setting. */
export interface RunPlan {
  /** The sizes this run renders (all of `IMAGE_SIZES`, a reprocess's selection, a backfill's decision). */
  sizes: SizeSpec[];
  /** Absent only when a hand-off carries over an instance started before re-drive existed. */
  retry?: RetryPlan;
  /** `REPLACED_DERIVATIVES_GRACE_SECONDS` at start; absent: the orchestrator's default applies. */
  replacedGraceSeconds?: number;
}

/**
 * The one input of a new resize orchestration: the source version, the starter's plan and `NEW_RUN_FLAGS`.
 * Every starter builds its input here. Absent plan fields stay absent (not `undefined`), so the JSON the
 * Durable client sends is the same object a replay later reads.
 */
export function newRunInput(source: SourceRef, plan: RunPlan): ResizeOrchestrationInput {
  return {
    source,
    sizes: plan.sizes,
    ...(plan.retry === undefined ? {} : { retry: plan.retry }),
    ...(plan.replacedGraceSeconds === undefined ? {} : { replacedGraceSeconds: plan.replacedGraceSeconds }),
    ...NEW_RUN_FLAGS,
  };
}
