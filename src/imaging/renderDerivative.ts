import { renderRendition } from './renderRendition';
import type { Box, RenderResult, SourceLimits } from './types';

/**
 * One derivative of `source` fitting inside `box` (never enlarged) in the source's own format (the v1
 * rendition): `renderRendition` with `fit: "inside"` and `formats: ["source"]`. Same outcomes and throws.
 */
export async function renderDerivative(
  source: Buffer,
  box: Box,
  limits: SourceLimits,
): Promise<RenderResult> {
  const rendered = await renderRendition(
    source,
    {
      label: 'box',
      width: box.width,
      height: box.height,
      fit: 'inside',
      formats: ['source'],
    },
    limits,
  );
  if (!rendered.ok) return rendered;
  const [output] = rendered.outputs;
  if (output === undefined) throw new Error('renderRendition produced no output for formats ["source"]');
  if (!output.ok) {
    const { format, width, height } = rendered.source;
    return { ok: false, error: output.error, source: { format, width, height } };
  }
  return { ok: true, derivative: { ...output.derivative, source: rendered.source } };
}
