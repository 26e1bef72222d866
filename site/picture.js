// A document's variants as a responsive <picture>, its placeholder, and the list of derivatives.
import { thumbHashToDataURL } from './vendor/thumbhash.js';
import { h } from './dom.js';
import { choosePicture } from './pictureChoice.js';
import { capitalise, formatBytes, formatDimensions } from './format.js';

/**
 * @typedef {{ label: string, format: string, width: number, height: number, contentType: string,
 *   url: string, sizeBytes: number }} Variant
 */

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
 * <picture> from a document's variants, as `choosePicture` (pictureChoice.js) lists them: variants of one
 * shape, a <source> per newer format, the <img> in the most compatible format (PNG when the picture may be
 * transparent). The page's CSS scales the <img> (`max-width: 100%; height: auto`); `sizes` follows the frame.
 * @param {Variant[]} variants @param {string} alt
 * @param {{ width?: number, height?: number }} [source] the document's `sourceWidth`/`sourceHeight`
 */
export function pictureOf(variants, alt, source) {
  const chosen = choosePicture(variants, source);
  const sizes = chosen ? sizesFor(chosen.img.width, chosen.img.height) : undefined;
  const sources = (chosen?.sources ?? []).map(({ type, srcset }) => h('source', { type, srcset, sizes }));
  const img = h('img', {
    class: 'picture-img',
    src: chosen?.img.src,
    srcset: chosen?.img.srcset,
    sizes,
    alt,
    width: chosen ? String(chosen.img.width) : undefined,
    height: chosen ? String(chosen.img.height) : undefined,
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
