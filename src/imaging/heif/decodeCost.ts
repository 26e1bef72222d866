/**
 * What one HEIC decode costs, from the container alone (`HeifDecodeWork`, decodeWork.ts): the memory its
 * admission reserves and the wall-clock time it is given. Both grow with the decoded pixels AND with the coded
 * bytes: a high-bitrate file holds more and decodes slower than a low-bitrate one of the same size.
 */
import { HEIC_DECODE_BYTES_PER_PIXEL } from '../decodeAdmission';
import type { HeifDecodeWork } from './decodeWork';

/**
 * Bytes a decode holds per byte of coded data: the source Buffer, the thread's copy of it, libheif-js' and
 * libheif's copies in the WebAssembly heap, and the item data handed to libde265. Measured as the growth of a
 * worker's peak RSS between the same 6-MP picture coded in 46 KB and in 8.56 MB (`heif-enc -q 10` / `-q 98`,
 * `node dist/bench/memory/worker.js <file> large 1280 1280`): 137 → 211 MiB, 9.05 bytes per coded byte
 * (the WebAssembly heap alone: 43 → 71 MB, `node dist/bench/heicDecode.js <file>`); docs/imaging.md, Limits.
 */
export const HEIC_DECODE_BYTES_PER_CODED_BYTE = 9;

/** Bytes the decode admission reserves for one HEIC decode: its decoded pixels and its coded bytes. */
export function heicDecodeBytes(work: Pick<HeifDecodeWork, 'pixels' | 'codedBytes'>): number {
  return work.pixels * HEIC_DECODE_BYTES_PER_PIXEL + work.codedBytes * HEIC_DECODE_BYTES_PER_CODED_BYTE;
}

/**
 * Wall-clock budget of one decode: 20 s for start-up, 1 s per megapixel coded (tiles and alpha planes
 * included) and 3 s per MB of coded data. libheif/libde265 in WebAssembly spend about 33 ms of CPU per
 * megapixel and 90 ms per MB of coded data here (`node dist/bench/heicDecode.js`: 6 MP in 46 KB 0.20 s,
 * in 8.56 MB 0.96 s), so each allowance is ~30x the CPU it covers: room for a loaded worker (a 12-MP 10.8-MB
 * file took 23.4 s at load 10 against the 66 s this gives). A decode still running after it is stuck on a
 * hostile file, not slow.
 */
export function heicDecodeTimeoutMs(work: Pick<HeifDecodeWork, 'codedPixels' | 'codedBytes'>): number {
  return 20_000 + Math.ceil(work.codedPixels / 1e6) * 1_000 + Math.ceil(work.codedBytes / 1e6) * 3_000;
}
