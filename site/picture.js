// A document's variants as a responsive <picture>, its placeholder, and the list of derivatives.
import { thumbHashToDataURL } from './vendor/thumbhash.js';
import { h } from './dom.js';
import { capitalise, formatBytes, formatDimensions } from './format.js';

/** Formats every browser shows, preferred as the <img> fallback, in this order. */
const FALLBACK_ORDER = ['jpeg', 'png', 'gif', 'webp', 'avif'];
/** Newer formats offered as <source>s first, smallest files first. */
const SOURCE_ORDER = ['avif', 'webp'];

/**
 * @typedef {{ label: string, format: string, width: number, height: number, contentType: string,
 *   url: string, sizeBytes: number }} Variant
 */

/**
 * One candidate per width (sizes that were not upscaled repeat the source's width: the smaller file wins),
 * narrowest first, as a width-described srcset.
 * @param {Variant[]} variants
 */
function srcset(variants) {
  const byWidth = new Map();
  for (const variant of variants) {
    const kept = byWidth.get(variant.width);
    if (!kept || variant.sizeBytes < kept.sizeBytes) byWidth.set(variant.width, variant);
  }
  return [...byWidth.values()]
    .sort((a, b) => a.width - b.width)
    .map((variant) => `${variant.url} ${variant.width}w`)
    .join(', ');
}

/*
 * The frame's width as site.css lays it out: `.page` is at most 760 px wide with 24 px padding each side, and
 * the card adds 16 px padding and a 1 px border each side, so the frame is 678 px, or 100vw − 82 px on a
 * narrower window. `.frame img` is at most FRAME_MAX_HEIGHT tall (portraits) and never upscaled.
 */
const PAGE_MAX_WIDTH = 760;
const FRAME_INSET = 82;
const FRAME_WIDTH = PAGE_MAX_WIDTH - FRAME_INSET;
const FRAME_MAX_HEIGHT = 640;

/**
 * The `sizes` attribute for a picture whose largest variant is width × height: the width the <img> is drawn
 * at, which is the frame's, unless the height limit or the picture's own width makes it narrower.
 * @param {number} width @param {number} height
 */
export function sizesFor(width, height) {
  const drawn = Math.min(width, Math.floor((FRAME_MAX_HEIGHT * width) / height));
  if (drawn >= FRAME_WIDTH)
    return `(max-width: ${PAGE_MAX_WIDTH}px) calc(100vw - ${FRAME_INSET}px), ${FRAME_WIDTH}px`;
  return `(max-width: ${drawn + FRAME_INSET}px) calc(100vw - ${FRAME_INSET}px), ${drawn}px`;
}

/**
 * Paints the placeholder on the picture's frame (through the CSSOM, which the page's CSP allows): the thumbhash
 * decoded to a data URL by the thumbhash package, else the dominant colour. Returns whether it painted one.
 * @param {HTMLElement} frame
 * @param {{ thumbhash?: string, dominantColor?: string } | undefined} placeholder
 */
export function paintPlaceholder(frame, placeholder) {
  if (!placeholder) return false;
  if (placeholder.dominantColor && /^#[0-9a-f]{6}$/i.test(placeholder.dominantColor)) {
    frame.style.backgroundColor = placeholder.dominantColor;
  }
  if (placeholder.thumbhash) {
    try {
      const bytes = Uint8Array.from(atob(placeholder.thumbhash), (c) => c.charCodeAt(0));
      frame.style.backgroundImage = `url("${thumbHashToDataURL(bytes)}")`;
    } catch {
      // A malformed hash leaves the colour.
    }
  }
  return frame.style.backgroundImage !== '' || frame.style.backgroundColor !== '';
}

/**
 * Whether a variant has the source's shape (aspect ratio within 1 px of rounding on either side), i.e. is a
 * `fit: inside` rendition rather than a crop: only those can stand for one another in a srcset, else the
 * browser may pick a square thumbnail for a wide slot. Without the source's size, the widest variant's
 * shape stands in for it.
 * @param {Variant} variant @param {{ width: number, height: number }} shape
 */
function sameShape(variant, shape) {
  return (
    Math.abs(variant.height - (variant.width * shape.height) / shape.width) <= 1 ||
    Math.abs(variant.width - (variant.height * shape.width) / shape.height) <= 1
  );
}

/**
 * <picture> from a document's variants: only variants of the source's shape (see `sameShape`), one <source>
 * per newer format among them (avif, webp) and an <img> in the most compatible format present (JPEG, PNG,
 * GIF, then WebP or AVIF when a plan has nothing else), all as width-described srcsets so the browser picks
 * the size it needs. The <img>'s width and height are the largest fallback variant's (its aspect ratio
 * reserves the frame; the page's CSS scales it: `max-width: 100%; height: auto`).
 * @param {Variant[]} variants @param {string} alt
 * @param {{ width?: number, height?: number }} [source] the document's `sourceWidth`/`sourceHeight`
 */
export function pictureOf(variants, alt, source) {
  const widest = [...variants].sort((a, b) => b.width - a.width)[0];
  const shape = source?.width && source.height ? { width: source.width, height: source.height } : widest;
  const usable = shape ? variants.filter((variant) => sameShape(variant, shape)) : [];
  const byFormat = new Map();
  for (const variant of usable.length > 0 ? usable : variants) {
    byFormat.set(variant.format, [...(byFormat.get(variant.format) ?? []), variant]);
  }
  const fallbackFormat =
    FALLBACK_ORDER.find((format) => byFormat.has(format)) ?? byFormat.keys().next().value;
  const fallback = byFormat.get(fallbackFormat) ?? [];
  const largest = [...fallback].sort((a, b) => b.width - a.width || a.sizeBytes - b.sizeBytes)[0];
  const sizes = largest ? sizesFor(largest.width, largest.height) : undefined;
  const sources = SOURCE_ORDER.filter((format) => format !== fallbackFormat && byFormat.has(format)).map(
    (format) =>
      h('source', { type: byFormat.get(format)[0].contentType, srcset: srcset(byFormat.get(format)), sizes }),
  );
  const img = h('img', {
    class: 'picture-img',
    src: largest?.url,
    srcset: fallback.length > 0 ? srcset(fallback) : undefined,
    sizes,
    alt,
    width: largest ? String(largest.width) : undefined,
    height: largest ? String(largest.height) : undefined,
  });
  img.addEventListener('load', () => img.classList.add('loaded'));
  return h('picture', {}, [...sources, img]);
}

/**
 * One row per derivative: its own small image (so every derivative is fetched and shown), label, pixel size,
 * format and bytes.
 * @param {Variant[]} variants
 */
export function variantList(variants) {
  const sorted = [...variants].sort((a, b) => a.width - b.width || a.format.localeCompare(b.format));
  return h(
    'ul',
    { class: 'variants' },
    sorted.map((variant) =>
      h('li', { class: 'variant', 'data-label': variant.label, 'data-format': variant.format }, [
        h('a', { href: variant.url, target: '_blank', rel: 'noopener' }, [
          h('img', { class: 'variant-img', src: variant.url, alt: `${variant.label} ${variant.format}` }),
        ]),
        h('span', { class: 'variant-label' }, [capitalise(variant.label)]),
        h('span', { class: 'variant-meta' }, [
          `${formatDimensions(variant.width, variant.height)} · ${variant.format.toUpperCase()} · ${formatBytes(variant.sizeBytes)}`,
        ]),
      ]),
    ),
  );
}
