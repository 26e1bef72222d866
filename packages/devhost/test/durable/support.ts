import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadFunctionApp, type LoadedFunctionApp } from '../../src/functions';
import { createDurableEngine, type DurableEngine } from '../../src/durable';
import type { DurableLogger } from '../../src/durable';

export const fixtureRoot = path.resolve(__dirname, '../fixtures/durable-app');

/** What the fixture's activities record (test/fixtures/durable-app/functions/control.js). */
export interface FixtureControl {
  calls: Array<{ fn: string; input: unknown; attempt?: number; instanceId?: string }>;
  active: number;
  maxActive: number;
  attempts: Record<string, number>;
  gate: { opened: Promise<void>; open: () => void } | undefined;
}

declare global {
  var durableFixture: FixtureControl | undefined;
}

export function fixture(): FixtureControl {
  globalThis.durableFixture ??= { calls: [], active: 0, maxActive: 0, attempts: {}, gate: undefined };
  return globalThis.durableFixture;
}

/** Loads the durable fixture app through the real local Functions host loader (once per test file/process). */
export function loadFixtureApp(hostName?: string): Promise<LoadedFunctionApp> {
  return loadFunctionApp(fixtureRoot, {
    logger: () => undefined,
    applyLocalSettings: false,
    ...(hostName ? { hostName } : {}),
  });
}

/** A task hub of its own for every engine under test, so tables never collide. */
export function uniqueHub(): string {
  return `T${randomBytes(6).toString('hex')}`;
}

export const logs: string[] = [];
export const testLogger: DurableLogger = (level, message) => logs.push(`${level}: ${message}`);

export async function startEngine(
  app: LoadedFunctionApp,
  options: {
    taskHub?: string;
    maxConcurrentActivities?: number;
    publicBaseUrl?: string;
    stopGraceMs?: number;
  } = {},
): Promise<DurableEngine> {
  const engine = await createDurableEngine({
    invoker: app.invoker,
    tableConnectionString: inject('azuriteConnectionString'),
    taskHub: options.taskHub ?? uniqueHub(),
    maxConcurrentActivities: options.maxConcurrentActivities ?? 4,
    publicBaseUrl: options.publicBaseUrl ?? 'http://127.0.0.1:7071',
    logger: testLogger,
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
  });
  app.useDurableHost(engine);
  await engine.start();
  return engine;
}
