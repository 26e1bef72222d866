/**
 * Measures the local Durable engine's own overhead (no image work): start -> Completed latency of small
 * orchestrations and the throughput of a wide fan-out, on in-memory Azurite with the durable fixture app.
 *
 *   npm run build && node packages/devhost/dist/durable/measure.js
 *
 * A measurement for people, not a test: nothing here asserts a time.
 */
import path from 'node:path';
import { loadFunctionApp } from '../functions';
import { startAzurite } from '../services/azurite';
import { freePort } from '../services/ports';
import { createDurableEngine, type DurableEngine } from './index';

const RUNS = 20;

async function startToCompletionMs(engine: DurableEngine, name: string, input: unknown): Promise<number> {
  const started = performance.now();
  const id = await engine.startNew(name, { input });
  for (;;) {
    const record = await engine.getInstance(id);
    if (record?.runtimeStatus === 'Completed') return performance.now() - started;
    if (record && ['Failed', 'Terminated'].includes(record.runtimeStatus)) {
      throw new Error(`${name} ended ${record.runtimeStatus}: ${record.output ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function medianMs(engine: DurableEngine, name: string, input: unknown): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) times.push(await startToCompletionMs(engine, name, input));
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10;
}

async function main(): Promise<void> {
  const azurite = await startAzurite({
    ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
  });
  try {
    const app = await loadFunctionApp(path.resolve(__dirname, '../../test/fixtures/durable-app'), {
      logger: () => undefined,
      applyLocalSettings: false,
    });
    const engine = await createDurableEngine({
      invoker: app.invoker,
      tableConnectionString: azurite.connectionString,
      taskHub: `Measure${Date.now()}`,
      maxConcurrentActivities: 4,
      publicBaseUrl: 'http://127.0.0.1:7071',
      logger: () => undefined,
    });
    app.useDurableHost(engine);
    await engine.start();
    const results = {
      [`no activity, median of ${RUNS} (ms)`]: await medianMs(engine, 'countToThree', 3),
      [`Task.all of 3 activities, median of ${RUNS} (ms)`]: await medianMs(engine, 'wideFanOut', {
        count: 3,
        delayMs: 0,
      }),
      '100 activities, maxConcurrentActivities 4 (ms)': Math.round(
        await startToCompletionMs(engine, 'wideFanOut', { count: 100, delayMs: 0 }),
      ),
    };
    await engine.stop();
    console.table(results);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
