/**
 * Deterministic "photo-like" RGB pixels: smooth gradients (sky, vignette), low-frequency texture, hard edges
 * (tiles and a diagonal band, like buildings and horizons) and seeded sensor noise. Flat colour would make
 * every codec look fast; this keeps entropy close to a real photo while staying reproducible byte for byte.
 */

/** mulberry32: a tiny, well-known 32-bit PRNG; the same seed gives the same image on every machine. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value | 0;
}

export function photoLikePixels(width: number, height: number, seed: number): Buffer {
  const random = mulberry32(seed);
  const pixels = Buffer.allocUnsafe(width * height * 3);
  const tileSize = Math.max(8, Math.round(Math.min(width, height) / 7));
  const tilesX = Math.ceil(width / tileSize);
  const tilesY = Math.ceil(height / tileSize);
  // Per-tile colour offsets: hard edges at tile borders, different in each channel.
  const tileOffsets = Int16Array.from({ length: tilesX * tilesY * 3 }, () => (random() % 61) - 30);
  // Separable smooth components, computed once per row and column.
  const columnWave = Float32Array.from(
    { length: width },
    (_, x) => 18 * Math.sin((x / width) * Math.PI * 5.3),
  );
  const rowWave = Float32Array.from(
    { length: height },
    (_, y) => 14 * Math.cos((y / height) * Math.PI * 3.7),
  );
  const bandPeriod = Math.max(16, Math.round(width / 9));
  const cx = width / 2;
  const cy = height / 2;
  const maxRadius2 = cx * cx + cy * cy;
  let offset = 0;
  for (let y = 0; y < height; y += 1) {
    const tileRow = Math.floor(y / tileSize) * tilesX;
    const sky = 200 - (150 * y) / height;
    const dy2 = (y - cy) * (y - cy);
    for (let x = 0; x < width; x += 1) {
      const tile = (tileRow + Math.floor(x / tileSize)) * 3;
      const vignette = 1 - (0.45 * ((x - cx) * (x - cx) + dy2)) / maxRadius2;
      const band = (x + 2 * y) % bandPeriod < bandPeriod / 3 ? 24 : 0;
      const smooth = columnWave[x]! + rowWave[y]!;
      const noise = random();
      pixels[offset] = clampByte(
        (sky * 0.9 + smooth + band + tileOffsets[tile]!) * vignette + ((noise & 15) - 7),
      );
      pixels[offset + 1] = clampByte(
        (sky * 0.75 + 40 * (x / width) - smooth + tileOffsets[tile + 1]!) * vignette +
          (((noise >>> 8) & 15) - 7),
      );
      pixels[offset + 2] = clampByte(
        (110 + 90 * (y / height) + smooth - band + tileOffsets[tile + 2]!) * vignette +
          (((noise >>> 16) & 15) - 7),
      );
      offset += 3;
    }
  }
  return pixels;
}
