/**
 * A small, bounded reader of the HEIF container (ISO/IEC 23008-12 on the ISO base media file format,
 * ISO/IEC 14496-12): the `meta` box's items, their properties and references, and where their data lies.
 * It reads boxes and tables only, never coded pixels, so limits and the codec are known before a decoder sees
 * the file. Every length is checked against its parent box; anything inconsistent is a `HeifFormatError`.
 */

/** The `meta` box of a real photo is a few KB (a 48-MP iPhone grid: ~4 KB); more than this is not a photo. */
export const MAX_META_BYTES = 1024 * 1024;
/** Top-level boxes looked at while searching for `meta` (real files have 3 or 4: ftyp, meta, mdat, maybe free). */
const MAX_TOP_LEVEL_BOXES = 64;

export class HeifFormatError extends Error {
  override readonly name = 'HeifFormatError';
}

/** A box as found in the file: `start` and `end` (exclusive) in file offsets; `body` is after the header. */
export interface Box {
  type: string;
  start: number;
  body: number;
  end: number;
}

export interface ItemExtent {
  offset: number;
  length: number;
}

export interface PropertyAssociation {
  /** Index into `HeifContainer.properties` (0-based; the file's are 1-based with 0 meaning none). */
  index: number;
  essential: boolean;
}

export interface HeifItem {
  id: number;
  /** Four-character item type: `hvc1` (HEVC), `av01` (AV1), `grid`, `iden`, `Exif`, `mime`... */
  type: string;
  hidden: boolean;
  associations: PropertyAssociation[];
  /** 0: offsets into the file; 1: offsets into the `idat` box. */
  constructionMethod: number;
  extents: ItemExtent[];
}

export interface ItemReference {
  /** `dimg` (grid tiles), `auxl` (alpha/depth), `thmb`, `cdsc` (Exif/XMP)... */
  type: string;
  from: number;
  to: number[];
}

export interface HeifContainer {
  majorBrand: string;
  compatibleBrands: string[];
  primaryItemId: number;
  items: Map<number, HeifItem>;
  /** The boxes of `ipco`, in order. */
  properties: Box[];
  references: ItemReference[];
  /** The `idat` box, when present. */
  idat?: Box;
  /** The whole file, for reading property and item bytes. */
  bytes: Buffer;
}

function fourCc(bytes: Buffer, at: number): string {
  return bytes.toString('latin1', at, at + 4);
}

