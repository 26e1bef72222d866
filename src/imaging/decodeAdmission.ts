/**
 * Per-process admission of expensive decodes: each decode reserves the memory it will hold, and waits (first
 * come, first served) while the decodes already running hold too much of `DECODE_MEMORY_BUDGET_MB`. A worker's
 * decode memory therefore stays under the budget however many activities run side by side; concurrency only
 * makes decodes wait, never fail. The budget is validated at start-up to admit one decode of
 * `MAX_SOURCE_PIXELS` (see `minDecodeMemoryBudgetMb`), so every photo the pixel limit accepts can run alone.
 *
 * Waiting time is not part of a decode's time budget: the HEIC decode's timer starts once it is admitted.
 */

/**
 * Bytes a HEIC decode holds per pixel of its stored (`ispe`) size: libheif's WebAssembly heap (~8 B/px
 * measured at the end of a decode: 95 MB for 12 MP, docs/imaging.md) plus the 3 B/px RGB copy handed to sharp.
 */
export const HEIC_DECODE_BYTES_PER_PIXEL = 11;

export const MIB = 1024 * 1024;

/** The smallest budget that admits one HEIC decode of `maxSourcePixels` (MiB, rounded up). */
export function minDecodeMemoryBudgetMb(maxSourcePixels: number): number {
  return Math.ceil((maxSourcePixels * HEIC_DECODE_BYTES_PER_PIXEL) / MIB);
}

interface Waiter {
  bytes: number;
  admit: () => void;
}

/** A byte budget shared by the decodes of one process. */
export class DecodeAdmission {
  private held = 0;
  private readonly queue: Waiter[] = [];

  /** @param budgetBytes the most that running decodes may hold together (bytes, > 0). */
  constructor(readonly budgetBytes: number) {
    if (!(Number.isSafeInteger(budgetBytes) && budgetBytes > 0)) {
      throw new RangeError(`Expected a positive whole number of bytes but received ${budgetBytes}`);
    }
  }

  /**
   * Runs `decode` once `bytes` fit in the budget beside the running decodes, and releases them when it settles.
   * A decode larger than the whole budget runs alone (the settings check keeps that from happening).
   */
  async run<T>(bytes: number, decode: () => Promise<T>): Promise<T> {
    const reserved = Math.min(Math.max(0, bytes), this.budgetBytes);
    if (this.queue.length === 0 && this.held + reserved <= this.budgetBytes) this.held += reserved;
    else await new Promise<void>((admit) => this.queue.push({ bytes: reserved, admit }));
    try {
      return await decode();
    } finally {
      this.held -= reserved;
      this.admitWaiting();
    }
  }

  /** Bytes held by running decodes and decodes waiting (diagnostics and tests). */
  state(): { heldBytes: number; waiting: number } {
    return { heldBytes: this.held, waiting: this.queue.length };
  }

  private admitWaiting(): void {
    // In arrival order: a large decode at the head is not overtaken forever by small ones.
    for (let next = this.queue[0]; next !== undefined; next = this.queue[0]) {
      if (this.held + next.bytes > this.budgetBytes) return;
      this.queue.shift();
      this.held += next.bytes;
      next.admit();
    }
  }
}

/** The default of `DECODE_MEMORY_BUDGET_MB`: one decode of the default 50-MP `MAX_SOURCE_PIXELS`. */
export const DEFAULT_DECODE_MEMORY_BUDGET_MB = minDecodeMemoryBudgetMb(50_000_000);

let processAdmission = new DecodeAdmission(DEFAULT_DECODE_MEMORY_BUDGET_MB * MIB);

/** Sets this process's budget in bytes (once per worker, from settings; the activities' modules call it). */
export function configureDecodeAdmission(options: { memoryBudgetBytes: number }): DecodeAdmission {
  processAdmission = new DecodeAdmission(options.memoryBudgetBytes);
  return processAdmission;
}

/** The process's admission (renderDerivative and prepareIntermediate decode through it). */
export function decodeAdmission(): DecodeAdmission {
  return processAdmission;
}
