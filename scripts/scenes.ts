import sharp from 'sharp';

/** Colours of a generated landscape: sky top and bottom, sun, far and near hills. */
export interface Palette {
  skyTop: string;
  skyBottom: string;
  sun: string;
  far: string;
  near: string;
}

export const PALETTES = {
  dusk: { skyTop: '#2b3a67', skyBottom: '#f2a65a', sun: '#ffe29a', far: '#5b4a7a', near: '#2e2a4f' },
  meadow: { skyTop: '#5aa9e6', skyBottom: '#d6ecfa', sun: '#fff6c9', far: '#7fb77e', near: '#3d7a45' },
} satisfies Record<string, Palette>;

/**
 * A photo-like landscape (sky gradient, sun, two ranges of hills, fine noise) encoded as JPEG by sharp: real
 * pixels for the browser tests and screenshots, with no image files in the repository.
 */
export async function makeLandscape(
  width: number,
  height: number,
  palette: Palette,
  quality = 88,
): Promise<Buffer> {
  const hills = (base: number, amplitude: number, phase: number): string => {
    const points: string[] = [];
    for (let x = 0; x <= width; x += width / 24) {
      const y = height * base - Math.sin(x / (width / 5) + phase) * height * amplitude - Math.sin(x / 37) * 6;
      points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    return `M0,${height} L${points.join(' L')} L${width},${height} Z`;
  };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${palette.skyTop}"/><stop offset="1" stop-color="${palette.skyBottom}"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <circle cx="${width * 0.68}" cy="${height * 0.42}" r="${height * 0.11}" fill="${palette.sun}" opacity="0.95"/>
    <path d="${hills(0.66, 0.07, 0.4)}" fill="${palette.far}"/>
    <path d="${hills(0.82, 0.05, 2.1)}" fill="${palette.near}"/>
  </svg>`;
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 10 },
    },
  })
    .png()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, blend: 'soft-light' }])
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}
