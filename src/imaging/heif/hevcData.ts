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

/**
 * Checks the coded HEVC items libheif decodes for the primary image (`itemIds`: its tiles and alpha planes,
 * `HeifDecodeWork.images`; by default the primary or its `dimg` inputs); throws `HeifFormatError` on the first
 * damaged one.
 */
export function checkHevcData(
  container: HeifContainer,
  primaryId: number,
  itemIds: readonly number[] = codedItems(container, primaryId),
): void {
  for (const id of itemIds) {
    if (container.items.get(id)?.type !== 'hvc1') continue;
    const item = container.items.get(id);
    if (item === undefined) continue;
    const data = itemData(container, item, MAX_ITEM_BYTES);
    if (data === undefined) throw new HeifFormatError(`The data of HEVC item ${id} is not all in the file`);
    checkNalUnits(data, lengthSizeOf(container, id), id);
  }
}

/** An RBSP bit reader (emulation prevention bytes already removed), bounded by its bytes. */
class BitReader {
  private bit = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly itemId: number,
  ) {}

  u(count: number): number {
    let value = 0;
    for (let index = 0; index < count; index += 1) {
      const byte = this.bytes[this.bit >>> 3];
      if (byte === undefined)
        throw new HeifFormatError(`HEVC item ${this.itemId}: the sequence parameter set is cut short`);
      value = value * 2 + ((byte >>> (7 - (this.bit & 7))) & 1);
      this.bit += 1;
    }
    return value;
  }

  /** Exp-Golomb ue(v) (H.265 §9.2), at most 32 leading zeros. */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros += 1;
      if (zeros > 31)
        throw new HeifFormatError(`HEVC item ${this.itemId}: an invalid code in the sequence parameter set`);
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }
}

/** The RBSP of a NAL unit: its 2-byte header dropped and every 00 00 03 turned back into 00 00. */
function rbspOf(nal: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (let at = 2; at < nal.length; at += 1) {
    const byte = nal[at] ?? 0;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out.push(byte);
  }
  return Buffer.from(out);
}

/** The SPS's first fields are within this many bytes (a profile_tier_level of 7 sub-layers is 12 + 2 + 84). */
const SPS_PREFIX_BYTES = 128;

/**
 * `pic_width_in_luma_samples` x `pic_height_in_luma_samples` of a sequence parameter set NAL unit (type 33):
 * the size libde265 allocates and decodes, whatever `ispe` says (ITU-T H.265 §7.3.2.2, §7.3.3).
 */
export function spsPictureSize(nal: Buffer, itemId: number): { width: number; height: number } {
  const bits = new BitReader(rbspOf(nal.subarray(0, SPS_PREFIX_BYTES)), itemId);
  bits.u(4); // sps_video_parameter_set_id
  const subLayersMinus1 = bits.u(3);
  bits.u(1); // sps_temporal_id_nesting_flag
  // profile_tier_level(1, sps_max_sub_layers_minus1): 88 bits of general profile, 8 of general level.
  bits.u(32);
  bits.u(32);
  bits.u(32);
  const present: Array<{ profile: number; level: number }> = [];
  for (let layer = 0; layer < subLayersMinus1; layer += 1)
    present.push({ profile: bits.u(1), level: bits.u(1) });
  if (subLayersMinus1 > 0) for (let layer = subLayersMinus1; layer < 8; layer += 1) bits.u(2);
  for (const { profile, level } of present) {
    if (profile === 1) {
      bits.u(32);
      bits.u(32);
      bits.u(24);
    }
    if (level === 1) bits.u(8);
  }
  bits.ue(); // sps_seq_parameter_set_id
  if (bits.ue() === 3) bits.u(1); // chroma_format_idc 4:4:4: separate_colour_plane_flag
  return { width: bits.ue(), height: bits.ue() };
}

const SPS_NAL_TYPE = 33;

/**
 * The largest picture any sequence parameter set of an `hvc1` item codes, from its `hvcC` arrays and the NAL
 * units of its data (libheif hands the decoder both); undefined when it carries none. Throws `HeifFormatError`
 * when the configuration or an SPS cannot be read.
 */
export function codedPictureSize(
  container: HeifContainer,
  itemId: number,
): { width: number; height: number } | undefined {
  const item = container.items.get(itemId);
  const hvcC = item && itemProperties(container, item).find((box) => box.type === 'hvcC');
  if (item === undefined || hvcC === undefined)
    throw new HeifFormatError(`HEVC item ${itemId} has no 'hvcC' configuration`);
  const nals: Buffer[] = [];
  // HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1): 22 bytes, numOfArrays, then the arrays.
  const reader = new BoxReader(container.bytes, Math.min(hvcC.body + 22, hvcC.end), hvcC.end);
  const arrays = reader.u8('hvcC numOfArrays');
  for (let array = 0; array < arrays; array += 1) {
    const type = reader.u8('hvcC NAL_unit_type') & 0x3f;
    const count = reader.u16('hvcC numNalus');
    for (let index = 0; index < count; index += 1) {
      const length = reader.u16('hvcC nalUnitLength');
      if (reader.at + length > reader.end)
        throw new HeifFormatError(`HEVC item ${itemId}: an 'hvcC' NAL unit runs past its box`);
      if (type === SPS_NAL_TYPE) nals.push(container.bytes.subarray(reader.at, reader.at + length));
      reader.at += length;
    }
  }
  const data = itemData(container, item, MAX_ITEM_BYTES);
  if (data !== undefined) {
    const lengthSize = lengthSizeOf(container, itemId);
    for (let at = 0; at + lengthSize <= data.length;) {
      const length = data.readUIntBE(at, lengthSize);
      at += lengthSize;
      if (length < 2 || at + length > data.length) break; // checkHevcData reports it
      if (data.readUInt16BE(at) >>> 9 === SPS_NAL_TYPE) nals.push(data.subarray(at, at + length));
      at += length;
    }
  }
  let size: { width: number; height: number } | undefined;
  for (const nal of nals) {
    const sps = spsPictureSize(nal, itemId);
    size = { width: Math.max(size?.width ?? 0, sps.width), height: Math.max(size?.height ?? 0, sps.height) };
  }
  return size;
}
