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
