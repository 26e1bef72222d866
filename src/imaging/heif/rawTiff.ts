/**
 * An uncompressed baseline TIFF (TIFF 6.0) around 8-bit interleaved RGB(A) pixels, with an optional ICC
 * profile (tag 34675). It is how decoded HEIC pixels reach sharp: raw input cannot carry a profile, a TIFF can,
 * and libvips then converts Display P3 (or any profile) to sRGB exactly as for every other source. The header
 * is written in front of pixels the decoder already placed at `headerLength`, so nothing is copied.
 */

export interface RawTiffLayout {
  width: number;
  height: number;
  channels: 3 | 4;
  icc?: Buffer;
}

/** Rows per strip: small strips let libvips read the image top to bottom without one huge strip buffer. */
const ROWS_PER_STRIP = 16;

const SHORT = 3;
const LONG = 4;
const UNDEFINED = 7;

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Inline value, or the offset of `data` once placed. */
  value?: number;
  data?: Buffer;
}

function shorts(values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 2);
  values.forEach((value, index) => buffer.writeUInt16LE(value, index * 2));
  return buffer;
}

function longs(values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => buffer.writeUInt32LE(value, index * 4));
  return buffer;
}

function entries(layout: RawTiffLayout, pixelOffset: number): Entry[] {
  const { width, height, channels, icc } = layout;
  const rowBytes = width * channels;
  const strips = Math.ceil(height / ROWS_PER_STRIP);
  const stripOffsets: number[] = [];
  const stripCounts: number[] = [];
  for (let strip = 0; strip < strips; strip += 1) {
    const rows = Math.min(ROWS_PER_STRIP, height - strip * ROWS_PER_STRIP);
    stripOffsets.push(pixelOffset + strip * ROWS_PER_STRIP * rowBytes);
    stripCounts.push(rows * rowBytes);
  }
  const list: Entry[] = [
    { tag: 256, type: LONG, count: 1, value: width },
    { tag: 257, type: LONG, count: 1, value: height },
    { tag: 258, type: SHORT, count: channels, data: shorts(new Array<number>(channels).fill(8)) },
    { tag: 259, type: SHORT, count: 1, value: 1 }, // no compression
    { tag: 262, type: SHORT, count: 1, value: 2 }, // RGB
    strips === 1
      ? { tag: 273, type: LONG, count: 1, value: stripOffsets[0] ?? pixelOffset }
      : { tag: 273, type: LONG, count: strips, data: longs(stripOffsets) },
    { tag: 277, type: SHORT, count: 1, value: channels },
    { tag: 278, type: LONG, count: 1, value: ROWS_PER_STRIP },
    strips === 1
      ? { tag: 279, type: LONG, count: 1, value: stripCounts[0] ?? 0 }
      : { tag: 279, type: LONG, count: strips, data: longs(stripCounts) },
    { tag: 284, type: SHORT, count: 1, value: 1 }, // interleaved
  ];
  if (channels === 4) list.push({ tag: 338, type: SHORT, count: 1, value: 2 }); // unassociated alpha
  if (icc !== undefined) list.push({ tag: 34675, type: UNDEFINED, count: icc.length, data: icc });
  return list;
}

/** Bytes before the pixels; the same for the same layout, so a caller can size the buffer first. */
export function rawTiffHeaderLength(layout: RawTiffLayout): number {
  return writeHeader(layout, undefined);
}

/** Writes the header into `buffer[0, rawTiffHeaderLength(layout))`; the pixels follow it. */
export function writeRawTiffHeader(buffer: Buffer, layout: RawTiffLayout): void {
  writeHeader(layout, buffer);
}

function writeHeader(layout: RawTiffLayout, target: Buffer | undefined): number {
  // The entry count does not depend on the pixel offset, so lay out once with 0 to learn the size.
  const count = entries(layout, 0).length;
  const ifdEnd = 8 + 2 + count * 12 + 4;
  const dataSize = entries(layout, 0).reduce(
    (sum, entry) => sum + (entry.data ? entry.data.length + (entry.data.length % 2) : 0),
    0,
  );
  const headerLength = ifdEnd + dataSize;
  if (target === undefined) return headerLength;

  target.write('II', 0, 'latin1');
  target.writeUInt16LE(42, 2);
  target.writeUInt32LE(8, 4);
  target.writeUInt16LE(count, 8);
  let dataAt = ifdEnd;
  entries(layout, headerLength).forEach((entry, index) => {
    const at = 10 + index * 12;
    target.writeUInt16LE(entry.tag, at);
    target.writeUInt16LE(entry.type, at + 2);
    target.writeUInt32LE(entry.count, at + 4);
    if (entry.data !== undefined) {
      target.writeUInt32LE(dataAt, at + 8);
      entry.data.copy(target, dataAt);
      dataAt += entry.data.length + (entry.data.length % 2); // values start on a word boundary
    } else if (entry.type === SHORT) {
      target.writeUInt16LE(entry.value ?? 0, at + 8);
      target.writeUInt16LE(0, at + 10);
    } else {
      target.writeUInt32LE(entry.value ?? 0, at + 8);
    }
  });
  target.writeUInt32LE(0, 10 + count * 12); // no next IFD
  return headerLength;
}
