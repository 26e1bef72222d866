import type { SizeSpec } from '../../domain/types';

export type SizeSelection =
  { ok: true; sizes: SizeSpec[] } | { ok: false; unknown: string[]; message: string };

/**
 * `?sizes=thumb,medium` picks sizes of the catalog (kept in catalog order, duplicates ignored); no parameter
 * means every size. Unknown or missing labels are named in the answer rather than silently skipped.
 */
export function selectSizes(catalog: readonly SizeSpec[], requested: string | null): SizeSelection {
  if (requested === null) return { ok: true, sizes: [...catalog] };
  const labels = new Set(
    requested
      .split(',')
      .map((label) => label.trim())
      .filter((label) => label !== ''),
  );
  const known = catalog.map((size) => size.label);
  const unknown = [...labels].filter((label) => !known.includes(label));
  if (labels.size === 0 || unknown.length > 0) {
    const what = labels.size === 0 ? 'no size labels' : `unknown size labels ${unknown.join(', ')}`;
    return {
      ok: false,
      unknown,
      message: `Expected size labels from ${known.join(', ')} for sizes but received ${what}`,
    };
  }
  return { ok: true, sizes: catalog.filter((size) => labels.has(size.label)) };
}
