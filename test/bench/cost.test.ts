import { describe, expect, it } from 'vitest';
import { costScenarios, MINIMUM_BILLED_PERIOD_SECONDS, PRICES, projectCost } from '../../bench/cost';

const base = { cpuSecondsPerImage: 0.2, utilization: 1, instanceMemoryMb: 2048, executionsPerImage: 10 };

describe('projectCost', () => {
  it('bills CPU time spread over the instance vCPUs at its memory size', () => {
    const cost = projectCost(base);
    expect(cost.vcpusPerInstance).toBe(1);
    expect(cost.billedInstanceSecondsPerImage).toBeCloseTo(0.2, 10);
    expect(cost.gbSecondsPerImage).toBeCloseTo(0.2 * 2, 10);
    expect(cost.costPerMillionImages.executions).toBeCloseTo(10 * PRICES.flexPerMillionExecutions.value, 10);
  });

  it('keeps GB-s per image when memory and vCPUs double together', () => {
    const small = projectCost(base);
    const large = projectCost({ ...base, instanceMemoryMb: 4096 });
    expect(large.vcpusPerInstance).toBe(2);
    expect(large.billedInstanceSecondsPerImage).toBeCloseTo(small.billedInstanceSecondsPerImage / 2, 10);
    expect(large.gbSecondsPerImage).toBeCloseTo(small.gbSecondsPerImage, 10);
  });

  it('charges idle cores when the pipeline runs below the core limit', () => {
    const full = projectCost(base);
    const half = projectCost({ ...base, utilization: 0.5 });
    expect(half.gbSecondsPerImage).toBeCloseTo(full.gbSecondsPerImage * 2, 10);
    expect(half.vm.imagesPerMonthCapacity).toBeCloseTo(full.vm.imagesPerMonthCapacity / 2, 0);
  });

  it('puts the VM break-even where a month of VM costs the same as the images', () => {
    const cost = projectCost(base);
    const perImage = cost.costPerMillionImages.total / 1e6;
    expect(cost.vm.breakEvenImagesPerMonth * perImage).toBeCloseTo(cost.vm.monthlyCost, 6);
    expect(cost.vm.monthlyCost).toBeCloseTo(PRICES.d8v5Hourly.value * 730, 6);
  });

  it('rejects figures that would make the model meaningless', () => {
    expect(() => projectCost({ ...base, cpuSecondsPerImage: 0 })).toThrow(/positive CPU seconds/);
    expect(() => projectCost({ ...base, utilization: Number.NaN })).toThrow(/utilization/);
  });

  it('names a source for every price and marks assumptions', () => {
    for (const price of Object.values(PRICES)) {
      expect(price.source.length).toBeGreaterThan(20);
      expect(['sourced', 'assumption']).toContain(price.kind);
    }
  });
});

describe('costScenarios', () => {
  it('brackets the headline between the best case and isolated uploads', () => {
    const inputs = { ...base, utilization: 0.5 };
    const scenarios = costScenarios(inputs, 0.3);
    const byName = (part: string) => scenarios.find((scenario) => scenario.name.includes(part));
    const best = byName('best case');
    const headline = byName('headline');
    const app = byName('whole-app');
    const isolated = byName('isolated');
    expect(best?.gbSecondsPerImage).toBeCloseTo(0.2 * 2, 10);
    expect(headline?.gbSecondsPerImage).toBeCloseTo(projectCost(inputs).gbSecondsPerImage, 10);
    expect(app?.billedInstanceSecondsPerImage).toBeCloseTo(0.3, 10);
    expect(isolated?.gbSecondsPerImage).toBeCloseTo(MINIMUM_BILLED_PERIOD_SECONDS * 2, 10);
    expect(best?.costPerMillionImages).toBeLessThan(headline?.costPerMillionImages ?? 0);
    expect(isolated?.breakEvenImagesPerMonth).toBeLessThan(best?.breakEvenImagesPerMonth ?? 0);
  });

  it('leaves out the whole-app scenario when the burst did not run', () => {
    expect(costScenarios(base, undefined).some((scenario) => scenario.name.includes('whole-app'))).toBe(
      false,
    );
  });
});
