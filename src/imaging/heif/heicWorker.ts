/**
 * The part of a HEIC decode that runs inside a worker thread: libheif (compiled to WebAssembly, with libde265
 * for HEVC) decodes the primary image to interleaved 8-bit RGB(A) with its `irot`/`imir` applied (and `clap`,
 * unless the caller renamed it away: see cleanAperture.ts), and the thread copies one rectangle of it (the
 * clean aperture, or the whole frame) out of the WebAssembly heap, box-shrunk when asked.
 *
 * `heicWorkerMain` is started with `new Worker(String(heicWorkerMain), { eval: true })`, so it must be
 * self-contained: no imports, no references to anything outside its own body.
 */
import type { WasmApi, WasmModule } from './webAssembly';

/** What the main thread sends (as `workerData`). */
export interface HeicWorkerInput {
  /** Absolute path of libheif-js' WebAssembly glue (`libheif-js/libheif-wasm/libheif.js`). */
  libheifPath: string;
  /** The compiled libheif WebAssembly module, compiled once per process and shared by every worker. */
  module: WasmModule;
  source: Uint8Array;
  /** 3 (RGB) or 4 (RGBA). */
  channels: 3 | 4;
  /** Bytes to leave free at the start of the pixel buffer (for the TIFF header the main thread writes). */
  headerLength: number;
  /** libheif's own limit on width x height, a second line behind the container check. */
  maxPixels: number;
  /** Size in pixels the container says libheif's (rotated, mirrored, uncropped) image has. */
  frame: { width: number; height: number };
  /**
   * The rectangle of that frame to copy out, in its pixels (the clean aperture, or the whole frame). Cropping
   * here, before any shrink, keeps the crop exact: blocks start at the rectangle's own corner.
   */
  region: { left: number; top: number; width: number; height: number };
  /**
   * Integer box-shrink factor applied while the region is copied out of the WebAssembly heap (1 = none):
   * each output pixel is the rounded mean of a `shrink` x `shrink` block counted from the region's top-left
   * corner (smaller at its right and bottom edges), so the copy is `shrink`² times smaller than the region.
   */
  shrink: number;
}

/**
 * What the worker posts back: the region's pixels (after `headerLength` bytes), libheif's error, or the size
 * libheif decoded when it is not the frame the container declares (nothing is copied then).
 */
export type HeicWorkerOutput =
  | {
      ok: true;
      width: number;
      height: number;
      buffer: ArrayBuffer;
      heapBytes: number;
      /** libheif's decoding warnings on the image (`heif_image_get_decoding_warnings`). */
      decodingWarnings: number;
    }
  | {
      ok: false;
      message: string;
      heapBytes: number;
      decodedSize?: { width: number; height: number };
    };

interface HeifError {
  code: number;
  message?: string;
}

interface DecodedChannel {
  id: number;
  stride: number;
  width: number;
  height: number;
  data: Uint8Array;
}

/** The few libheif-js calls used here (the embind API and raw C exports of its WebAssembly build). */
interface Libheif {
  ready?: Promise<unknown>;
  HEAPU8: Uint8Array;
  heif_error_code: { heif_error_Ok: number };
  heif_colorspace: { heif_colorspace_RGB: number };
  heif_chroma: { heif_chroma_interleaved_RGB: number; heif_chroma_interleaved_RGBA: number };
  heif_channel: { heif_channel_interleaved: number };
  heif_context_alloc(): number;
  heif_context_free(context: number): void;
  heif_context_set_maximum_image_size_limit(context: number, maximumWidth: number): void;
  heif_context_read_from_memory(context: number, data: Uint8Array): HeifError;
  heif_js_context_get_primary_image_handle(context: number): number | HeifError;
  heif_js_decode_image2(
    handle: number,
    colorspace: number,
    chroma: number,
  ): { image: number; width: number; height: number; channels: DecodedChannel[] } | HeifError;
  heif_image_handle_release(handle: number): void;
  heif_image_release(image: number): void;
  /** Raw C export: with `max_output_buffer_entries` 0 it returns how many warnings the image carries. */
  _heif_image_get_decoding_warnings(image: number, first: number, out: number, max: number): number;
}

