/** Cost projection from measured figures. Every price carries its source and date; assumptions say so. */

export interface PriceFigure {
  value: number;
  unit: string;
  source: string;
  /** `sourced` when read from the cited page, `assumption` when the page did not give it. */
  kind: 'sourced' | 'assumption';
}

export const PRICES = {
  flexGbSecond: {
    value: 0.000026,
    unit: 'USD per GB-s (Flex Consumption, on demand, East US)',
    source:
      'modal.com/blog/azure-function-pricing-guide (2025-05-22), quoting the Azure Functions pricing page; retrieved 2026-11-24',
    kind: 'sourced',
  },
  flexPerMillionExecutions: {
    value: 0.4,
    unit: 'USD per million executions (Flex Consumption, on demand)',
    source:
      'assumption: Azure Functions pricing page figure for Flex on-demand executions as commonly listed; the page itself was not retrievable here (2026-11-24)',
    kind: 'assumption',
  },
  d8v5Hourly: {
    value: 0.384,
    unit: 'USD per hour (Standard_D8_v5, 8 vCPU / 32 GiB, Linux, pay-as-you-go, East US)',
    source:
      'assumption: Azure Linux VM pricing page list price as commonly quoted; not retrievable here (2026-11-24). Size: learn.microsoft.com Dv5 series (8 vCPU, 32 GiB)',
    kind: 'assumption',
  },
} as const satisfies Record<string, PriceFigure>;

export const D8V5_VCPUS = 8;
/** Flex Consumption's minimum billable active period (assumption from the plan's billing notes). */
export const MINIMUM_BILLED_PERIOD_SECONDS = 1;
const HOURS_PER_MONTH = 730;

export interface CostInputs {
  /** Resize CPU per image across all sizes (single-thread measurement), seconds. */
  cpuSecondsPerImage: number;
  /** Measured burst throughput as a fraction of the core limit (0-1]; 1 when not measured. */
  utilization: number;
  instanceMemoryMb: number;
  executionsPerImage: number;
}

export interface CostProjection {
  instanceMemoryMb: number;
  vcpusPerInstance: number;
  conversion: string;
  billedInstanceSecondsPerImage: number;
  gbSecondsPerImage: number;
  executionsPerImage: number;
  costPerMillionImages: { compute: number; executions: number; total: number };
  vm: {
    name: string;
    monthlyCost: number;
    imagesPerMonthCapacity: number;
    breakEvenImagesPerMonth: number;
    breakEvenWithinCapacity: boolean;
  };
  prices: typeof PRICES;
  notes: string[];
}

/** Flex Consumption gives an instance vCPUs in proportion to its memory: 2048 MB = 1 vCPU, 4096 MB = 2 (assumption stated in the output). */
export function vcpusFor(instanceMemoryMb: number): number {
  return instanceMemoryMb / 2048;
}

