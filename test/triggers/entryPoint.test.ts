import { readdirSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEnv } from '../support/env';

const SRC = join(__dirname, '..', '..', 'src');

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const REGISTRATION = /\b(?:df\.)?app\.(?:client\.)?(?:http|eventGrid|generic|activity|orchestration|timer)\(/;

describe('src/index.ts (package.json "main")', () => {
  it('imports every module that registers functions', () => {
    const index = readFileSync(join(SRC, 'index.ts'), 'utf8');
    const registering = sourceFiles()
      .filter((file) => REGISTRATION.test(readFileSync(file, 'utf8')))
      .map((file) => `./${relative(SRC, file).replace(/\\/g, '/').replace(/\.ts$/, '')}`);
    expect(registering.length).toBeGreaterThanOrEqual(6);
    for (const module of registering) expect(index).toContain(`import '${module}';`);
  });

  it('nothing in src/ imports the local host', () => {
    const offenders = sourceFiles().filter((file) =>
      /(?:from\s+|require\(|import\()\s*['"][^'"]*devhost/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('registers every function with the host, with the bindings Azure needs', async () => {
    // Stand in for the Node worker's `@azure/functions-core` (as the worker does, via require) and capture
    // what the app registers when its entry point is loaded. This file runs in its own process (pool: forks).
    const registered = new Map<string, { bindings: Record<string, Record<string, unknown>> }>();
    const coreApi = {
      registerFunction: (metadata: { name: string; bindings: Record<string, Record<string, unknown>> }) => {
        registered.set(metadata.name, metadata);
        return { dispose: () => undefined };
      },
      setProgrammingModel: () => undefined,
      registerHook: () => ({ dispose: () => undefined }),
      log: () => undefined,
    };
    const moduleProto = Module.prototype as unknown as { require: (id: string) => unknown };
    const originalRequire = moduleProto.require;
    moduleProto.require = function (this: unknown, id: string) {
      return id === '@azure/functions-core' ? coreApi : originalRequire.call(this, id);
    };
    Object.assign(process.env, testEnv());
    try {
      await import('../../src/index.js');
    } finally {
      moduleProto.require = originalRequire;
    }

    const triggerOf = (name: string) =>
      Object.values(registered.get(name)?.bindings ?? {}).find((binding) =>
        /trigger$/i.test(String(binding.type)),
      );
    const hasDurableClient = (name: string) =>
      Object.values(registered.get(name)?.bindings ?? {}).some((binding) => binding.type === 'durableClient');

    expect([...registered.keys()].sort()).toEqual(
      [
        'backfill',
        'backfillOrchestrator',
        'checkBackfillRuns',
        'listSourcePage',
        'startBackfillRuns',
        'consoleImages',
        'consoleInstance',
        'createUpload',
        'deleteDroppedDerivatives',
        'deleteIntermediate',
        'deleteUnusedDerivatives',
        'findUnregisteredSizes',
        'handOffToCurrentVersion',
        'imageStatus',
        'makePlaceholder',
        'onImageUploaded',
        'prepareSource',
        'reprocessImage',
        'resize-large',
        'resize-medium',
        'resize-thumb',
        'resizeImageOrchestrator',
        'site',
        'writeImageDocument',
      ].sort(),
    );
    expect(triggerOf('onImageUploaded')).toMatchObject({ type: 'eventGridTrigger' });
    expect(hasDurableClient('onImageUploaded')).toBe(true);
    expect(triggerOf('resizeImageOrchestrator')).toMatchObject({ type: 'orchestrationTrigger' });
    expect(triggerOf('resize-thumb')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('prepareSource')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('findUnregisteredSizes')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('deleteIntermediate')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('makePlaceholder')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('imageStatus')).toMatchObject({
      type: 'httpTrigger',
      route: 'images/{*blobName}',
      methods: ['GET'],
      authLevel: 'anonymous',
    });
    expect(triggerOf('reprocessImage')).toMatchObject({
      type: 'httpTrigger',
      route: 'reprocess/{*blobName}',
      methods: ['POST'],
      authLevel: 'anonymous',
    });
    // Browsers call these (no function key); each checks the App Service authentication principal itself.
    expect(triggerOf('createUpload')).toMatchObject({
      route: 'uploads',
      methods: ['POST'],
      authLevel: 'anonymous',
    });
    expect(triggerOf('consoleImages')).toMatchObject({
      route: 'console/images',
      methods: ['GET'],
      authLevel: 'anonymous',
    });
    expect(triggerOf('consoleInstance')).toMatchObject({
      route: 'console/instances/{instanceId}',
      methods: ['GET'],
      authLevel: 'anonymous',
    });
    expect(hasDurableClient('consoleInstance')).toBe(true);
    expect(triggerOf('site')).toMatchObject({
      route: 'site/{*path}',
      methods: ['GET', 'HEAD'],
      authLevel: 'anonymous',
    });
    expect(triggerOf('backfill')).toMatchObject({
      type: 'httpTrigger',
      route: 'backfill',
      methods: ['GET', 'POST'],
      authLevel: 'anonymous',
    });
    expect(triggerOf('backfillOrchestrator')).toMatchObject({ type: 'orchestrationTrigger' });
    // The backfill's activities start and read runs through the Durable client.
    expect(hasDurableClient('startBackfillRuns') && hasDurableClient('checkBackfillRuns')).toBe(true);
    expect(hasDurableClient('consoleImages')).toBe(true);
    expect(hasDurableClient('imageStatus') && hasDurableClient('reprocessImage')).toBe(true);
    // The hand-off starts the instance of the source's current version, so it needs the client binding.
    expect(triggerOf('handOffToCurrentVersion')).toMatchObject({ type: 'activityTrigger' });
    expect(hasDurableClient('handOffToCurrentVersion')).toBe(true);
    expect(triggerOf('deleteUnusedDerivatives')).toMatchObject({ type: 'activityTrigger' });
    expect(triggerOf('deleteDroppedDerivatives')).toMatchObject({ type: 'activityTrigger' });
  });
});
