import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DecodeTimeoutError, ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import { heicWorkerMain, type HeicWorkerInput, type HeicWorkerOutput } from './heicWorker';
import type { HeifPrimaryImage } from './primaryImage';
import { rawTiffHeaderLength, writeRawTiffHeader, type RawTiffLayout } from './rawTiff';
import { webAssembly, type WasmModule } from './webAssembly';

/**
 * Wall-clock budget of one decode: a floor for start-up plus a per-megapixel allowance. libheif/libde265 in
 * WebAssembly decode about 8 MP per second of CPU here (`npm run bench`), so this is ~10x headroom for a
 * loaded worker; a decode still running after it is stuck on a hostile file, not slow.
 */
export function heicDecodeTimeoutMs(pixels: number): number {
  return 20_000 + Math.ceil(pixels / 1e6) * 1_000;
}

export interface DecodedHeic {
  /** An uncompressed TIFF of the oriented 8-bit RGB(A) pixels, with the file's ICC profile (see rawTiff.ts). */
  tiff: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  /** Size of the WebAssembly heap when the decode finished: the decoder's peak memory, released with the worker. */
  heapBytes: number;
}

export type HeicDecodeResult = { ok: true; decoded: DecodedHeic } | Failure;

export interface HeicDecodeOptions {
  maxPixels: number;
  /** Overrides `heicDecodeTimeoutMs` (tests). */
  timeoutMs?: number;
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

function runWorker(input: HeicWorkerInput, timeoutMs: number): Promise<HeicWorkerOutput | 'timeout'> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // The JS heap of the worker holds only the copied pixels' wrapper objects; the WebAssembly heap is bounded
    // by the pixel budget checked before the decode, and all of it is released when the thread ends.
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
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
 * Decodes the primary image of a HEIC in a worker thread with libheif (WebAssembly): rotation, mirroring and
 * crop from the container applied (by libheif, once), alpha kept when the container declares it. The caller
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
  const layout: RawTiffLayout = {
    width: primary.width,
    height: primary.height,
    channels,
    ...(primary.icc === undefined ? {} : { icc: primary.icc }),
  };
  const headerLength = rawTiffHeaderLength(layout);
  const { module, libheifPath } = await libheifModule();
  const timeoutMs = options.timeoutMs ?? heicDecodeTimeoutMs(primary.storedWidth * primary.storedHeight);
  let output: HeicWorkerOutput | 'timeout';
  try {
    output = await runWorker(
      { libheifPath, module, source, channels, headerLength, maxPixels: options.maxPixels },
      timeoutMs,
    );
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
  if (!output.ok) {
    const message = output.message.trim();
    if (isHeapExhaustion(message)) {
      throw new ImageResourceError(`The HEIC decoder ran out of memory (transient): ${message}`);
    }
    return failure('corrupt-image', `The HEIC could not be decoded: ${message}`, HEIC);
  }
  if (output.width !== primary.width || output.height !== primary.height) {
    return failure(
      'corrupt-image',
      `The HEIC decoded to ${output.width}x${output.height} but its container declares ${primary.width}x${primary.height}`,
      HEIC,
    );
  }
  const tiff = Buffer.from(output.buffer);
  writeRawTiffHeader(tiff, layout);
  return {
    ok: true,
    decoded: { tiff, width: output.width, height: output.height, channels, heapBytes: output.heapBytes },
  };
}
