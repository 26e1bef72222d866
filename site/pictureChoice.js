// Which of a document's variants a <picture> lists: plain JavaScript with no DOM, shared by the upload site
// (picture.js) and shown verbatim in the README, so a page and the site build the same markup.

/** Newer formats offered as <source>s, smallest files first. */
const SOURCE_ORDER = ['avif', 'webp'];
/** Formats every browser shows, preferred as the <img> in this order (but see `fallbackFormat`). */
const FALLBACK_ORDER = ['jpeg', 'png', 'gif', 'webp', 'avif'];

/**
 * Whether a width × height variant can be a resize of a picture of `shape`: one side is the box's, the other
 * the exact value rounded down or to the nearest pixel (libvips floors, other resizers round; never below 1).
 * A crop of another shape is not, however small: a 2×2 crop is not a 2×3 picture.
 * @param {{ width: number, height: number }} variant @param {{ width: number, height: number }} shape
 */
export function hasShape(variant, shape) {
  const fits = (side, exact) =>
    side >= Math.max(1, Math.floor(exact + 1e-9)) && side <= Math.max(1, Math.round(exact));
  return (
    fits(variant.height, (variant.width * shape.height) / shape.width) ||
    fits(variant.width, (variant.height * shape.width) / shape.height)
  );
}

/**
 * The variants of ONE shape, so the browser never swaps a square crop in for a wide slot: the source's shape
 * when any variant has it (`fit: inside` labels), else the shape closest to the source's aspect ratio (the
 * frame it reserves is then the least wrong), the one with the largest variant on a tie. Without the source's
 * size, the widest variant's shape stands in for it.
 * @template {{ width: number, height: number }} V
 * @param {V[]} variants @param {{ width?: number | null, height?: number | null }} [source]
 * @returns {V[]}
 */
export function oneShape(variants, source) {
  const largestFirst = [...variants].sort((a, b) => b.width * b.height - a.width * a.height);
  const widest = [...variants].sort((a, b) => b.width - a.width)[0];
  const target = source?.width && source.height ? { width: source.width, height: source.height } : widest;
  if (!target || !widest) return [];
  const groups = [];
  for (const variant of largestFirst) {
    const group = groups.find((g) => hasShape(variant, g[0]));
    if (group) group.push(variant);
    else groups.push([variant]);
  }
  const distance = (g) => Math.abs(Math.log((g[0].width * target.height) / (g[0].height * target.width)));
  const exact = groups.find((g) => g.some((variant) => hasShape(variant, target)));
  return exact ?? groups.reduce((best, g) => (distance(g) < distance(best) ? g : best), groups[0] ?? []);
}

/**
 * The <img> format: PNG when the shape has one (a PNG source, or a source whose pixels use transparency:
 * `source` gives PNG only then), since a JPEG would be flattened onto white; else the most compatible.
 * @param {Map<string, unknown>} byFormat
 */
function fallbackFormat(byFormat) {
  if (byFormat.has('png')) return 'png';
  return FALLBACK_ORDER.find((format) => byFormat.has(format)) ?? byFormat.keys().next().value;
}

/**
 * Which of two variants of one width a srcset keeps: the taller, then the smaller file. Of one shape, a width
 * fixes the height within a pixel, except where a side is clamped to 1 px: a 1×3000 source's 1×1 square crop
 * and its 1×1280 resize both have its shape (`hasShape` cannot tell them apart: a 1×1 box gives 1×1 too), and
 * the taller is the picture.
 * @param {{ height: number, sizeBytes: number }} a @param {{ height: number, sizeBytes: number }} b
 */
function better(a, b) {
  return a.height !== b.height ? a.height > b.height : a.sizeBytes < b.sizeBytes;
}

/**
 * One candidate per width (see `better`), narrowest first, as a width-described srcset: a width listed twice
 * makes the whole srcset invalid.
 * @param {{ url: string, width: number, height: number, sizeBytes: number }[]} variants
 */
export function srcsetOf(variants) {
  const byWidth = new Map();
  for (const variant of variants) {
    const kept = byWidth.get(variant.width);
    if (!kept || better(variant, kept)) byWidth.set(variant.width, variant);
  }
  return [...byWidth.values()]
    .sort((a, b) => a.width - b.width)
    .map((variant) => `${variant.url} ${variant.width}w`)
    .join(', ');
}

/**
 * What a <picture> lists for a document's variants (see `oneShape`): one <source> per newer format (AVIF, WebP)
 * present at EVERY width of the <img>'s srcset, and the <img> in `fallbackFormat`, each a width-described
 * srcset; the <img>'s `src`, `width` and `height` are its largest variant's (their ratio reserves the frame).
 * A browser takes the first <source> whose type it supports whatever its widths, so a format made for the
 * thumb alone would fill a wide slot with the thumb. Null when there are no variants.
 * @param {{ format: string, width: number, height: number, contentType: string, url: string,
 *   sizeBytes: number }[]} variants
 * @param {{ width?: number | null, height?: number | null }} [source] the document's sourceWidth/sourceHeight
 */
export function choosePicture(variants, source) {
  const byFormat = new Map();
  for (const variant of oneShape(variants, source)) {
    byFormat.set(variant.format, [...(byFormat.get(variant.format) ?? []), variant]);
  }
  const format = fallbackFormat(byFormat);
  const fallback = byFormat.get(format);
  if (!fallback) return null;
  const largest = [...fallback].sort((a, b) => b.width - a.width || (better(a, b) ? -1 : 1))[0];
  const atEveryWidth = (f) =>
    fallback.every((v) => byFormat.get(f)?.some((other) => other.width === v.width));
  return {
    sources: SOURCE_ORDER.filter((f) => f !== format && atEveryWidth(f)).map((f) => ({
      type: byFormat.get(f)[0].contentType,
      srcset: srcsetOf(byFormat.get(f)),
    })),
    img: { src: largest.url, srcset: srcsetOf(fallback), width: largest.width, height: largest.height },
  };
}