/** A cursor over one box's body that refuses to read past the box. */
export class BoxReader {
  constructor(
    readonly bytes: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  private need(count: number, what: string): void {
    if (this.at + count > this.end) {
      throw new HeifFormatError(`${what} runs past the end of its box at byte ${this.at}`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes.readUInt8(this.at++);
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  /** An unsigned integer of 0, 2, 4 or 8 bytes (the sizes `iloc` fields may have). */
  uint(size: number, what: string): number {
    switch (size) {
      case 0:
        return 0;
      case 2:
        return this.u16(what);
      case 4:
        return this.u32(what);
      case 8: {
        this.need(8, what);
        const value = this.bytes.readBigUInt64BE(this.at);
        this.at += 8;
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeifFormatError(`${what} is out of range`);
        return Number(value);
      }
      default:
        throw new HeifFormatError(`${what} has an invalid field size of ${size} bytes`);
    }
  }

  fourCc(what: string): string {
    this.need(4, what);
    const value = fourCc(this.bytes, this.at);
    this.at += 4;
    return value;
  }

  /** `version` (8 bits) and `flags` (24 bits) of a FullBox. */
  fullBoxHeader(what: string): { version: number; flags: number } {
    const word = this.u32(what);
    return { version: word >>> 24, flags: word & 0xffffff };
  }

  /** A NUL-terminated UTF-8 string, bounded by the box. */
  cString(what: string): string {
    const nul = this.bytes.indexOf(0, this.at);
    if (nul === -1 || nul >= this.end) throw new HeifFormatError(`${what} is not NUL-terminated`);
    const value = this.bytes.toString('utf8', this.at, nul);
    this.at = nul + 1;
    return value;
  }
}

/** The box starting at `at`, which must end by `limit`. */
export function readBox(bytes: Buffer, at: number, limit: number, topLevel = false): Box {
  if (at + 8 > limit) throw new HeifFormatError(`A box header at byte ${at} runs past its parent`);
  const size32 = bytes.readUInt32BE(at);
  const type = fourCc(bytes, at + 4);
  let body = at + 8;
  let size: number;
  if (size32 === 1) {
    if (at + 16 > limit) throw new HeifFormatError(`The '${type}' box at byte ${at} is cut short`);
    const large = bytes.readBigUInt64BE(at + 8);
    if (large > BigInt(Number.MAX_SAFE_INTEGER)) throw new HeifFormatError(`The '${type}' box is too large`);
    size = Number(large);
    body = at + 16;
  } else if (size32 === 0) {
    // "Extends to the end of the file": allowed for the last top-level box only.
    if (!topLevel) throw new HeifFormatError(`The '${type}' box at byte ${at} has size 0 inside another box`);
    size = limit - at;
  } else {
    size = size32;
  }
  if (size < body - at || at + size > limit) {
    throw new HeifFormatError(
      `The '${type}' box at byte ${at} declares ${size} bytes but its parent has ${limit - at} left`,
    );
  }
  return { type, start: at, body, end: at + size };
}

/** The child boxes of a container box (or of the part of a box from `from` on). */
export function childBoxes(bytes: Buffer, from: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let at = from; at < end;) {
    const box = readBox(bytes, at, end);
    boxes.push(box);
    at = box.end;
  }
  return boxes;
}

function only(boxes: Box[], type: string): Box | undefined {
  const found = boxes.filter((box) => box.type === type);
  if (found.length > 1) throw new HeifFormatError(`More than one '${type}' box`);
  return found[0];
}

function required(boxes: Box[], type: string, parent: string): Box {
  const box = only(boxes, type);
  if (box === undefined) throw new HeifFormatError(`The '${parent}' box has no '${type}' box`);
  return box;
}

function readFtyp(bytes: Buffer, box: Box): { majorBrand: string; compatibleBrands: string[] } {
  const reader = new BoxReader(bytes, box.body, box.end);
  const majorBrand = reader.fourCc('ftyp major brand');
  reader.u32('ftyp minor version');
  const compatibleBrands: string[] = [];
  while (reader.at + 4 <= box.end) compatibleBrands.push(reader.fourCc('ftyp brand'));
  return { majorBrand, compatibleBrands };
}

function readPitm(bytes: Buffer, box: Box): number {
  const reader = new BoxReader(bytes, box.body, box.end);
  const { version } = reader.fullBoxHeader('pitm');
  return version === 0 ? reader.u16('pitm item_ID') : reader.u32('pitm item_ID');
}

function readIinf(bytes: Buffer, box: Box): Map<number, HeifItem> {
  const reader = new BoxReader(bytes, box.body, box.end);
  const { version } = reader.fullBoxHeader('iinf');
  const count = version === 0 ? reader.u16('iinf entry_count') : reader.u32('iinf entry_count');
  const entries = childBoxes(bytes, reader.at, box.end).filter((child) => child.type === 'infe');
  if (entries.length !== count) {
    throw new HeifFormatError(`The 'iinf' box declares ${count} items but holds ${entries.length}`);
  }
  const items = new Map<number, HeifItem>();
  for (const entry of entries) {
    const infe = new BoxReader(bytes, entry.body, entry.end);
    const header = infe.fullBoxHeader('infe');
    // Versions 0 and 1 predate item types (no image items); HEIF requires version 2 or 3.
    if (header.version < 2) continue;
    const id = header.version === 2 ? infe.u16('infe item_ID') : infe.u32('infe item_ID');
    infe.u16('infe item_protection_index');
    const type = infe.fourCc('infe item_type');
    if (items.has(id)) throw new HeifFormatError(`Item ${id} is declared twice`);
    items.set(id, {
      id,
      type,
      hidden: (header.flags & 1) === 1,
      associations: [],
      constructionMethod: 0,
      extents: [],
    });
  }
  return items;
}

function readIloc(bytes: Buffer, box: Box, items: Map<number, HeifItem>): void {
  const reader = new BoxReader(bytes, box.body, box.end);
  const { version } = reader.fullBoxHeader('iloc');
  if (version > 2) throw new HeifFormatError(`Unsupported 'iloc' version ${version}`);
  const sizes = reader.u16('iloc field sizes');
  const offsetSize = sizes >>> 12;
  const lengthSize = (sizes >>> 8) & 0xf;
  const baseOffsetSize = (sizes >>> 4) & 0xf;
  const indexSize = version === 0 ? 0 : sizes & 0xf;
  const count = version < 2 ? reader.u16('iloc item_count') : reader.u32('iloc item_count');
  for (let index = 0; index < count; index += 1) {
    const id = version < 2 ? reader.u16('iloc item_ID') : reader.u32('iloc item_ID');
    const constructionMethod = version === 0 ? 0 : reader.u16('iloc construction_method') & 0xf;
    reader.u16('iloc data_reference_index');
    const baseOffset = reader.uint(baseOffsetSize, 'iloc base_offset');
    const extentCount = reader.u16('iloc extent_count');
    const extents: ItemExtent[] = [];
    for (let extent = 0; extent < extentCount; extent += 1) {
      reader.uint(indexSize, 'iloc extent_index');
      const offset = baseOffset + reader.uint(offsetSize, 'iloc extent_offset');
      const length = reader.uint(lengthSize, 'iloc extent_length');
      extents.push({ offset, length });
    }
    const item = items.get(id);
    if (item !== undefined) {
      item.constructionMethod = constructionMethod;
      item.extents = extents;
    }
  }
}

function readIref(bytes: Buffer, box: Box): ItemReference[] {
  const reader = new BoxReader(bytes, box.body, box.end);
  const { version } = reader.fullBoxHeader('iref');
  const references: ItemReference[] = [];
  for (const child of childBoxes(bytes, reader.at, box.end)) {
    const entry = new BoxReader(bytes, child.body, child.end);
    const readId = (what: string) => (version === 0 ? entry.u16(what) : entry.u32(what));
    const from = readId(`iref '${child.type}' from_item_ID`);
    const count = entry.u16(`iref '${child.type}' reference_count`);
    const to: number[] = [];
    for (let index = 0; index < count; index += 1) to.push(readId(`iref '${child.type}' to_item_ID`));
    references.push({ type: child.type, from, to });
  }
  return references;
}

function readIpma(bytes: Buffer, box: Box, items: Map<number, HeifItem>, propertyCount: number): void {
  const reader = new BoxReader(bytes, box.body, box.end);
  const { version, flags } = reader.fullBoxHeader('ipma');
  const count = reader.u32('ipma entry_count');
  for (let entry = 0; entry < count; entry += 1) {
    const id = version < 1 ? reader.u16('ipma item_ID') : reader.u32('ipma item_ID');
    const associationCount = reader.u8('ipma association_count');
    const associations: PropertyAssociation[] = [];
    for (let index = 0; index < associationCount; index += 1) {
      const wide = (flags & 1) === 1;
      const value = wide ? reader.u16('ipma association') : reader.u8('ipma association');
      const essential = wide ? value >>> 15 === 1 : value >>> 7 === 1;
      const propertyIndex = wide ? value & 0x7fff : value & 0x7f;
      if (propertyIndex === 0) continue;
      if (propertyIndex > propertyCount) {
        throw new HeifFormatError(
          `Item ${id} is associated with property ${propertyIndex} of ${propertyCount}`,
        );
      }
      associations.push({ index: propertyIndex - 1, essential });
    }
    items.get(id)?.associations.push(...associations);
  }
}

/** The `meta` box among the top-level boxes (usually second, after `ftyp`; some writers put it after `mdat`). */
function findTopLevel(bytes: Buffer): { ftyp: Box; meta: Box } {
  let ftyp: Box | undefined;
  let at = 0;
  for (let count = 0; at < bytes.length && count < MAX_TOP_LEVEL_BOXES; count += 1) {
    const box = readBox(bytes, at, bytes.length, true);
    if (count === 0 && box.type !== 'ftyp') throw new HeifFormatError(`The file starts with '${box.type}'`);
    if (box.type === 'ftyp') ftyp = box;
    if (box.type === 'meta') {
      if (box.end - box.start > MAX_META_BYTES) {
        throw new HeifFormatError(`The 'meta' box is ${box.end - box.start} bytes (limit ${MAX_META_BYTES})`);
      }
      if (ftyp === undefined) throw new HeifFormatError(`No 'ftyp' box`);
      return { ftyp, meta: box };
    }
    at = box.end;
  }
  throw new HeifFormatError(`No 'meta' box`);
}

/**
 * Reads the container structure of a HEIF/AVIF file. Throws `HeifFormatError` for anything malformed:
 * boxes overrunning their parent, missing mandatory boxes, counts that disagree with contents.
 */
export function readHeifContainer(bytes: Buffer): HeifContainer {
  const { ftyp, meta } = findTopLevel(bytes);
  const metaReader = new BoxReader(bytes, meta.body, meta.end);
  metaReader.fullBoxHeader('meta');
  const metaChildren = childBoxes(bytes, metaReader.at, meta.end);
  const hdlr = required(metaChildren, 'hdlr', 'meta');
  const handler = new BoxReader(bytes, hdlr.body, hdlr.end);
  handler.fullBoxHeader('hdlr');
  handler.u32('hdlr pre_defined');
  const handlerType = handler.fourCc('hdlr handler_type');
  if (handlerType !== 'pict') throw new HeifFormatError(`The 'meta' handler is '${handlerType}', not 'pict'`);

  const items = readIinf(bytes, required(metaChildren, 'iinf', 'meta'));
  const iloc = only(metaChildren, 'iloc');
  if (iloc !== undefined) readIloc(bytes, iloc, items);
  const iref = only(metaChildren, 'iref');
  const iprp = required(metaChildren, 'iprp', 'meta');
  const iprpChildren = childBoxes(bytes, iprp.body, iprp.end);
  const ipco = required(iprpChildren, 'ipco', 'iprp');
  const properties = childBoxes(bytes, ipco.body, ipco.end);
  for (const ipma of iprpChildren.filter((box) => box.type === 'ipma')) {
    readIpma(bytes, ipma, items, properties.length);
  }
  const idat = only(metaChildren, 'idat');
  return {
    ...readFtyp(bytes, ftyp),
    primaryItemId: readPitm(bytes, required(metaChildren, 'pitm', 'meta')),
    items,
    properties,
    references: iref === undefined ? [] : readIref(bytes, iref),
    ...(idat === undefined ? {} : { idat }),
    bytes,
  };
}

/** The bytes of an item (its extents concatenated), bounded by `maxBytes`; undefined when they are not all in the file. */
export function itemData(container: HeifContainer, item: HeifItem, maxBytes: number): Buffer | undefined {
  const { bytes, idat } = container;
  const [origin, limit] =
    item.constructionMethod === 1 && idat !== undefined
      ? [idat.body, idat.end]
      : item.constructionMethod === 0
        ? [0, bytes.length]
        : [-1, -1];
  if (origin < 0) return undefined;
  let total = 0;
  const parts: Buffer[] = [];
  for (const extent of item.extents) {
    const start = origin + extent.offset;
    // Length 0 means "to the end of the data" (ISO/IEC 14496-12 §8.11.3.3).
    const end = extent.length === 0 ? limit : start + extent.length;
    if (start > end || end > limit) return undefined;
    total += end - start;
    if (total > maxBytes) throw new HeifFormatError(`Item ${item.id} is larger than ${maxBytes} bytes`);
    parts.push(bytes.subarray(start, end));
  }
  return Buffer.concat(parts);
}

/** The property boxes associated with an item, in association order. */
export function itemProperties(container: HeifContainer, item: HeifItem): Box[] {
  return item.associations.flatMap(({ index }) => {
    const box = container.properties[index];
    return box === undefined ? [] : [box];
  });
}
