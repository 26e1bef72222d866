/**
 * Every image libheif decodes when it is asked for the primary image, read from the container before any
 * decoder runs, so the pixel limit, the decode admission and the timeout count all of them, not only the
 * primary's own `ispe`:
 * - the primary item, or each tile of a grid (`dimg` inputs of a `grid`/`iden`), plus a grid's canvas;
 * - its alpha plane (an `auxl` item of alpha type, itself coded or a grid), which libheif decodes with it, and
 *   the alpha planes of the tiles;
 * - for an HEVC item, the size its sequence parameter sets code (what libde265 allocates), not only `ispe`.
 *
 * An image that would make libheif decode more than its container declares is refused as a damaged file
 * (`HeifFormatError` → `corrupt-image`): an alpha plane larger than its image, a tile of another size than the
 * first, HEVC data coding a larger picture than its `ispe`.
 */
import {
  BoxReader,
  HeifFormatError,
  itemData,
  itemProperties,
  type Box,
  type HeifContainer,
  type HeifItem,
} from './container';
import { codedPictureSize } from './hevcData';

/** One coded image libheif decodes for the primary image. */
export interface DecodedImage {
  itemId: number;
  role: 'image' | 'tile' | 'alpha';
  /** The larger of its `ispe` and (HEVC) the size its sequence parameter set codes. */
  width: number;
  height: number;
}

/** What decoding the primary image costs, before any pixel is decoded. */
export interface HeifDecodeWork {
  /** The coded items libheif decodes (tiles and alpha planes included), in decode order. */
  images: DecodedImage[];
  /**
   * Pixels of the decoded images libheif returns together: the primary (a grid's canvas) plus its alpha planes.
   * What the decode admission reserves memory for (`MAX_SOURCE_PIXELS` limits the image alone).
   */
  pixels: number;
  /** Pixels of every coded image decoded (the tiles of a grid, alpha planes): the decode's work. */
  codedPixels: number;
  /** Bytes of coded data those items carry (each is copied into the decoder). */
  codedBytes: number;
}

const ALPHA_AUX_TYPES = new Set([
  'urn:mpeg:hevc:2015:auxid:1',
  'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
]);
/** The grid descriptor is 8 or 12 bytes. */
const MAX_GRID_DESCRIPTOR_BYTES = 64;
/**
 * HEVC codes whole minimum coding blocks (at most 64x64, H.265 §7.4.3.2.1) and crops the rest with its
 * conformance window, so a coded picture may exceed `ispe` by less than this on each side.
 */
const CODED_PADDING = 64;

export function propertyOf(container: HeifContainer, item: HeifItem, type: string): Box | undefined {
  return itemProperties(container, item).find((box) => box.type === type);
}

export function readIspe(
  container: HeifContainer,
  item: HeifItem,
): { width: number; height: number } | undefined {
  const box = propertyOf(container, item, 'ispe');
  if (box === undefined) return undefined;
  const reader = new BoxReader(container.bytes, box.body, box.end);
  reader.fullBoxHeader('ispe');
  return { width: reader.u32('ispe image_width'), height: reader.u32('ispe image_height') };
}

export function readGrid(
  container: HeifContainer,
  item: HeifItem,
): { width: number; height: number; rows: number; columns: number } {
  const data = itemData(container, item, MAX_GRID_DESCRIPTOR_BYTES);
  if (data === undefined)
    throw new HeifFormatError(`The grid descriptor of item ${item.id} is not in the file`);
  const reader = new BoxReader(data, 0, data.length);
  const version = reader.u8('grid version');
  if (version !== 0) throw new HeifFormatError(`Unsupported grid version ${version}`);
  const wide = (reader.u8('grid flags') & 1) === 1;
  const rows = reader.u8('grid rows_minus_one') + 1;
  const columns = reader.u8('grid columns_minus_one') + 1;
  const width = wide ? reader.u32('grid output_width') : reader.u16('grid output_width');
  const height = wide ? reader.u32('grid output_height') : reader.u16('grid output_height');
  return { width, height, rows, columns };
}

/** The alpha planes attached to `masterId`: `auxl` items whose `auxC` names an alpha type. */
export function alphaPlaneIds(container: HeifContainer, masterId: number): number[] {
  return container.references
    .filter((ref) => ref.type === 'auxl' && ref.to.includes(masterId))
    .filter((ref) => {
      const aux = container.items.get(ref.from);
      const auxC = aux && propertyOf(container, aux, 'auxC');
      if (auxC === undefined) return false;
      const reader = new BoxReader(container.bytes, auxC.body, auxC.end);
      reader.fullBoxHeader('auxC');
      return ALPHA_AUX_TYPES.has(reader.cString('auxC aux_type'));
    })
    .map((ref) => ref.from);
}

function dimgInputs(container: HeifContainer, itemId: number): number[] {
  return container.references
    .filter((ref) => ref.type === 'dimg' && ref.from === itemId)
    .flatMap((ref) => ref.to);
}

function dataBytes(item: HeifItem): number {
  return item.extents.reduce((sum, extent) => sum + extent.length, 0);
}

