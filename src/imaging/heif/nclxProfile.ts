/**
 * An ICC profile for a HEIF whose colour is described only by an `nclx` box (ITU-T H.273 code points), so that
 * libvips converts its pixels to sRGB like those of an ICC-tagged file. libheif turns YCbCr into RGB with the
 * nclx matrix but leaves the RGB in the file's primaries; read as sRGB, Display P3 or BT.2020 numbers would
 * come out dull and shifted. Phones and encoders write nclx-only P3 files (libheif's own encoder does unless
 * it is given an ICC profile).
 *
 * The profile is an ICC v4 RGB display profile of the matrix/TRC kind (ICC.1:2022 §F.3): colorants from the
 * primaries, chromatically adapted to the D50 profile connection space with the Bradford transform (§E.3),
 * and a parametric tone curve from the transfer characteristics.
 */
import type { NclxColour } from './primaryImage';

type Xy = readonly [number, number];
interface Primaries {
  name: string;
  red: Xy;
  green: Xy;
  blue: Xy;
  white: Xy;
}

const D65: Xy = [0.3127, 0.329];

/**
 * Colour primaries (H.273 table 2) whose numbers differ enough from sRGB/BT.709 to matter. 1 (BT.709, which
 * sRGB shares) and 2 (unspecified) need no conversion; others are rare in photos and are left as they are.
 */
const PRIMARIES: ReadonlyMap<number, Primaries> = new Map([
  [9, { name: 'BT.2020', red: [0.708, 0.292], green: [0.17, 0.797], blue: [0.131, 0.046], white: D65 }],
  [12, { name: 'Display P3', red: [0.68, 0.32], green: [0.265, 0.69], blue: [0.15, 0.06], white: D65 }],
]);

/** ICC parametric curve type 3 (ICC.1 §10.18): Y = (aX + b)^g for X >= d, else Y = cX. */
interface Curve {
  name: string;
  g: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

const SRGB_CURVE: Curve = { name: 'sRGB', g: 2.4, a: 1 / 1.055, b: 0.055 / 1.055, c: 1 / 12.92, d: 0.04045 };
/** The inverse of the BT.709/BT.2020 camera curve (V = 1.099 L^0.45 - 0.099, 4.5 L below 0.018), as Skia decodes it. */
const BT709_CURVE: Curve = {
  name: 'BT.709',
  g: 1 / 0.45,
  a: 1 / 1.099,
  b: 0.099 / 1.099,
  c: 1 / 4.5,
  d: 0.081,
};
const gamma = (g: number): Curve => ({ name: `gamma ${g}`, g, a: 1, b: 0, c: 0, d: 0 });

/**
 * Transfer characteristics (H.273 table 3). 13 is sRGB's (what P3 photos use); 1, 6, 14 and 15 are the BT.709
 * camera curve. Unspecified, and curves this pipeline does not tone-map (PQ 16, HLG 18: HDR), are decoded
 * with the sRGB curve: the primaries are still converted, which is most of the visible difference.
 */
function curveOf(transfer: number): Curve {
  switch (transfer) {
    case 1:
    case 6:
    case 14:
    case 15:
      return BT709_CURVE;
    case 4:
      return gamma(2.2);
    case 5:
      return gamma(2.8);
    case 8:
      return gamma(1);
    default:
      return SRGB_CURVE;
  }
}

type Vec = [number, number, number];
type Mat = [Vec, Vec, Vec];

const xyz = ([x, y]: Xy): Vec => [x / y, 1, (1 - x - y) / y];

function multiply(m: Mat, n: Mat): Mat {
  const column = (j: 0 | 1 | 2): Vec => [n[0][j], n[1][j], n[2][j]];
  const [c0, c1, c2] = [column(0), column(1), column(2)];
  const dot = (row: Vec, c: Vec) => row[0] * c[0] + row[1] * c[1] + row[2] * c[2];
  return m.map((row) => [dot(row, c0), dot(row, c1), dot(row, c2)]) as Mat;
}

function apply(m: Mat, v: Vec): Vec {
  return m.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]) as Vec;
}

