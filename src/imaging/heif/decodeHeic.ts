import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DecodeTimeoutError, ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import { withoutCleanAperture } from './cleanAperture';
import { heicDecodeTimeoutMs } from './decodeCost';
import { iccProfileForNclx } from './nclxProfile';
import { heicWorkerMain, type HeicWorkerInput, type HeicWorkerOutput } from './heicWorker';
import type { HeifPrimaryImage } from './primaryImage';
import { rawTiffHeaderLength, writeRawTiffHeader, type RawTiffLayout } from './rawTiff';
import { webAssembly, type WasmModule } from './webAssembly';
import type { Box } from '../types';

/**
 * The integer box-shrink the decoder thread may apply for pixels that will be resized down to `box` (the
 * scale the renditions work at, `intermediateSize`, same aspect ratio as the image): the largest factor that
 * still leaves at least twice that size, as libvips' own resize shrinks (`vips_resize`,
 * gap 2: a box filter by floor(scale / 2), then Lanczos for the rest), so the derivative's pixels are those of
 * a full-size decode resized by sharp. 1 for an alpha image (averaging unpremultiplied colour would bleed
 * transparent pixels' colour into edges) and for any image within 4 times `box`.
 *
 * Why: the copy of the decoded pixels out of the WebAssembly heap coexists with that heap. At 48 MP the full
 * copy is 144 MB on top of a ~390 MB heap; shrunk by 3 it is 16 MB.
 */
export function heicShrink(
  primary: Pick<HeifPrimaryImage, 'width' | 'height' | 'hasAlpha'>,
  box: Box,
): number {
  if (primary.hasAlpha) return 1;
  const scale = Math.min(primary.width / box.width, primary.height / box.height);
  return Math.max(1, Math.floor(scale / 2));
}

export interface DecodedHeic {
  /** An uncompressed TIFF of the oriented 8-bit RGB(A) pixels, with the file's ICC profile (see rawTiff.ts). */
  tiff: Buffer;
  /** Of the TIFF: the displayed size divided by `shrink`, rounded up. */
  width: number;
  height: number;
  /** The box-shrink factor applied in the decoder thread (1 = full size; see `heicShrink`). */
  shrink: number;
  channels: 3 | 4;
  /** Size of the WebAssembly heap when the decode finished: the decoder's peak memory, released with the worker. */
  heapBytes: number;
  /**
   * How many decoding warnings libheif attached to the image. Not a corruption signal: libheif's libde265
   * plugin never reads libde265's warnings and drops its decode errors, so damaged HEVC data adds none
   * (docs/imaging.md, HEIC); the only warnings it adds are about nclx code points.
   */
  decodingWarnings: number;
}

export type HeicDecodeResult = { ok: true; decoded: DecodedHeic } | Failure;

export interface HeicDecodeOptions {
  maxPixels: number;
  /**
   * The size the pixels will be resized down to (the renditions' `intermediateSize`). When the image is at
   * least 4 times larger, the decoder thread hands over a box-shrunk copy (`heicShrink`) instead of the full
   * size.
   */
  shrinkFor?: Box;
  /** Overrides `heicDecodeTimeoutMs` (decodeCost.ts; tests). */
  timeoutMs?: number;
}

/**
 * HEIC decodes one process runs at once; the others wait their turn. Each holds a WebAssembly heap of about
 * 8 bytes per pixel (~390 MB at 48 MP) until its thread ends, so concurrent activities must not stack them:
 * with one at a time, a worker's peak is one heap plus the other activities' far smaller libvips work. On a
 * 2048-MB Flex instance (1 vCPU) two decodes side by side would take as long as two in a row anyway.
 */
export const HEIC_DECODES_AT_ONCE = 1;
let decodesRunning = 0;
const decodesWaiting: Array<() => void> = [];

/** Runs `decode` when a slot is free; a finishing decode hands its slot straight to the next one waiting. */
async function inDecodeSlot<T>(decode: () => Promise<T>): Promise<T> {
  if (decodesRunning < HEIC_DECODES_AT_ONCE) decodesRunning += 1;
  else await new Promise<void>((resolve) => decodesWaiting.push(resolve));
  try {
    return await decode();
  } finally {
    const next = decodesWaiting.shift();
    if (next === undefined) decodesRunning -= 1;
    else next();
  }
}

