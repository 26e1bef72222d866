import type { Settings } from '../../config/settings';

/**
 * The labels this deployment still describes: every `IMAGE_SIZES` label and every `RETIRED_SIZES` label (a
 * retired label stays callable and keeps its variants and derivatives until it leaves `RETIRED_SIZES`).
 */
export function catalogOf(settings: Pick<Settings, 'sizes' | 'retiredSizes'>): ReadonlySet<string> {
  return new Set([...settings.sizes.map((size) => size.label), ...settings.retiredSizes]);
}
