/// <reference lib="dom" />
import type { ContainerClient } from '@azure/storage-blob';
import type { CosmosClient, Container } from '@azure/cosmos';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '@image-derivatives/devhost';
import type { Browser } from '../../scripts/chromium';
import { makeLandscape, PALETTES } from '../../scripts/scenes';
import { documentIdFor } from '../../src/domain/ids';
import type { ImageDocument, SizeSpec } from '../../src/domain/types';
import { openPage, startBrowserStack } from '../support/browser';
import { stackClients, UNPROCESSED, uploadBlob, waitFor } from '../support/e2eStack';

/**
 * The console's backfill panel in Chromium against the local stack: a new size (`xl`) for every stored image,
 * started from the form and followed to the end, and a second start refused with 409 while one runs, in words.
 * As in test/e2e/backfill.test.ts, the app's size catalog is fixed when it loads, so the stack runs with `xl`
 * from the start and the stored documents are made to look as they did before `xl` existed.
 */
const XL: SizeSpec = { label: 'xl', width: 96, height: 96, fit: 'inside', formats: ['source'] };
const SIZES: SizeSpec[] = [
  { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
  XL,
];
const NAMES = ['users/dev-user/aa-dusk.jpg', 'users/dev-user/bb-meadow.jpg'];

let stack: RunningStack;
let browser: Browser;
let page: Page;
let sources: ContainerClient;
let output: ContainerClient;
let cosmos: CosmosClient;
let documents: Container;
const pageErrors: string[] = [];

async function readDocument(name: string): Promise<ImageDocument | undefined> {
  const id = documentIdFor(UNPROCESSED, name);
  return (await documents.item(id, id).read<ImageDocument>()).resource;
}

/** Every stored image as it was before `xl` existed: no xl variant in its document, no xl derivative. */
async function withoutXl(): Promise<void> {
  for (const name of NAMES) {
    const document = await readDocument(name);
    if (!document) throw new Error(`no document for ${name}`);
    for (const variant of document.variants.filter((v) => v.label === XL.label)) {
      await output.getBlobClient(variant.blobName).deleteIfExists();
    }
    await documents.items.upsert({
      ...document,
      variants: document.variants.filter((v) => v.label !== XL.label),
    });
  }
}

async function counters(): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('#backfill-progress [data-counter]')].map((dd) => [
        dd.dataset.counter ?? '',
        Number(dd.textContent),
      ]),
    ),
  );
}

beforeAll(async () => {
  ({ browser, stack } = await startBrowserStack({
    IMAGE_SIZES: JSON.stringify(SIZES),
    BACKFILL_POLL_SECONDS: '2',
  }));
  ({ unprocessed: sources, processed: output, cosmos, documents } = stackClients(stack));
  for (const [index, name] of NAMES.entries()) {
    const photo = await makeLandscape(400 + index * 40, 260, index === 0 ? PALETTES.dusk : PALETTES.meadow);
    await uploadBlob(sources, name, photo, 'image/jpeg');
  }
  for (const name of NAMES) {
    await waitFor(
      `the document of ${name}`,
      async () => {
        const document = await readDocument(name);
        return document?.status === 'completed' && document.variants.length === SIZES.length
          ? document
          : undefined;
      },
      30_000,
      100,
    );
  }
  await withoutXl();
  page = await openPage(browser, pageErrors);
});

afterAll(async () => {
  cosmos?.dispose();
  await browser?.close();
  await stack?.stop();
});

describe('the console backfill panel', () => {
  it('starts a backfill of a new size for every stored image and follows it to completion', async () => {
    await page.goto(stack.consoleUrl);
    await page.locator('#backfill-form').waitFor();
    await page.fill('#backfill-prefix', 'users/dev-user/');
    await page.locator('#backfill-sizes input[value="thumb"]').uncheck();
    await page.selectOption('#backfill-only', 'missing');
    await page.click('#backfill-start');

    await page.locator('#backfill-progress[data-state="Completed"]').waitFor({ timeout: 30_000 });
    expect(await counters()).toEqual({ listed: 2, started: 2, skipped: 0, completed: 2, failed: 0 });
    expect(await page.locator('#backfill-progress .backfill-note').textContent()).toBe(
      '2 of 2 listed images decided: 2 rendered, 0 needed nothing, 0 failed.',
    );
    expect(await page.locator('#backfill-progress .backfill-head').textContent()).toMatch(
      /^Backfill completed · missing xl · blobs under “users\/dev-user\/” · backfill-[0-9a-z]+$/,
    );
    // The real effect: every image has the new size, at its box, and nothing else was redone.
    for (const name of NAMES) {
      const document = await readDocument(name);
      const xl = document?.variants.find((v) => v.label === 'xl');
      expect(xl?.width).toBe(96);
      expect((await output.getBlobClient(xl?.blobName ?? '').getProperties()).contentLength).toBe(
        xl?.sizeBytes,
      );
      expect(document?.variants.map((v) => v.label).sort()).toEqual(['thumb', 'xl']);
    }
    expect(pageErrors).toEqual([]);
  });

  it('says in words that a backfill is already running (409) and follows that one instead', async () => {
    // One backfill running (every image, xl again: at least one poll of 2 s before it can end)...
    const running = await fetch(`${stack.baseUrl}/api/backfill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sizes: ['xl'], only: 'all' }),
    });
    expect(running.status).toBe(202);
    const { id } = (await running.json()) as { id: string };
    // ...and a second one started from the console over an overlapping prefix.
    await page.click('#backfill-start');
    const message = page.locator('#backfill-message');
    await message.waitFor({ state: 'visible' });
    expect(await message.textContent()).toBe(
      `Not started: backfill ${id} is still running over the same images (every blob, all xl). ` +
        'Its progress is shown below; start again when it has ended.',
    );
    await page
      .locator(`#backfill-progress[data-instance="${id}"][data-state="Completed"]`)
      .waitFor({ timeout: 30_000 });
    expect(await counters()).toEqual({ listed: 2, started: 2, skipped: 0, completed: 2, failed: 0 });
    expect(pageErrors).toEqual([]);
  });
});
