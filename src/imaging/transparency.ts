/**
 * Whether raw interleaved 8-bit pixels use their alpha channel (any alpha below 255). Run on the resized
 * derivative, not the source, so it costs at most a few megabytes of reads. Greyscale+alpha (2 channels)
 * and RGBA (4 channels) carry alpha last; other layouts have none.
 */
export function usesTransparency(pixels: Uint8Array, channels: number): boolean {
  if (channels !== 2 && channels !== 4) return false;
  for (let offset = channels - 1; offset < pixels.length; offset += channels) {
    if ((pixels[offset] ?? 255) < 255) return true;
  }
  return false;
}

/**
 * The same pixels without their alpha channel (grey+alpha -> grey, RGBA -> RGB), for an encoder that would
 * otherwise store an all-opaque alpha plane (AVIF: libheif codes it as a second AV1 image). Pixels without
 * alpha come back as they are.
 */
export function withoutAlpha<T extends { data: Buffer; channels: 1 | 2 | 3 | 4 }>(pixels: T): T {
  if (pixels.channels !== 2 && pixels.channels !== 4) return pixels;
  const colour = pixels.channels - 1;
  const count = pixels.data.length / pixels.channels;
  const data = Buffer.allocUnsafe(count * colour);
  for (let pixel = 0; pixel < count; pixel++) {
    pixels.data.copy(data, pixel * colour, pixel * pixels.channels, pixel * pixels.channels + colour);
  }
  return { ...pixels, data, channels: colour as 1 | 3 };
}