/** Decodes running and waiting in this process (tests and diagnostics). */
export function heicDecodeSlots(): { running: number; waiting: number } {
  return { running: decodesRunning, waiting: decodesWaiting.length };
}

let compiled: Promise<{ module: WasmModule; libheifPath: string }> | undefined;

/** libheif's WebAssembly, compiled once per process (~1.4 MB) and shared with every decode's worker. */
function libheifModule(): Promise<{ module: WasmModule; libheifPath: string }> {
  compiled ??= (async () => {
    const libheifPath = require.resolve('libheif-js/libheif-wasm/libheif.js');
    const wasm = await readFile(path.join(path.dirname(libheifPath), 'libheif.wasm'));
    return { module: await webAssembly().compile(wasm), libheifPath };
  })();
  compiled.catch(() => {
    compiled = undefined; // a failed read is retried by the next decode
  });
  return compiled;
}

/** What a failure reports of the source: its format (the container's size is in the caller's header). */
const HEIC = { format: 'HEIC' } as const;

const WORKER_SOURCE = `(${String(heicWorkerMain)})()`;

/** Emscripten's messages when the WebAssembly heap cannot grow: the process is short of memory (transient). */
function isHeapExhaustion(message: string): boolean {
  return /\bOOM\b|enlarge memory|out of memory|allocation failed/i.test(message);
}

/** How long an answer waits for its thread to stop before it is given anyway. */
const TERMINATE_WAIT_MS = 2_000;

/** `file` when the thread may take it over (a copy of our own, alone in its ArrayBuffer), else nothing. */
function movable(file: Buffer, source: Buffer): ArrayBuffer[] {
  const owned = file !== source && file.byteOffset === 0 && file.byteLength === file.buffer.byteLength;
  return owned && file.buffer instanceof ArrayBuffer ? [file.buffer] : [];
}

/** `transfer`: ArrayBuffers of `input` moved to the thread instead of copied (they are unusable here after). */
function runWorker(
  input: HeicWorkerInput,
  timeoutMs: number,
  transfer: ArrayBuffer[] = [],
): Promise<HeicWorkerOutput | 'timeout'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // The JS heap of the worker holds only the copied pixels' wrapper objects; the WebAssembly heap is bounded
    // by the pixel budget checked before the decode, and all of it is released when the thread ends.
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: input,
      transferList: transfer,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Answer once the thread is gone, so its WebAssembly heap is released before the next decode starts;
      // a thread that takes longer than TERMINATE_WAIT_MS to stop must not hold the decode slot forever.
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        clearTimeout(fallback);
        outcome();
      };
      const fallback = setTimeout(answer, TERMINATE_WAIT_MS);
      worker.terminate().then(answer, answer);
    };
    const timer = setTimeout(() => finish(() => resolve('timeout')), timeoutMs);
    worker.once('message', (output: HeicWorkerOutput) => finish(() => resolve(output)));
    worker.once('error', (error) => finish(() => reject(error)));
    worker.once('exit', (code) =>
      finish(() => reject(new Error(`The HEIC decoder thread exited with code ${code} before answering`))),
    );
  });
}

/**
 * Decodes the primary image of a HEIC in a worker thread with libheif (WebAssembly): rotation and mirroring
 * from the container applied (by libheif, once), the clean aperture cut out of the decoded frame by the thread
 * (cleanAperture.ts) before any shrink, alpha kept when the container declares it. The caller
 * must have checked `primary` against the pixel budget: this allocates its pixels.
 *
 * Outcomes: libheif errors are `corrupt-image` (facts about the file); a thread that cannot be started or a
 * heap that cannot grow throws `ImageResourceError`, a decode over its time budget `DecodeTimeoutError` (both
 * transient, retried by Durable).
 */
