import { BoxReader, HeifFormatError, itemProperties, type HeifContainer, type HeifItem } from './container';
import { alphaPlaneIds, describeDecodeWork, readGrid, readIspe, type HeifDecodeWork } from './decodeWork';

/** How the primary image's pixels are coded: HEVC is "HEIC", AV1 is "AVIF". */
export type HeifCodec = 'hevc' | 'av1' | 'other';

/** A `colr` box of type `nclx`: code points of ITU-T H.273. */
export interface NclxColour {
  primaries: number;
  transfer: number;
  matrix: number;
  fullRange: boolean;
}

export interface HeifGrid {
  rows: number;
  columns: number;
  tileWidth: number;
  tileHeight: number;
}

/** What the container says about the image a viewer shows (the primary item), before any pixel is decoded. */
export interface HeifPrimaryImage {
  itemId: number;
  /** Item type of the primary item: `hvc1`, `av01`, `grid`, `iden`... */
  itemType: string;
  /** Coding of the pixels (of the tiles, for a grid). */
  codec: HeifCodec;
  /** Size of the decoded image before rotation and crop: `ispe`, or the grid's output size. */
  storedWidth: number;
  storedHeight: number;
  /** Size as displayed, after the clean aperture (`clap`) and rotation (`irot`); mirroring (`imir`) keeps it. */
  width: number;
  height: number;
  /** `irot`: anticlockwise degrees. */
  rotation: 0 | 90 | 180 | 270;
  /** `imir` axis: 0 = vertical axis (left and right swap), 1 = horizontal axis (top and bottom swap). */
  mirrorAxis?: 0 | 1;
  /**
   * `clap`: the displayed rectangle (`width` x `height` above) within the image decoded WITHOUT the clean
   * aperture but with `irot`/`imir` applied (`frameWidth` x `frameHeight`), in its pixels. The decoder is
   * handed a copy without `clap` (see cleanAperture.ts) and the crop is made afterwards.
   */
  cleanAperture?: CleanAperture;
  grid?: HeifGrid;
  /** An alpha plane is attached (an `auxl` item of alpha type). */
  hasAlpha: boolean;
  /**
   * Every image the decode of an HEVC primary decodes (tiles, alpha planes) and its coded bytes (decodeWork.ts):
   * what the pixel limit, the decode admission and the timeout count. For other codecs, the stored size alone.
   */
  decode: HeifDecodeWork;
  /** The ICC profile of a `colr` box of type `prof`/`rICC` (Display P3 on iPhones). */
  icc?: Buffer;
  nclx?: NclxColour;
}

/** Item types whose pixels are derived from other items (`dimg` inputs) rather than coded. */
const DERIVED_TYPES = new Set(['grid', 'iden', 'iovl']);

/** A grid of more tiles than this is not a photo (a 48-MP iPhone image has 192 tiles of 512x512). */
export const MAX_GRID_TILES = 4096;
const MAX_ICC_BYTES = 4 * 1024 * 1024;

function references(container: HeifContainer, type: string, from: number): number[] {
  return container.references
    .filter((ref) => ref.type === type && ref.from === from)
    .flatMap((ref) => ref.to);
}

function codecOfType(type: string | undefined): HeifCodec {
  if (type === 'hvc1') return 'hevc';
  if (type === 'av01') return 'av1';
  return 'other';
}

function readColour(container: HeifContainer, items: HeifItem[]): { icc?: Buffer; nclx?: NclxColour } {
  const colour: { icc?: Buffer; nclx?: NclxColour } = {};
  // A grid often carries no `colr` itself: its tiles do (libheif falls back to the first tile the same way).
  for (const item of items) {
    for (const box of itemProperties(container, item).filter((property) => property.type === 'colr')) {
      const reader = new BoxReader(container.bytes, box.body, box.end);
      const type = reader.fourCc('colr colour_type');
      if ((type === 'prof' || type === 'rICC') && colour.icc === undefined) {
        if (box.end - reader.at > MAX_ICC_BYTES) throw new HeifFormatError('The ICC profile is too large');
        colour.icc = Buffer.from(container.bytes.subarray(reader.at, box.end));
      } else if (type === 'nclx' && colour.nclx === undefined) {
        colour.nclx = {
          primaries: reader.u16('nclx colour_primaries'),
          transfer: reader.u16('nclx transfer_characteristics'),
          matrix: reader.u16('nclx matrix_coefficients'),
          fullRange: reader.u8('nclx full_range_flag') >>> 7 === 1,
        };
      }
    }
    if (colour.icc !== undefined || colour.nclx !== undefined) break;
  }
  return colour;
}