/** Runs in the worker: decode, copy the pixels out of the WebAssembly heap, post them, and let the thread end. */
export function heicWorkerMain(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const input = threads.workerData as HeicWorkerInput;
  const port = threads.parentPort;
  if (port === null) return;
  let lib: Libheif | undefined;
  const heapBytes = () => lib?.HEAPU8.length ?? 0;

  function isError(value: unknown): value is HeifError {
    return typeof value === 'object' && value !== null && 'code' in value;
  }

  async function decode(): Promise<HeicWorkerOutput> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(input.libheifPath) as (options: object) => Libheif;
    lib = factory({
      // Instantiate the module compiled by the main thread instead of compiling 1.4 MB of WebAssembly again.
      instantiateWasm(imports: object, receive: (instance: object, module: WasmModule) => unknown) {
        const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
        return receive(new wasm.Instance(input.module, imports), input.module);
      },
      // libheif-js logs failures with console.log; the error is returned to the caller instead.
      print: () => undefined,
      printErr: () => undefined,
    });
    await lib.ready;
    const heif = lib;
    const context = heif.heif_context_alloc();
    try {
      // heif_context_set_maximum_image_size_limit takes a side: libheif allows side x side pixels.
      heif.heif_context_set_maximum_image_size_limit(context, Math.ceil(Math.sqrt(input.maxPixels)));
      const read = heif.heif_context_read_from_memory(context, input.source);
      if (read.code !== heif.heif_error_code.heif_error_Ok) {
        return { ok: false, message: read.message ?? `libheif error ${read.code}`, heapBytes: heapBytes() };
      }
      const handle = heif.heif_js_context_get_primary_image_handle(context);
      if (isError(handle)) {
        return {
          ok: false,
          message: handle.message ?? `libheif error ${handle.code}`,
          heapBytes: heapBytes(),
        };
      }
      try {
        const chroma =
          input.channels === 4
            ? heif.heif_chroma.heif_chroma_interleaved_RGBA
            : heif.heif_chroma.heif_chroma_interleaved_RGB;
        const decoded = heif.heif_js_decode_image2(handle, heif.heif_colorspace.heif_colorspace_RGB, chroma);
        if (isError(decoded) || !('channels' in decoded)) {
          const message = isError(decoded) ? decoded.message : undefined;
          return {
            ok: false,
            message: message ?? 'libheif could not decode the image',
            heapBytes: heapBytes(),
          };
        }
        try {
          const plane = decoded.channels.find(
            (channel) => channel.id === heif.heif_channel.heif_channel_interleaved,
          );
          if (plane === undefined)
            return { ok: false, message: 'libheif returned no pixels', heapBytes: heapBytes() };
          const { width: frameWidth, height: frameHeight, stride, data } = plane;
          if (frameWidth !== input.frame.width || frameHeight !== input.frame.height) {
            return {
              ok: false,
              message: 'libheif decoded another size than the container declares',
              heapBytes: heapBytes(),
              decodedSize: { width: frameWidth, height: frameHeight },
            };
          }
          const channels = input.channels;
          const region = input.region;
          const k = channels === 3 ? input.shrink : 1; // RGBA is never shrunk (see heicShrink)
          const width = Math.ceil(region.width / k);
          const height = Math.ceil(region.height / k);
          const rowBytes = width * channels;
          const buffer = new ArrayBuffer(input.headerLength + rowBytes * height);
          const pixels = new Uint8Array(buffer, input.headerLength);
          const leftByte = region.left * channels;
          if (k === 1) {
            for (let row = 0; row < height; row += 1) {
              const from = (region.top + row) * stride + leftByte;
              pixels.set(data.subarray(from, from + rowBytes), row * rowBytes);
            }
          } else {
            // Box shrink of RGB, one output row at a time: sum each block's rows, then divide by its size.
            const sums = new Uint32Array(rowBytes);
            for (let outRow = 0; outRow < height; outRow += 1) {
              sums.fill(0);
              const firstRow = outRow * k;
              const rows = Math.min(k, region.height - firstRow);
              for (let row = region.top + firstRow; row < region.top + firstRow + rows; row += 1) {
                const rowStart = row * stride + leftByte;
                for (let block = 0; block < width; block += 1) {
                  const from = rowStart + block * k * 3;
                  const to = rowStart + Math.min(region.width, (block + 1) * k) * 3;
                  let red = 0;
                  let green = 0;
                  let blue = 0;
                  for (let at = from; at < to; at += 3) {
                    red += data[at] ?? 0;
                    green += data[at + 1] ?? 0;
                    blue += data[at + 2] ?? 0;
                  }
                  const sum = block * 3;
                  sums[sum] = (sums[sum] ?? 0) + red;
                  sums[sum + 1] = (sums[sum + 1] ?? 0) + green;
                  sums[sum + 2] = (sums[sum + 2] ?? 0) + blue;
                }
              }
              const out = outRow * rowBytes;
              for (let block = 0; block < width; block += 1) {
                const count = rows * Math.min(k, region.width - block * k);
                for (let c = 0; c < 3; c += 1) {
                  const at = block * 3 + c;
                  pixels[out + at] = Math.round((sums[at] ?? 0) / count);
                }
              }
            }
          }
          return {
            ok: true,
            width,
            height,
            buffer,
            heapBytes: heapBytes(),
            decodingWarnings: heif._heif_image_get_decoding_warnings(decoded.image, 0, 0, 0),
          };
        } finally {
          heif.heif_image_release(decoded.image);
        }
      } finally {
        heif.heif_image_handle_release(handle);
      }
    } finally {
      heif.heif_context_free(context);
    }
  }

  decode().then(
    (output) => port.postMessage(output, output.ok ? [output.buffer] : []),
    (error: unknown) =>
      port.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        heapBytes: heapBytes(),
      } satisfies HeicWorkerOutput),
  );
}
