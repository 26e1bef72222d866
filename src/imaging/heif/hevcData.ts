/**
 * A structural check of the HEVC data of a HEIC's primary image (or of its grid tiles), before any decoder
 * runs. libde265 decodes damaged CABAC data without complaint: a file whose last 40 % is zeroed, or a grid
 * with one zeroed tile, decodes "successfully" to flat green blocks, even with libheif's `strict_decoding`.
 * HEVC itself gives the rule that catches them: an item's data is a sequence of NAL units, each prefixed with
 * its length (`lengthSizeMinusOne + 1` bytes, from `hvcC`), and inside a NAL unit the byte sequences
 * 00 00 00, 00 00 01 and 00 00 02 never occur (emulation prevention, ITU-T H.265 §7.4.2). A run of zeroed
 * bytes therefore breaks either a length or that rule. Bit flips inside the entropy-coded data break neither
 * and HEIF carries no checksum, so they stay undetectable here (as in every HEVC decoder).
 */
import { BoxReader, HeifFormatError, itemData, itemProperties, type HeifContainer } from './container';

/** An item's coded data is at most the file itself; this only guards the concatenation. */
const MAX_ITEM_BYTES = 512 * 1024 * 1024;
const FORBIDDEN = [Buffer.from([0, 0, 0]), Buffer.from([0, 0, 1]), Buffer.from([0, 0, 2])];

/** NAL unit length prefix size of an `hvc1` item, from its `hvcC` (byte 21, low two bits, plus one). */
function lengthSizeOf(container: HeifContainer, itemId: number): number {
  const item = container.items.get(itemId);
  const hvcC = item && itemProperties(container, item).find((box) => box.type === 'hvcC');
  if (hvcC === undefined) throw new HeifFormatError(`HEVC item ${itemId} has no 'hvcC' configuration`);
  // Byte 21 of the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1).
  const reader = new BoxReader(container.bytes, Math.min(hvcC.body + 21, hvcC.end), hvcC.end);
  const size = (reader.u8('hvcC lengthSizeMinusOne') & 3) + 1;
  if (size === 3) throw new HeifFormatError(`HEVC item ${itemId} declares 3-byte NAL lengths`);
  return size;
}

/** Throws `HeifFormatError` when `data` is not a sequence of well-formed length-prefixed NAL units. */
export function checkNalUnits(data: Buffer, lengthSize: number, itemId: number): void {
  let at = 0;
  let slices = 0;
  while (at < data.length) {
    if (at + lengthSize > data.length)
      throw new HeifFormatError(`HEVC item ${itemId}: a NAL unit length is cut off at byte ${at}`);
    const length = data.readUIntBE(at, lengthSize);
    at += lengthSize;
    if (length < 2 || at + length > data.length) {
      throw new HeifFormatError(
        `HEVC item ${itemId}: a NAL unit of ${length} bytes at byte ${at} does not fit its ${data.length} bytes`,
      );
    }
    const nal = data.subarray(at, at + length);
    const header = nal.readUInt16BE(0);
    // forbidden_zero_bit must be 0 and nuh_temporal_id_plus1 must not be 0 (H.265 §7.4.2.2).
    if ((header & 0x8000) !== 0 || (header & 0x7) === 0)
      throw new HeifFormatError(`HEVC item ${itemId}: invalid NAL unit header at byte ${at}`);
    if (FORBIDDEN.some((pattern) => nal.includes(pattern))) {
      throw new HeifFormatError(
        `HEVC item ${itemId}: the NAL unit at byte ${at} contains a run of zero bytes (damaged data)`,
      );
    }
    if (header >>> 9 < 32) slices += 1; // VCL NAL unit types 0-31 carry the picture
    at += length;
  }
  if (slices === 0) throw new HeifFormatError(`HEVC item ${itemId} holds no coded picture`);
}

/** The coded items behind the primary image: itself when it is `hvc1`, its `dimg` inputs for a grid/iden. */
function codedItems(container: HeifContainer, primaryId: number): number[] {
  const primary = container.items.get(primaryId);
  if (primary?.type === 'hvc1') return [primaryId];
  return container.references
    .filter((ref) => ref.type === 'dimg' && ref.from === primaryId)
    .flatMap((ref) => ref.to)
    .filter((id) => container.items.get(id)?.type === 'hvc1');
}

/** Checks every coded item of the primary image; throws `HeifFormatError` on the first damaged one. */
export function checkHevcData(container: HeifContainer, primaryId: number): void {
  for (const id of codedItems(container, primaryId)) {
    const item = container.items.get(id);
    if (item === undefined) continue;
    const data = itemData(container, item, MAX_ITEM_BYTES);
    if (data === undefined) throw new HeifFormatError(`The data of HEVC item ${id} is not all in the file`);
    checkNalUnits(data, lengthSizeOf(container, id), id);
  }
}
