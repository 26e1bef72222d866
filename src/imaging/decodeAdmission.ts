/**
 * Per-process admission of expensive decodes: each decode reserves the memory it will hold, and waits (first
 * come, first served) while the decodes already running hold too much of `DECODE_MEMORY_BUDGET_MB`. A worker's
 * decode memory therefore stays under the budget however many activities run side by side; concurrency only
 * makes decodes wait, never fail. The budget is validated at start-up to admit one decode of
 * `MAX_SOURCE_PIXELS` (see `minDecodeMemoryBudgetMb`), so every photo the pixel limit accepts can run alone.
 * A reservation outlives the decode: once the decoder is gone it shrinks to what the decoded pixels and
 * sharp's resize of them hold (`HEIC_HELD_PER_DECODED_BYTE`), and is released when the render is done with
 * them, so the next decode is not admitted on memory the previous render still uses.
 *
 * Waiting time is not part of a decode's time budget: the HEIC decode's timer starts once it is admitted.
 */

/**
 * Bytes a HEIC decode holds per pixel of its stored (`ispe`) size: libheif's WebAssembly heap (~8 B/px
 * measured at the end of a decode: 95 MB for 12 MP, docs/imaging.md) plus the 3 B/px RGB copy handed to sharp.
 */
export const HEIC_DECODE_BYTES_PER_PIXEL = 11;

/**
 * Bytes a render holds per byte of the decoded HEIC pixels it receives, after the decoder thread has ended:
 * the pixels themselves plus libvips' resize and encode of them. Measured (docs/imaging.md, HEIC): 48 MP,
 * full-size 137-MB copy into a 2560 box, 208 MB (1.5x); the 15-MB copy shrunk by 3 into the 1280 box, 33 MB
 * (2.2x). At most 4 B/px (RGBA, never shrunk) x 2.5 = 10 B/px, below `HEIC_DECODE_BYTES_PER_PIXEL`: what a
 * reservation shrinks to never exceeds what it was admitted with, so `minDecodeMemoryBudgetMb` still covers it.
 */
export const HEIC_HELD_PER_DECODED_BYTE = 2.5;

export const MIB = 1024 * 1024;

/** The smallest budget that admits one HEIC decode of `maxSourcePixels` (MiB, rounded up). */
export function minDecodeMemoryBudgetMb(maxSourcePixels: number): number {
  return Math.ceil((maxSourcePixels * HEIC_DECODE_BYTES_PER_PIXEL) / MIB);
}

interface Waiter {
  bytes: number;
  admit: () => void;
}

/** Budget held by one decode and then by its decoded pixels, until released. */
export interface Reservation {
  /** Keeps only `bytes` of it (never more than it holds now), admitting the decodes that then fit. */
  shrinkTo(bytes: number): void;
  /** Gives the rest back; later calls do nothing. */
  release(): void;
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
    const reservation = await this.reserve(bytes);
    try {
      return await decode();
    } finally {
      reservation.release();
    }
  }

  /**
   * Waits until `bytes` fit beside what is held (in arrival order), then holds them until the reservation is
   * shrunk or released. The caller must release it on every path (`run` does for a single step).
   */
  async reserve(bytes: number): Promise<Reservation> {
    let reserved = Math.min(Math.max(0, bytes), this.budgetBytes);
    if (this.queue.length === 0 && this.held + reserved <= this.budgetBytes) this.held += reserved;
    else await new Promise<void>((admit) => this.queue.push({ bytes: reserved, admit }));
    const keep = (next: number) => {
      const kept = Math.min(reserved, Math.max(0, Math.ceil(next)));
      this.held -= reserved - kept;
      reserved = kept;
      this.admitWaiting();
    };
    return { shrinkTo: keep, release: () => keep(0) };
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
