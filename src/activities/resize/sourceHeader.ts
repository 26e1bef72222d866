import { detectFormat } from '../../imaging/detectFormat';
import { probeHeader } from '../../imaging/probeHeader';
import type { DecodableFormat, SourceLimits } from '../../imaging/types';

/** The source's format and displayed size from its header (no pixels decoded), or undefined when unreadable. */
export async function readHeader(
  data: Buffer,
  limits: SourceLimits,
): Promise<{ format: DecodableFormat; width: number; height: number } | undefined> {
  const detected = detectFormat(data);
  if (detected.kind !== 'decodable') return undefined;
  const probed = await probeHeader(data, detected.format, limits);
  if (!probed.ok) return undefined;
  const { format, width, height } = probed.header;
  return { format, width, height };
}
