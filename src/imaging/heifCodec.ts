/** How far into a HEIF file to look for item-info entries: the `meta` box comes first and is small. */
const SCAN_BYTES = 64 * 1024;

export type HeifCodec = 'av1' | 'hevc' | 'unknown';

/**
 * The codec of a HEIF container's coded image items, from the item types of its `infe` (item info entry)
 * boxes: `av01` is AVIF, `hvc1` is HEIC. libvips' own `compression` field cannot answer this: it is derived
 * from the ftyp brand, so a generic `mif1` file holding AV1 reports "hevc" although it decodes fine.
 * ISO/IEC 14496-12 §8.11.6: after the box type, infe v2 = version/flags(4) item_ID(2) protection_index(2)
 * item_type(4); v3 has a 4-byte item_ID.
 */
export function heifCodec(bytes: Uint8Array): HeifCodec {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SCAN_BYTES));
  const types = new Set<string>();
  for (let at = view.indexOf('infe', 4, 'latin1'); at !== -1; at = view.indexOf('infe', at + 4, 'latin1')) {
    const version = view[at + 4];
    const typeOffset = version === 2 ? at + 12 : version === 3 ? at + 14 : -1;
    if (typeOffset > 0 && typeOffset + 4 <= view.length)
      types.add(view.toString('latin1', typeOffset, typeOffset + 4));
  }
  if (types.has('av01')) return 'av1';
  if (types.has('hvc1')) return 'hevc';
  return 'unknown';
}