export interface CleanAperture {
  left: number;
  top: number;
  frameWidth: number;
  frameHeight: number;
}

/** A rectangle in a frame of `frameWidth` x `frameHeight`. */
interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** `rect` once its frame is turned `angle` degrees anticlockwise (`irot`). */
function rotateRect(rect: Rect, angle: number, frameWidth: number, frameHeight: number): Rect {
  const { left, top, width, height } = rect;
  if (angle === 90) return { left: top, top: frameWidth - left - width, width: height, height: width };
  if (angle === 180)
    return { left: frameWidth - left - width, top: frameHeight - top - height, width, height };
  if (angle === 270) return { left: frameHeight - top - height, top: left, width: height, height: width };
  return rect;
}

/** A signed rational of `clap` (ISO/IEC 23008-12 §6.5.9), its denominator checked. */
function rational(numerator: number, denominator: number, what: string): number {
  if (denominator === 0) throw new HeifFormatError(`The clean aperture's ${what} has a zero denominator`);
  return numerator / denominator;
}

/**
 * Displayed size after the transformative properties, in their association order (HEIF requires clap, then
 * irot, then imir), and where the clean aperture lies in the frame the decoder gives without it.
 */
function applyTransforms(
  container: HeifContainer,
  item: HeifItem,
  stored: { width: number; height: number },
): Pick<HeifPrimaryImage, 'width' | 'height' | 'rotation' | 'mirrorAxis' | 'cleanAperture'> {
  // The whole frame as the decoder would give it without `clap`, and the displayed rectangle within it.
  let frameWidth = stored.width;
  let frameHeight = stored.height;
  let rect: Rect = { left: 0, top: 0, width: stored.width, height: stored.height };
  let cropped = false;
  let rotation: HeifPrimaryImage['rotation'] = 0;
  let mirrorAxis: HeifPrimaryImage['mirrorAxis'];
  for (const box of itemProperties(container, item)) {
    const reader = new BoxReader(container.bytes, box.body, box.end);
    if (box.type === 'irot') {
      const angle = (reader.u8('irot angle') & 3) * 90;
      rotation = ((rotation + angle) % 360) as HeifPrimaryImage['rotation'];
      rect = rotateRect(rect, angle, frameWidth, frameHeight);
      if (angle % 180 !== 0) [frameWidth, frameHeight] = [frameHeight, frameWidth];
    } else if (box.type === 'imir') {
      mirrorAxis = (reader.u8('imir axis') & 1) as 0 | 1;
      // Axis 0 exchanges top and bottom, 1 left and right (libheif's heif_transform_mirror_direction).
      if (mirrorAxis === 0) rect = { ...rect, top: frameHeight - rect.top - rect.height };
      else rect = { ...rect, left: frameWidth - rect.left - rect.width };
    } else if (box.type === 'clap') {
      const values = Array.from({ length: 8 }, (_, index) => reader.u32(`clap field ${index}`));
      const [widthN = 0, widthD = 0, heightN = 0, heightD = 0] = values;
      // The offsets are signed: of the aperture's centre from the image's centre.
      const [offsetXN = 0, offsetXD = 0, offsetYN = 0, offsetYD = 0] = values.slice(4).map((v) => v | 0);
      const width = Math.max(1, Math.min(rect.width, Math.round(rational(widthN, widthD, 'width'))));
      const height = Math.max(1, Math.min(rect.height, Math.round(rational(heightN, heightD, 'height'))));
      const centreX = rect.left + (rect.width - 1) / 2 + rational(offsetXN, offsetXD, 'horizontal offset');
      const centreY = rect.top + (rect.height - 1) / 2 + rational(offsetYN, offsetYD, 'vertical offset');
      // Rounded to whole pixels (as libheif does) and kept inside the image.
      const left = Math.min(
        Math.max(rect.left, Math.round(centreX - (width - 1) / 2)),
        rect.left + rect.width - width,
      );
      const top = Math.min(
        Math.max(rect.top, Math.round(centreY - (height - 1) / 2)),
        rect.top + rect.height - height,
      );
      rect = { left, top, width, height };
      cropped = true;
    }
  }
  return {
    width: rect.width,
    height: rect.height,
    rotation,
    ...(mirrorAxis === undefined ? {} : { mirrorAxis }),
    ...(cropped ? { cleanAperture: { left: rect.left, top: rect.top, frameWidth, frameHeight } } : {}),
  };
}