export async function decodeHeic(
  source: Buffer,
  primary: HeifPrimaryImage,
  options: HeicDecodeOptions,
): Promise<HeicDecodeResult> {
  const channels = primary.hasAlpha ? 4 : 3;
  const shrink = options.shrinkFor === undefined ? 1 : heicShrink(primary, options.shrinkFor);
  const width = Math.ceil(primary.width / shrink);
  const height = Math.ceil(primary.height / shrink);
  // An ICC profile wins (as in libheif and browsers); an nclx box alone is turned into the matching profile.
  const icc = primary.icc ?? (primary.nclx === undefined ? undefined : iccProfileForNclx(primary.nclx));
  const layout: RawTiffLayout = {
    width,
    height,
    channels,
    ...(icc === undefined ? {} : { icc }),
  };
  const headerLength = rawTiffHeaderLength(layout);
  const { module, libheifPath } = await libheifModule();
  const timeoutMs = options.timeoutMs ?? heicDecodeTimeoutMs(primary.decode);
  // With a clean aperture, libheif decodes the whole frame (its own crop is broken: cleanAperture.ts) and the
  // thread copies the aperture out of it, shrinking blocks counted from the aperture's own corner, so the
  // pixels are exactly those of the cropped image box-shrunk (as heif-convert's output would be).
  const aperture = primary.cleanAperture;
  const frame =
    aperture === undefined
      ? { width: primary.width, height: primary.height }
      : { width: aperture.frameWidth, height: aperture.frameHeight };
  const region = {
    left: aperture?.left ?? 0,
    top: aperture?.top ?? 0,
    width: primary.width,
    height: primary.height,
  };
  let output: HeicWorkerOutput | 'timeout';
  try {
    output = await inDecodeSlot(() => {
      // With a clean aperture the thread reads our own copy of the file (`clap` renamed): it is moved there,
      // not cloned, so the decode does not hold the file three times.
      const file = aperture === undefined ? source : withoutCleanAperture(source);
      return runWorker(
        {
          libheifPath,
          module,
          source: file,
          channels,
          headerLength,
          maxPixels: options.maxPixels,
          frame,
          region,
          shrink,
        },
        timeoutMs,
        movable(file, source),
      );
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    if (
      code === 'ERR_WORKER_OUT_OF_MEMORY' ||
      code === 'ERR_WORKER_INIT_FAILED' ||
      isHeapExhaustion(message)
    ) {
      throw new ImageResourceError(`The HEIC decoder ran out of memory or threads (transient): ${message}`);
    }
    return failure('corrupt-image', `The HEIC could not be decoded: ${message}`, HEIC);
  }
  if (output === 'timeout') {
    // Wall clock, so a loaded worker can overrun it with a valid photo: transient (Durable retries, then the
    // re-drive rounds), which still ends a real hang after a bounded number of bounded attempts.
    throw new DecodeTimeoutError(`The HEIC decode did not finish within ${timeoutMs} ms and was stopped`);
  }
  if (!output.ok && output.decodedSize !== undefined) {
    const { width: decodedWidth, height: decodedHeight } = output.decodedSize;
    return failure(
      'corrupt-image',
      `The HEIC decoded to ${decodedWidth}x${decodedHeight} but its container declares ${frame.width}x${frame.height}`,
      HEIC,
    );
  }
  if (!output.ok) {
    const message = output.message.trim();
    if (isHeapExhaustion(message)) {
      throw new ImageResourceError(`The HEIC decoder ran out of memory (transient): ${message}`);
    }
    return failure('corrupt-image', `The HEIC could not be decoded: ${message}`, HEIC);
  }
  if (output.width !== width || output.height !== height) {
    throw new Error(
      `The HEIC decoder thread copied ${output.width}x${output.height}, not ${width}x${height}`,
    );
  }
  const tiff = Buffer.from(output.buffer);
  writeRawTiffHeader(tiff, layout);
  return {
    ok: true,
    decoded: {
      tiff,
      width,
      height,
      shrink,
      channels,
      heapBytes: output.heapBytes,
      decodingWarnings: output.decodingWarnings,
    },
  };
}