/** The size a coded item decodes to: its `ispe`, checked against what its HEVC data codes. */
function codedImage(container: HeifContainer, item: HeifItem, role: DecodedImage['role']): DecodedImage {
  const declared = readIspe(container, item);
  const coded = item.type === 'hvc1' ? codedPictureSize(container, item.id) : undefined;
  if (declared !== undefined && coded !== undefined) {
    if (coded.width >= declared.width + CODED_PADDING || coded.height >= declared.height + CODED_PADDING) {
      throw new HeifFormatError(
        `Item ${item.id} declares ${declared.width}x${declared.height} but its HEVC data codes ${coded.width}x${coded.height}`,
      );
    }
  }
  const size = declared ?? coded;
  if (size === undefined) throw new HeifFormatError(`Item ${item.id} declares no size`);
  return {
    itemId: item.id,
    role,
    width: Math.max(size.width, coded?.width ?? 0),
    height: Math.max(size.height, coded?.height ?? 0),
  };
}

interface Work extends HeifDecodeWork {
  /** The size the item's decode produces (a grid's canvas, a coded item's picture). */
  width: number;
  height: number;
}

/** What decoding `item` decodes: itself or its tiles (with their alpha planes), not its own alpha. */
function itemWork(container: HeifContainer, item: HeifItem, role: DecodedImage['role']): Work {
  if (item.type !== 'grid' && item.type !== 'iden') {
    return withAlpha(container, item, codedWork(codedImage(container, item, role), item));
  }
  const inputs = dimgInputs(container, item.id).map((id) => {
    const input = container.items.get(id);
    if (input === undefined)
      throw new HeifFormatError(`The ${item.type} item ${item.id} takes a missing item ${id}`);
    if (input.type === 'grid' || input.type === 'iden') {
      throw new HeifFormatError(
        `The ${item.type} item ${item.id} takes the derived item ${id} as an input image`,
      );
    }
    return withAlpha(
      container,
      input,
      codedWork(codedImage(container, input, role === 'alpha' ? 'alpha' : 'tile'), input),
    );
  });
  const first = inputs[0];
  if (first === undefined) throw new HeifFormatError(`The ${item.type} item ${item.id} has no input images`);
  const odd = inputs.find((input) => input.width !== first.width || input.height !== first.height);
  if (odd !== undefined) {
    throw new HeifFormatError(
      `The ${item.type} item ${item.id} has tiles of ${first.width}x${first.height} and ${odd.width}x${odd.height}`,
    );
  }
  let canvas: { width: number; height: number } = first;
  if (item.type === 'grid') {
    const grid = readGrid(container, item);
    // Tiles cover the canvas, and a tile row or column wholly outside it is decoded for nothing.
    if ((grid.columns - 1) * first.width >= grid.width || (grid.rows - 1) * first.height >= grid.height) {
      throw new HeifFormatError(
        `${grid.columns}x${grid.rows} tiles of ${first.width}x${first.height} overshoot the ${grid.width}x${grid.height} grid`,
      );
    }
    canvas = grid;
  }
  const tiles = inputs.reduce(
    (sum, input) => ({
      images: [...sum.images, ...input.images],
      codedPixels: sum.codedPixels + input.codedPixels,
      codedBytes: sum.codedBytes + input.codedBytes,
    }),
    { images: [] as DecodedImage[], codedPixels: 0, codedBytes: 0 },
  );
  return withAlpha(container, item, {
    ...tiles,
    pixels: canvas.width * canvas.height,
    width: canvas.width,
    height: canvas.height,
  });
}

function codedWork(image: DecodedImage, item: HeifItem): Work {
  return {
    images: [image],
    pixels: image.width * image.height,
    codedPixels: image.width * image.height,
    codedBytes: dataBytes(item),
    width: image.width,
    height: image.height,
  };
}

/**
 * Adds the alpha planes libheif decodes with `master`. An alpha plane larger than its image is refused: libheif
 * would decode all of it, and scale it down, for a plane the size of the image.
 */
function withAlpha(container: HeifContainer, master: HeifItem, decoded: Work): Work {
  let result = decoded;
  for (const alphaId of alphaPlaneIds(container, master.id)) {
    const alpha = container.items.get(alphaId);
    if (alpha === undefined || alpha.id === master.id) {
      throw new HeifFormatError(`The alpha plane ${alphaId} of item ${master.id} is missing or itself`);
    }
    if (alpha.type !== 'grid' && alpha.type !== 'iden' && alphaPlaneIds(container, alpha.id).length > 0) {
      throw new HeifFormatError(`The alpha plane ${alphaId} has an alpha plane of its own`);
    }
    const plane = itemWork(container, alpha, 'alpha');
    if (plane.width > decoded.width || plane.height > decoded.height) {
      throw new HeifFormatError(
        `The alpha plane ${alphaId} is ${plane.width}x${plane.height}, larger than its ${decoded.width}x${decoded.height} image`,
      );
    }
    result = {
      ...result,
      images: [...result.images, ...plane.images],
      pixels: result.pixels + plane.pixels,
      codedPixels: result.codedPixels + plane.codedPixels,
      codedBytes: result.codedBytes + plane.codedBytes,
    };
  }
  return result;
}

/**
 * Everything libheif decodes for the primary item `itemId`. Throws `HeifFormatError` for an alpha plane
 * larger than its image, tiles of different sizes, nested derived images, or HEVC data coding a larger picture
 * than the item declares.
 */
export function describeDecodeWork(container: HeifContainer, itemId: number): HeifDecodeWork {
  const item = container.items.get(itemId);
  if (item === undefined) throw new HeifFormatError(`The primary item ${itemId} does not exist`);
  const { images, pixels, codedPixels, codedBytes } = itemWork(container, item, 'image');
  return { images, pixels, codedPixels, codedBytes };
}