/**
 * The primary image as the container declares it. Throws `HeifFormatError` when the primary item is missing,
 * has no size, or is a grid whose tiles cannot cover it.
 */
export function describePrimaryImage(container: HeifContainer): HeifPrimaryImage {
  const item = container.items.get(container.primaryItemId);
  if (item === undefined)
    throw new HeifFormatError(`The primary item ${container.primaryItemId} does not exist`);
  let stored = readIspe(container, item);
  let codec = codecOfType(item.type);
  let grid: HeifGrid | undefined;
  const colourSources = [item];
  if (item.type === 'grid' || item.type === 'iden') {
    const tileIds = references(container, 'dimg', item.id);
    // A derived image of derived images (or of itself) is a loop or a nesting no camera writes: a damaged
    // file, not an unsupported codec.
    const derivedInput = tileIds.find((id) => DERIVED_TYPES.has(container.items.get(id)?.type ?? ''));
    if (derivedInput !== undefined) {
      throw new HeifFormatError(
        `The ${item.type} item ${item.id} takes the derived item ${derivedInput} as an input image`,
      );
    }
    const firstTile = container.items.get(tileIds[0] ?? -1);
    if (firstTile === undefined)
      throw new HeifFormatError(`The ${item.type} item ${item.id} has no input images`);
    codec = codecOfType(firstTile.type);
    colourSources.push(firstTile);
    if (item.type === 'grid') {
      const descriptor = readGrid(container, item);
      const tiles = descriptor.rows * descriptor.columns;
      if (tiles > MAX_GRID_TILES)
        throw new HeifFormatError(`The grid has ${tiles} tiles (limit ${MAX_GRID_TILES})`);
      if (tileIds.length !== tiles) {
        throw new HeifFormatError(`The grid declares ${tiles} tiles but references ${tileIds.length}`);
      }
      const tile = readIspe(container, firstTile);
      if (tile === undefined) throw new HeifFormatError(`Grid tile ${firstTile.id} has no size`);
      if (
        tile.width * descriptor.columns < descriptor.width ||
        tile.height * descriptor.rows < descriptor.height
      ) {
        throw new HeifFormatError(
          `${descriptor.columns}x${descriptor.rows} tiles of ${tile.width}x${tile.height} cannot cover ${descriptor.width}x${descriptor.height}`,
        );
      }
      grid = {
        rows: descriptor.rows,
        columns: descriptor.columns,
        tileWidth: tile.width,
        tileHeight: tile.height,
      };
      // The descriptor is what the decoder allocates; an `ispe` that disagrees must not lower the budget.
      stored = {
        width: Math.max(descriptor.width, stored?.width ?? 0),
        height: Math.max(descriptor.height, stored?.height ?? 0),
      };
    } else {
      stored ??= readIspe(container, firstTile);
    }
  }
  if (stored === undefined || !(stored.width > 0 && stored.height > 0)) {
    throw new HeifFormatError(`The primary item ${item.id} declares no size`);
  }
  return {
    itemId: item.id,
    itemType: item.type,
    codec,
    storedWidth: stored.width,
    storedHeight: stored.height,
    ...applyTransforms(container, item, stored),
    ...(grid === undefined ? {} : { grid }),
    hasAlpha: alphaPlaneIds(container, item.id).length > 0,
    decode:
      codec === 'hevc'
        ? describeDecodeWork(container, item.id)
        : {
            images: [],
            pixels: stored.width * stored.height,
            codedPixels: stored.width * stored.height,
            codedBytes: 0,
          },
    ...readColour(container, colourSources),
  };
}