function invert(m: Mat): Mat {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** The D50 illuminant of the profile connection space (ICC.1 §7.2.16), as the encoded s15Fixed16 values. */
const PCS_D50: Vec = [0.9642, 1, 0.8249];
const BRADFORD: Mat = [
  [0.8951, 0.2664, -0.1614],
  [-0.7502, 1.7135, 0.0367],
  [0.0389, -0.0685, 1.0296],
];

/** Bradford adaptation from `white` (XYZ) to D50. */
function adaptationToD50(white: Vec): Mat {
  const source = apply(BRADFORD, white);
  const target = apply(BRADFORD, PCS_D50);
  const scale: Mat = [
    [target[0] / source[0], 0, 0],
    [0, target[1] / source[1], 0],
    [0, 0, target[2] / source[2]],
  ];
  return multiply(invert(BRADFORD), multiply(scale, BRADFORD));
}

/** RGB -> XYZ (white at Y = 1) of a set of primaries, adapted to D50; columns are the colorants. */
function colorants(primaries: Primaries): { matrix: Mat; adaptation: Mat } {
  const [r, g, b] = [xyz(primaries.red), xyz(primaries.green), xyz(primaries.blue)];
  const white = xyz(primaries.white);
  const columns: Mat = [
    [r[0], g[0], b[0]],
    [r[1], g[1], b[1]],
    [r[2], g[2], b[2]],
  ];
  const [sr, sg, sb] = apply(invert(columns), white);
  const scaled: Mat = columns.map((row) => [row[0] * sr, row[1] * sg, row[2] * sb]) as Mat;
  const adaptation = adaptationToD50(white);
  return { matrix: multiply(adaptation, scaled), adaptation };
}

const s15Fixed16 = (value: number): number => Math.round(value * 65536);

function xyzTag(value: Vec): Buffer {
  const tag = Buffer.alloc(20);
  tag.write('XYZ ', 0, 'latin1');
  value.forEach((component, index) => tag.writeInt32BE(s15Fixed16(component), 8 + index * 4));
  return tag;
}

function paraTag(curve: Curve): Buffer {
  const tag = Buffer.alloc(12 + 5 * 4);
  tag.write('para', 0, 'latin1');
  tag.writeUInt16BE(3, 8); // function type 3: g, a, b, c, d
  [curve.g, curve.a, curve.b, curve.c, curve.d].forEach((value, index) =>
    tag.writeInt32BE(s15Fixed16(value), 12 + index * 4),
  );
  return tag;
}

function sf32Tag(matrix: Mat): Buffer {
  const tag = Buffer.alloc(8 + 9 * 4);
  tag.write('sf32', 0, 'latin1');
  matrix.flat().forEach((value, index) => tag.writeInt32BE(s15Fixed16(value), 8 + index * 4));
  return tag;
}

/** A one-record `multiLocalizedUnicodeType` (ICC.1 §10.15), en-US. */
function mlucTag(text: string): Buffer {
  const utf16 = Buffer.from(text, 'utf16le').swap16(); // UTF-16BE
  const tag = Buffer.alloc(28 + utf16.length);
  tag.write('mluc', 0, 'latin1');
  tag.writeUInt32BE(1, 8); // records
  tag.writeUInt32BE(12, 12); // record size
  tag.write('enUS', 16, 'latin1');
  tag.writeUInt32BE(utf16.length, 20);
  tag.writeUInt32BE(28, 24);
  utf16.copy(tag, 28);
  return tag;
}

function profile(description: string, primaries: Primaries, curve: Curve): Buffer {
  const { matrix, adaptation } = colorants(primaries);
  const trc = paraTag(curve);
  const tags: Array<[string, Buffer]> = [
    ['desc', mlucTag(description)],
    ['cprt', mlucTag('No copyright, use freely')],
    ['wtpt', xyzTag(PCS_D50)],
    ['chad', sf32Tag(adaptation)],
    ['rXYZ', xyzTag([matrix[0][0], matrix[1][0], matrix[2][0]])],
    ['gXYZ', xyzTag([matrix[0][1], matrix[1][1], matrix[2][1]])],
    ['bXYZ', xyzTag([matrix[0][2], matrix[1][2], matrix[2][2]])],
    ['rTRC', trc],
    ['gTRC', trc],
    ['bTRC', trc],
  ];
  const tableLength = 4 + tags.length * 12;
  const pad = (length: number) => (length + 3) & ~3; // tag data starts on 4-byte boundaries
  let offset = 128 + tableLength;
  const placed = tags.map(([signature, data]) => {
    // The three TRC tags share one curve (ICC allows tags to share data).
    const shared = signature === 'gTRC' || signature === 'bTRC';
    const at = shared ? -1 : offset;
    if (!shared) offset += pad(data.length);
    return { signature, data, at };
  });
  const trcAt = placed.find((tag) => tag.signature === 'rTRC')?.at ?? 0;
  const bytes = Buffer.alloc(offset);
  bytes.writeUInt32BE(offset, 0); // profile size
  bytes.writeUInt32BE(0x04300000, 8); // version 4.3
  bytes.write('mntrRGB XYZ ', 12, 'latin1'); // display device, RGB data, XYZ connection space
  bytes.write('acsp', 36, 'latin1');
  bytes.writeUInt32BE(0, 64); // perceptual rendering intent
  PCS_D50.forEach((value, index) => bytes.writeInt32BE(s15Fixed16(value), 68 + index * 4));
  bytes.writeUInt32BE(tags.length, 128);
  placed.forEach(({ signature, data, at }, index) => {
    const entry = 132 + index * 12;
    const where = at === -1 ? trcAt : at;
    bytes.write(signature, entry, 'latin1');
    bytes.writeUInt32BE(where, entry + 4);
    bytes.writeUInt32BE(data.length, entry + 8);
    if (at !== -1) data.copy(bytes, at);
  });
  return bytes;
}

const cache = new Map<string, Buffer>();

/**
 * The ICC profile that describes the RGB numbers of an nclx-tagged image, or undefined when they are already
 * sRGB-like (BT.709 or unspecified primaries) or their primaries are not converted (see `PRIMARIES`).
 */
export function iccProfileForNclx(nclx: NclxColour): Buffer | undefined {
  const primaries = PRIMARIES.get(nclx.primaries);
  if (primaries === undefined) return undefined;
  const curve = curveOf(nclx.transfer);
  const key = `${nclx.primaries}/${curve.name}`;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    bytes = profile(`${primaries.name}, ${curve.name} curve (from nclx)`, primaries, curve);
    cache.set(key, bytes);
  }
  return bytes;
}