export function projectCost(inputs: CostInputs): CostProjection {
  if (!(inputs.cpuSecondsPerImage > 0) || !(inputs.utilization > 0)) {
    throw new Error(
      `Expected positive CPU seconds and utilization for the cost model but received ${inputs.cpuSecondsPerImage} and ${inputs.utilization}`,
    );
  }
  const utilization = Math.min(1, inputs.utilization);
  const vcpus = vcpusFor(inputs.instanceMemoryMb);
  // An on-demand instance is billed for the wall time it is executing functions. Under a burst it runs
  // activities concurrently on all its vCPUs, so each image holds the instance for its CPU time spread over
  // the vCPUs, stretched by how far short of the core limit the real pipeline ran.
  const billedSeconds = inputs.cpuSecondsPerImage / (vcpus * utilization);
  const gbSeconds = billedSeconds * (inputs.instanceMemoryMb / 1024);
  const compute = gbSeconds * PRICES.flexGbSecond.value * 1e6;
  const executions = inputs.executionsPerImage * PRICES.flexPerMillionExecutions.value;
  const costPerImage = (compute + executions) / 1e6;
  const vmMonthly = PRICES.d8v5Hourly.value * HOURS_PER_MONTH;
  const imagesPerSecondPerCore = utilization / inputs.cpuSecondsPerImage;
  const capacity = imagesPerSecondPerCore * D8V5_VCPUS * 3600 * HOURS_PER_MONTH;
  const breakEven = vmMonthly / costPerImage;
  return {
    instanceMemoryMb: inputs.instanceMemoryMb,
    vcpusPerInstance: vcpus,
    conversion: `billed instance seconds per image = CPU-s per image / (vCPUs per instance x measured utilization) = ${inputs.cpuSecondsPerImage.toFixed(3)} / (${vcpus} x ${utilization.toFixed(2)})`,
    billedInstanceSecondsPerImage: billedSeconds,
    gbSecondsPerImage: gbSeconds,
    executionsPerImage: inputs.executionsPerImage,
    costPerMillionImages: { compute, executions, total: compute + executions },
    vm: {
      name: 'Standard_D8_v5 (always on)',
      monthlyCost: vmMonthly,
      imagesPerMonthCapacity: capacity,
      breakEvenImagesPerMonth: breakEven,
      breakEvenWithinCapacity: breakEven <= capacity,
    },
    prices: PRICES,
    notes: [
      'Free monthly grants are ignored (they matter only at low volume).',
      `vCPUs per instance assumed proportional to memory (2048 MB = 1 vCPU); the VM is assumed to sustain the same per-core throughput (${imagesPerSecondPerCore.toFixed(2)} images/s/core).`,
      'Flex on-demand meters execution time per instance, rounded up per the plan rules; short orchestrator and trigger executions overlapping resize work add little wall time and are counted only as executions.',
    ],
  };
}

export interface CostScenario {
  name: string;
  billedInstanceSecondsPerImage: number;
  gbSecondsPerImage: number;
  costPerMillionImages: number;
  breakEvenImagesPerMonth: number;
}

/**
 * The same model under other readings of "busy time per image", so the headline figure can be judged:
 * the resize CPU alone at 100% of the core limit (best case), and the whole app's CPU per image measured in
 * the burst (SDK calls, Durable replays, JSON; storage emulators excluded) at full use of the vCPUs.
 */
export function costScenarios(inputs: CostInputs, appCpuSecondsPerImage: number | undefined): CostScenario[] {
  const scenario = (name: string, projection: CostProjection): CostScenario => ({
    name,
    billedInstanceSecondsPerImage: projection.billedInstanceSecondsPerImage,
    gbSecondsPerImage: projection.gbSecondsPerImage,
    costPerMillionImages: projection.costPerMillionImages.total,
    breakEvenImagesPerMonth: projection.vm.breakEvenImagesPerMonth,
  });
  const scenarios = [
    scenario(
      'resize CPU only, 100% of the core limit (best case)',
      projectCost({ ...inputs, utilization: 1 }),
    ),
  ];
  if (appCpuSecondsPerImage !== undefined && appCpuSecondsPerImage > 0) {
    scenarios.push(
      scenario(
        'whole-app CPU per image from the burst, vCPUs fully used',
        projectCost({ ...inputs, cpuSecondsPerImage: appCpuSecondsPerImage, utilization: 1 }),
      ),
    );
  }
  scenarios.push(scenario('measured burst utilization (headline)', projectCost(inputs)));
  // Isolated uploads: each image is its own short active period; if the plan's 1,000 ms minimum billable
  // period applies to it (an assumption, see notes), the instance bills a full second per image.
  const isolated = projectCost(inputs);
  const minimumSeconds = MINIMUM_BILLED_PERIOD_SECONDS;
  const isolatedGbSeconds = minimumSeconds * (inputs.instanceMemoryMb / 1024);
  scenarios.push({
    name: 'isolated uploads, 1 s minimum billed period per image (assumption)',
    billedInstanceSecondsPerImage: minimumSeconds,
    gbSecondsPerImage: isolatedGbSeconds,
    costPerMillionImages:
      isolatedGbSeconds * PRICES.flexGbSecond.value * 1e6 + isolated.costPerMillionImages.executions,
    breakEvenImagesPerMonth:
      isolated.vm.monthlyCost /
      ((isolatedGbSeconds * PRICES.flexGbSecond.value * 1e6 + isolated.costPerMillionImages.executions) /
        1e6),
  });
  return scenarios;
}
