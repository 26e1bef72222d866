/**
 * Bytes that stand between two header segments of a JPEG, where a marker belongs. libjpeg skips them with the
 * warning "Corrupt JPEG data: N extraneous bytes before marker 0xXX" (JWRN_EXTRANEOUS_DATA): phone and editor
 * JPEGs often carry them (an APPn segment whose declared length is shorter than what was written). They carry
 * no pixels, so dropping them changes nothing the decoder would produce and lets the decode run with
 * `failOn: 'warning'`, where every remaining libjpeg warning really means damaged pixel data.
 */

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

/** Markers without a length field (ITU T.81 B.1.1.4: SOI, EOI, RSTm, TEM). */
function isStandalone(marker: number): boolean {
  return marker === SOI || marker === EOI || marker === TEM || (marker >= 0xd0 && marker <= 0xd7);
}

/** Index of the next `FF xx` with xx a marker code (not 00 stuffing, not FF fill), at or after `from`. */
function nextMarker(data: Buffer, from: number): number {
  for (let index = from; index + 1 < data.length; index++) {
    if (data[index] === 0xff) {
      const code = data[index + 1];
      if (code !== 0x00 && code !== 0xff) return index;
    }
  }
  return -1;
}

/**
 * The JPEG with every run of extraneous bytes between header segments (from SOI up to the first SOS) removed,
 * or the same buffer when there are none. Anything it cannot walk (not starting with SOI, a length running
 * past the end, no SOS) is returned unchanged: the decoder then reports the damage itself.
 * Bytes after the first start-of-scan are never touched: inside entropy-coded data they are pixels.
 */
export function withoutHeaderJunk(jpeg: Buffer): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) return jpeg;
  const kept: Buffer[] = [];
  let keptFrom = 0;
  let position = 2;
  let removed = false;
  while (position + 1 < jpeg.length) {
    if (jpeg[position] !== 0xff) {
      // Not a marker where one belongs: the run up to the next marker is what libjpeg would skip.
      const marker = nextMarker(jpeg, position);
      if (marker < 0) return jpeg;
      kept.push(jpeg.subarray(keptFrom, position));
      keptFrom = marker;
      position = marker;
      removed = true;
      continue;
    }
    const code = jpeg[position + 1] ?? 0;
    if (code === 0xff) {
      position += 1; // fill byte before a marker: legal (T.81 B.1.1.2)
      continue;
    }
    if (code === SOS || code === EOI) break;
    if (isStandalone(code)) {
      position += 2;
      continue;
    }
    if (position + 3 >= jpeg.length) return jpeg;
    const length = jpeg.readUInt16BE(position + 2);
    if (length < 2 || position + 2 + length > jpeg.length) return jpeg;
    position += 2 + length;
  }
  if (position + 1 >= jpeg.length) return jpeg;
  if (!removed) return jpeg;
  kept.push(jpeg.subarray(keptFrom));
  return Buffer.concat(kept);
}
