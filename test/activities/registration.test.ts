import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findAppRoot } from '../../src/config/hostConfig';
import type * as ResizeModule from '../../src/activities/resizeImage';
import type * as WriteModule from '../../src/activities/writeImageDocument';
import { testEnv } from '../support/env';

const repoRoot = path.resolve(__dirname, '../..');

describe('activity registration', () => {
  it('registers one resize activity per size of the catalog read at load time', async () => {
    const env = testEnv({
      IMAGE_SIZES: JSON.stringify([
        { label: 'tiny', width: 32, height: 32 },
        { label: 'hero', width: 1920, height: 1080 },
      ]),
    });
    for (const [name, value] of Object.entries(env)) if (value !== undefined) vi.stubEnv(name, value);
    // The catalog is read when the module loads, so it is imported after the environment is set.
    const { resizeActivityHandles }: typeof ResizeModule =
      await import('../../src/activities/resizeImage.js');
    expect([...resizeActivityHandles.keys()]).toEqual(['tiny', 'hero']);
    for (const handle of resizeActivityHandles.values()) expect(handle).toBeTypeOf('function');

    const { writeImageDocumentActivity }: typeof WriteModule =
      await import('../../src/activities/writeImageDocument.js');
    expect(writeImageDocumentActivity).toBeTypeOf('function');
  });

  it('finds the app root (the folder with host.json) from sources and from compiled output', () => {
    expect(findAppRoot(path.join(repoRoot, 'src', 'config'))).toBe(repoRoot);
    expect(findAppRoot(path.join(repoRoot, 'dist', 'src', 'config'))).toBe(repoRoot);
  });
});
