import type { CorpusImage } from './corpus';
import type { CoreComparison } from './core/compare';
import type { CostProjection, CostScenario } from './cost';
import type { EndToEndResult } from './e2e/burst';
import type { MachineInfo } from './machine';
import type { MemoryMeasurement } from './memory/measure';
import type { RenditionsResult } from './renditions/measure';
import type { TargetResult } from './targets';

/** Everything one `npm run bench` measured: written to bench/results/latest.json. */
export interface BenchResult {
  schema: 1;
  mode: 'full' | 'smoke';
  command: string;
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo & { pillow: string };
  sizes: Array<{ label: string; width: number; height: number }>;
  corpus: { origin: 'generated' | 'user'; description: string; images: CorpusImage[] };
  core: CoreComparison;
  memory: Array<{ image: string; perSize: MemoryMeasurement[]; peakRssMb: number }>;
  renditions: RenditionsResult;
  endToEnd: EndToEndResult | { skipped: string };
  cost: CostProjection & { scenarios: CostScenario[] };
  targets: TargetResult[];
  notes: string[];
}
