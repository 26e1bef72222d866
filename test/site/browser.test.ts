/// <reference lib="dom" />
import { BlobServiceClient } from '@azure/storage-blob';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '@image-derivatives/devhost';
import type { Browser } from '../../scripts/chromium';
import { makeLandscape, PALETTES } from '../../scripts/scenes';
import type { ImageDocument } from '../../src/domain/types';
import { openPage, startBrowserStack } from '../support/browser';

/**
 * The upload page and the console in a real browser (Debian's Chromium through playwright-core) against the
 * local stack as `npm start` runs it: CORS preflight to Azurite, PUT with the SAS, the pipeline, blob-level
 * public read of the derivatives, the console API and reprocess.
 */
let stack: RunningStack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

interface Card {
  state: string;
  blob: string;
  progress: number;
  message: string;
  errorCode: string;
}

async function cards(): Promise<Record<string, Card>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll<HTMLElement>('.upload')].map((card) => [
        card.querySelector('.upload-name')?.textContent ?? '',
        {
          state: card.dataset.state ?? '',
          blob: card.dataset.blob ?? '',
          progress: card.querySelector('progress')?.value ?? -1,
          message: card.querySelector('.upload-message')?.textContent ?? '',
          errorCode: card.dataset.errorCode ?? '',
        },
      ]),
    ),
  );
}

async function status(
  blobName: string,
): Promise<{ document: ImageDocument | null; instanceId: string | null }> {
  const response = await fetch(`${stack.baseUrl}/api/images/${blobName}`);
  return (await response.json()) as { document: ImageDocument | null; instanceId: string | null };
}

beforeAll(async () => {
  ({ browser, stack } = await startBrowserStack());
  page = await openPage(browser, pageErrors, { policyRefusals: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the upload page', () => {
  it('uploads two photos through the file input: progress reaches 100 % and every derivative loads', async () => {
    await page.goto(stack.siteUrl);
    // Every value the progress bars take, in order.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { progressSeen: number[] }).progressSeen = seen;
      new MutationObserver((records) => {
        for (const record of records) seen.push(Number((record.target as HTMLProgressElement).value));
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });
    // Every request the page makes to Blob Storage: one Put Blob per file, the one upload a `c` SAS allows.
    const blobOrigin = new URL(/BlobEndpoint=([^;]+)/.exec(stack.connectionString)?.[1] ?? 'http://missing')
      .origin;
    const storageRequests: { method: string; query: string; blobType: string | undefined }[] = [];
    const onRequest = (request: import('playwright-core').Request): void => {
      // Reads (the derivatives load from the same local account) aside: every write the page makes.
      if (new URL(request.url()).origin !== blobOrigin || request.method() === 'GET') return;
      storageRequests.push({
        method: request.method(),
        query: new URL(request.url()).searchParams.get('comp') ?? '',
        blobType: request.headers()['x-ms-blob-type'],
      });
    };
    page.on('request', onRequest);
    await page.setInputFiles('#file-input', [
      { name: 'dusk.jpg', mimeType: 'image/jpeg', buffer: await makeLandscape(1600, 1067, PALETTES.dusk) },
      { name: 'meadow.jpg', mimeType: 'image/jpeg', buffer: await makeLandscape(1200, 800, PALETTES.meadow) },
    ]);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.upload')].filter((c) => c.dataset.state === 'done')
          .length === 2,
      undefined,
      { timeout: 30_000 },
    );
    page.off('request', onRequest);
    expect(storageRequests).toEqual([
      { method: 'PUT', query: '', blobType: 'BlockBlob' },
      { method: 'PUT', query: '', blobType: 'BlockBlob' },
    ]);
    const shown = await cards();
    expect(shown['dusk.jpg']).toMatchObject({ state: 'done', progress: 100 });
    expect(shown['meadow.jpg']).toMatchObject({ state: 'done', progress: 100 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
    expect(seen.at(-1)).toBe(100);

    // Every derivative of both documents is on the page and decoded by the browser at its own size.
    await page.waitForFunction(() => [...document.images].every((img) => img.complete), undefined, {
      timeout: 15_000,
    });
    const images = await page.evaluate(() =>
      [...document.images].map((img) => ({
        src: img.currentSrc || img.src,
        naturalWidth: img.naturalWidth,
        naturalHeight: img.naturalHeight,
        variant: img.classList.contains('variant-img'),
      })),
    );
    for (const name of ['dusk.jpg', 'meadow.jpg']) {
      const { document } = await status(shown[name]?.blob ?? '');
      expect(document?.status).toBe('completed');
      expect(document?.variants.map((v) => v.label).sort()).toEqual(['large', 'medium', 'thumb']);
      for (const variant of document?.variants ?? []) {
        const img = images.find((candidate) => candidate.variant && candidate.src === variant.url);
        expect(img, variant.url).toMatchObject({
          naturalWidth: variant.width,
          naturalHeight: variant.height,
        });
      }
      // The <picture> shows one of the document's variants, chosen by the browser from the srcset.
      const urls = new Set(document?.variants.map((v) => v.url));
      expect(images.some((img) => !img.variant && urls.has(img.src) && img.naturalWidth > 0)).toBe(true);
    }
    // Each real upload's document has a placeholder, and the page painted it behind the <picture>: the
    // thumbhash decoded to a PNG data URL over the document's dominant colour.
    const frames = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.upload .frame')].map((frame) => ({
        image: frame.style.backgroundImage,
        colour: frame.style.backgroundColor,
      })),
    );
    expect(frames).toHaveLength(2);
    const rgb = (hex: string) =>
      `rgb(${[1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16)).join(', ')})`;
    for (const name of ['dusk.jpg', 'meadow.jpg']) {
      const { document } = await status(shown[name]?.blob ?? '');
      const placeholder = document?.placeholder;
      expect(placeholder, name).toMatchObject({
        thumbhash: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
        dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/),
      });
      const frame = frames.find((candidate) => candidate.colour === rgb(placeholder?.dominantColor ?? ''));
      expect(frame?.image, name).toMatch(/^url\("data:image\/png;base64,/);
    }

    const dusk = (await status(shown['dusk.jpg']?.blob ?? '')).document;
    expect(dusk?.variants.find((v) => v.label === 'large')).toMatchObject({ width: 1280, height: 854 });
    expect(shown['dusk.jpg']?.blob).toMatch(/^users\/dev-user\/[0-9a-f]{16}-dusk\.jpg$/);
  });

  it('refuses a non-image before any byte is sent, and says why', async () => {
    await page.setInputFiles('#file-input', [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') },
    ]);
    await page.waitForSelector('.upload[data-state="refused"]');
    const notes = (await cards())['notes.txt'];
    expect(notes?.message).toBe(
      'notes.txt is "text/plain", not a photo: only image types are accepted (JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC)',
    );
    // A name with a right-to-left override ("gpj.exe" shown as "exe.jpg"): the card and the server's message
    // both show it without the override.
    await page.setInputFiles('#file-input', [
      { name: 'invoice\u202egpj.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') },
    ]);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLElement>('.upload[data-state="refused"] .upload-name')].some(
        (name) => name.textContent === 'invoicegpj.exe',
      ),
    );
    const shown = await cards();
    expect(Object.keys(shown).filter((name) => /[\u202a-\u202e\u2066-\u2069]/.test(name))).toEqual([]);
    expect(shown['invoicegpj.exe']?.message).toBe(
      'invoicegpj.exe is "application/x-msdownload", not a photo: only image types are accepted (JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC)',
    );
    const blobs = BlobServiceClient.fromConnectionString(stack.connectionString).getContainerClient(
      'images-unprocessed',
    );
    for await (const blob of blobs.listBlobsFlat()) expect(blob.name).not.toContain('notes');
  });

  it('sniffs a photo the browser gave no type (no extension) from its first bytes, and processes it', async () => {
    await page.setInputFiles('#file-input', [
      { name: 'DSC0042', mimeType: '', buffer: await makeLandscape(480, 320, PALETTES.meadow) },
    ]);
    await page.waitForFunction(
      () =>
        !['waiting', 'requesting', 'uploading', 'processing'].includes(
          document.querySelector<HTMLElement>('.upload')?.dataset.state ?? '',
        ),
      undefined,
      { timeout: 30_000 },
    );
    const card = (await cards()).DSC0042;
    expect(card, JSON.stringify(card)).toMatchObject({ state: 'done', progress: 100 });
    const stored = (await status(card?.blob ?? '')).document;
    expect(stored?.sourceContentType).toBe('image/jpeg');
  });

  it('draws a small landscape at its own width and a tall portrait within the height limit; `sizes` says the drawn width', async () => {
    await page.setInputFiles('#file-input', [
      {
        name: 'small.webp',
        mimeType: 'image/webp',
        buffer: await sharp(await makeLandscape(300, 200, PALETTES.dusk))
          .webp()
          .toBuffer(),
      },
      {
        name: 'tower.jpg',
        mimeType: 'image/jpeg',
        buffer: await sharp(await makeLandscape(1800, 600, PALETTES.meadow))
          .rotate(90)
          .jpeg()
          .toBuffer(),
      },
    ]);
    const drawn = async (name: string) => {
      await page.waitForFunction(
        (wanted) =>
          [...document.querySelectorAll<HTMLElement>('.upload')].some(
            (card) =>
              card.querySelector('.upload-name')?.textContent === wanted &&
              card.dataset.state === 'done' &&
              card.querySelector<HTMLImageElement>('.picture-img')?.complete === true,
          ),
        name,
        { timeout: 30_000 },
      );
      return page.evaluate((wanted) => {
        const card = [...document.querySelectorAll<HTMLElement>('.upload')].find(
          (candidate) => candidate.querySelector('.upload-name')?.textContent === wanted,
        );
        const img = card?.querySelector<HTMLImageElement>('.picture-img');
        const box = img?.getBoundingClientRect();
        const sizes = img?.sizes ?? '';
        return {
          srcset: img?.srcset ?? '',
          sources: [...(card?.querySelectorAll('source') ?? [])].map((source) => source.srcset),
          sizes,
          // The length `sizes` resolves to at this window width (its last entry: the window is wider).
          sizesPx: Number(/(\d+)px$/.exec(sizes)?.[1]),
          width: Math.round(box?.width ?? 0),
          height: Math.round(box?.height ?? 0),
          naturalWidth: img?.naturalWidth ?? 0,
        };
      }, name);
    };
    const widths = (set: string) =>
      set.split(', ').map((candidate) => Number(/ (\d+)w$/.exec(candidate)?.[1]));

    const small = await drawn('small.webp');
    // medium and large of a 300 px wide source are both 300 px wide: one candidate, not two `300w`.
    expect(widths(small.srcset)).toEqual([150, 300]);
    for (const set of small.sources) expect(new Set(widths(set)).size).toBe(widths(set).length);
    expect([small.width, small.height, small.sizesPx]).toEqual([300, 200, 300]);

    const tower = await drawn('tower.jpg');
    expect(tower.height).toBeLessThanOrEqual(640);
    expect(tower.height).toBeGreaterThan(600);
    expect(tower.width).toBe(tower.sizesPx);
    expect(tower.width).toBeLessThan(tower.height);
    expect(pageErrors).toEqual([]);
  });

  it('keeps polling past two minutes with backoff, says so, and after 30 minutes links the status instead', async () => {
    const slow = await browser.context.newPage();
    try {
      await slow.clock.install();
      await slow.goto(stack.siteUrl);
      // The document never appears for this page: every status read answers 404 (not written yet).
      let statusReads = 0;
      await slow.route('**/api/images/**', async (route) => {
        statusReads += 1;
        await route.fulfill({ status: 404, json: { error: 'not-found', message: 'not yet' } });
      });
      await slow.setInputFiles('#file-input', [
        { name: 'slow.jpg', mimeType: 'image/jpeg', buffer: await makeLandscape(320, 200, PALETTES.dusk) },
      ]);
      const card = slow.locator('.upload').first();
      await slow.waitForFunction(
        () => document.querySelector<HTMLElement>('.upload')?.dataset.state === 'processing',
      );
      await slow.waitForFunction(() =>
        /making sizes/.test(document.querySelector('.upload-state')?.textContent ?? ''),
      );
      const stateText = () => card.locator('.upload-state').textContent();
      await slow.clock.fastForward(121_000);
      await slow.waitForFunction(
        () => document.querySelector('.upload-state')?.textContent === 'Still processing',
      );
      expect(await card.locator('.upload-message').textContent()).toMatch(/keeps checking/);
      // Still polling after the notice.
      const readsAtNotice = statusReads;
      await slow.clock.fastForward(10_000);
      await expect.poll(() => statusReads, { timeout: 5_000 }).toBeGreaterThan(readsAtNotice);
      expect(await stateText()).toBe('Still processing');
      // Bounded: after 30 minutes it stops and links the status.
      await slow.clock.fastForward(30 * 60_000);
      await slow.waitForFunction(
        () => document.querySelector('.upload-state')?.textContent === 'Not finished',
      );
      expect(await card.locator('.upload-message a').getAttribute('href')).toMatch(/\/api\/images\/users\//);
    } finally {
      await slow.close();
    }
  });

  it('explains a failed document by its error code in words', async () => {
    await page.setInputFiles('#file-input', [
      { name: 'scan.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('name,likes\ncat.jpg,42\n') },
    ]);
    await page.waitForSelector('.upload[data-state="failed"]', { timeout: 30_000 });
    expect((await cards())['scan.jpg']).toMatchObject({
      progress: 100,
      errorCode: 'not-an-image',
      message: 'This file is not an image: its contents are not a picture format we know.',
    });
  });

  it('says why an upload failed when storage refuses the PUT', async () => {
    // A SAS whose signature no longer matches: Azurite refuses it as Azure would (403 AuthenticationFailed).
    await page.route('**/api/uploads', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { uploadUrl: string };
      body.uploadUrl = body.uploadUrl.replace(/sig=[^&]+/, 'sig=AAAA');
      await route.fulfill({ response, json: body });
    });
    await page.setInputFiles('#file-input', [
      { name: 'forged.jpg', mimeType: 'image/jpeg', buffer: await makeLandscape(320, 200, PALETTES.meadow) },
    ]);
    await page.waitForSelector('.upload[data-state="upload-failed"]');
    await page.unroute('**/api/uploads');
    expect((await cards())['forged.jpg']?.message).toMatch(
      // Azure answers AuthenticationFailed; Azurite names it AuthorizationFailure.
      /^Storage refused the upload \((AuthenticationFailed|AuthorizationFailure)\): Server failed to authenticate the request/,
    );
  });
});

describe('the page modules in the browser', () => {
  interface PictureModule {
    paintPlaceholder: (frame: HTMLElement, placeholder: unknown) => boolean;
    pictureOf: (variants: unknown[], alt: string, source?: { width: number; height: number }) => HTMLElement;
  }
  beforeAll(async () => {
    // A string, so the test runner's transform leaves the browser's own import() alone.
    await page.evaluate(
      'import(new URL("picture.js", document.baseURI).href).then((module) => { window.pictureModule = module; })',
    );
  });
  it('paints the thumbhash placeholder (thumbhash served as an ES module) over the dominant colour', async () => {
    const { rgbaToThumbHash } = await import('thumbhash');
    const { data, info } = await sharp(await makeLandscape(100, 66, PALETTES.dusk))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const thumbhash = Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
    const painted = await page.evaluate(async (hash) => {
      const picture = (window as unknown as { pictureModule: PictureModule }).pictureModule;
      const frame = document.createElement('div');
      const withHash = picture.paintPlaceholder(frame, { thumbhash: hash, dominantColor: '#2b3a67' });
      const url = /url\("(.*)"\)/.exec(frame.style.backgroundImage)?.[1] ?? '';
      const img = new Image();
      img.src = url;
      await img.decode();
      const colourOnly = document.createElement('div');
      picture.paintPlaceholder(colourOnly, { dominantColor: '#2b3a67' });
      return {
        withHash,
        url: url.slice(0, 22),
        width: img.naturalWidth,
        colour: colourOnly.style.backgroundColor,
      };
    }, thumbhash);
    expect(painted).toMatchObject({
      withHash: true,
      url: 'data:image/png;base64,',
      colour: 'rgb(43, 58, 103)',
    });
    expect(painted.width).toBeGreaterThan(0);
  });

  it('builds <picture> sources from the formats present at every width, newest first, JPEG as the <img>', async () => {
    const markup = await page.evaluate(() => {
      const picture = (window as unknown as { pictureModule: PictureModule }).pictureModule;
      const variant = (label: string, format: string, width: number) => ({
        label,
        format,
        width,
        height: width / 2,
        contentType: `image/${format}`,
        url: `${location.origin}/derivatives/${label}.${format}`,
        sizeBytes: 1,
      });
      return picture.pictureOf(
        [
          variant('thumb', 'jpeg', 150),
          variant('large', 'jpeg', 1280),
          variant('thumb', 'webp', 150),
          variant('thumb', 'avif', 150),
          variant('large', 'avif', 1280),
        ],
        'a photo',
      ).outerHTML;
    });
    // Same-origin URLs: the page's CSP would (rightly) refuse any other host.
    const o = `${stack.baseUrl}/derivatives`;
    const sources = [...markup.matchAll(/<source type="([^"]+)" srcset="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    // WebP exists for the thumb only: no <source> for it (it would fill every slot with the 150-px thumb).
    expect(sources).toEqual([['image/avif', `${o}/thumb.avif 150w, ${o}/large.avif 1280w`]]);
    expect(markup).toContain(`src="${o}/large.jpeg" srcset="${o}/thumb.jpeg 150w, ${o}/large.jpeg 1280w"`);
  });
  /** Renders `pictureOf` in the page at `viewportWidth`, waits for its <img> to settle, and reports the pick. */
  async function pick(
    variants: { label: string; format: string; width: number; height: number }[],
    source: { width: number; height: number },
    viewportWidth: number,
  ): Promise<{ currentSrc: string; markup: string; width: string | null; height: string | null }> {
    const before = page.viewportSize();
    await page.setViewportSize({ width: viewportWidth, height: 900 });
    try {
      return await page.evaluate(
        async ({ variants, source }) => {
          const picture = (window as unknown as { pictureModule: PictureModule }).pictureModule;
          const full = variants.map((v) => ({
            ...v,
            contentType: `image/${v.format}`,
            url: `${location.origin}/derivatives/${v.label}.${v.format}`,
            sizeBytes: 1,
          }));
          const element = picture.pictureOf(full, 'a photo', source);
          const img = element.querySelector('img')!;
          const settled = new Promise((resolve) => {
            img.addEventListener('load', resolve, { once: true });
            img.addEventListener('error', resolve, { once: true });
          });
          document.body.append(element);
          await settled;
          const result = {
            currentSrc: img.currentSrc,
            markup: element.outerHTML,
            width: img.getAttribute('width'),
            height: img.getAttribute('height'),
          };
          element.remove();
          return result;
        },
        { variants, source },
      );
    } finally {
      if (before) await page.setViewportSize(before);
    }
  }

  it('leaves a square cover label out of the srcset: a 1280-px viewport picks a landscape variant', async () => {
    const errorsBefore = pageErrors.length;
    const chosen = await pick(
      [
        { label: 'sq', format: 'avif', width: 300, height: 300 },
        { label: 'sq', format: 'jpeg', width: 300, height: 300 },
        { label: 'medium', format: 'jpeg', width: 640, height: 427 },
        { label: 'medium', format: 'webp', width: 640, height: 427 },
        { label: 'large', format: 'jpeg', width: 1280, height: 853 },
        { label: 'large', format: 'webp', width: 1280, height: 853 },
      ],
      { width: 4000, height: 2667 },
      1280,
    );
    const o = `${stack.baseUrl}/derivatives`;
    expect(chosen.currentSrc).toBe(`${o}/large.webp`);
    expect(chosen.markup).not.toContain('sq.');
    expect(chosen.markup).not.toContain('image/avif');
    expect([chosen.width, chosen.height]).toEqual(['1280', '853']);
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
  });

  it('a 1280-px slot loads the large JPEG when only the thumb has WebP and AVIF (no thumb-only <source>)', async () => {
    const errorsBefore = pageErrors.length;
    const chosen = await pick(
      [
        { label: 'thumb', format: 'jpeg', width: 150, height: 100 },
        { label: 'thumb', format: 'webp', width: 150, height: 100 },
        { label: 'thumb', format: 'avif', width: 150, height: 100 },
        { label: 'medium', format: 'jpeg', width: 640, height: 427 },
        { label: 'large', format: 'jpeg', width: 1280, height: 853 },
      ],
      { width: 3000, height: 2000 },
      1280,
    );
    const o = `${stack.baseUrl}/derivatives`;
    // The frame is 678 px wide in a 1280-px window, so the 1280w candidate is the one Chromium takes.
    expect(chosen.currentSrc).toBe(`${o}/large.jpeg`);
    expect(chosen.markup).not.toContain('<source');
    expect([chosen.width, chosen.height]).toEqual(['1280', '853']);
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
  });

  it('a cover-only plan lists ONE shape (the closest to the source), never squares beside strips', async () => {
    const errorsBefore = pageErrors.length;
    const chosen = await pick(
      [
        { label: 'sq', format: 'jpeg', width: 300, height: 300 },
        { label: 'ent', format: 'jpeg', width: 200, height: 100 },
      ],
      { width: 1200, height: 800 },
      1280,
    );
    const o = `${stack.baseUrl}/derivatives`;
    expect(chosen.markup).toContain(`src="${o}/ent.jpeg" srcset="${o}/ent.jpeg 200w"`);
    expect(chosen.markup).not.toContain('sq.');
    expect(chosen.currentSrc).toBe(`${o}/ent.jpeg`);
    expect([chosen.width, chosen.height]).toEqual(['200', '100']);
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
  });

  it("a 2x3 source's own 2x3 variant is the <img>, not a 2x2 crop; a transparent one falls back to PNG", async () => {
    const tiny = await pick(
      [
        { label: 'thumb', format: 'jpeg', width: 2, height: 2 },
        { label: 'medium', format: 'jpeg', width: 2, height: 3 },
      ],
      { width: 2, height: 3 },
      1280,
    );
    const o = `${stack.baseUrl}/derivatives`;
    expect(tiny.markup).not.toContain('thumb.');
    expect([tiny.width, tiny.height]).toEqual(['2', '3']);
    const transparent = await pick(
      [
        { label: 'large', format: 'jpeg', width: 1280, height: 853 },
        { label: 'large', format: 'png', width: 1280, height: 853 },
      ],
      { width: 3000, height: 2000 },
      1280,
    );
    expect(transparent.markup).toContain(`src="${o}/large.png" srcset="${o}/large.png 1280w"`);
    expect(transparent.markup).not.toContain('large.jpeg');
  });

  it('renders a WebP/AVIF-only plan: AVIF as the <source>, WebP as the <img>, no error', async () => {
    const errorsBefore = pageErrors.length;
    const chosen = await pick(
      [
        { label: 'medium', format: 'webp', width: 640, height: 480 },
        { label: 'medium', format: 'avif', width: 640, height: 480 },
        { label: 'large', format: 'webp', width: 1280, height: 960 },
        { label: 'large', format: 'avif', width: 1280, height: 960 },
      ],
      { width: 2000, height: 1500 },
      1280,
    );
    const o = `${stack.baseUrl}/derivatives`;
    const sources = [...chosen.markup.matchAll(/<source type="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(['image/avif']);
    expect(chosen.markup).toContain(`src="${o}/large.webp"`);
    // Chromium decodes AVIF, so the <source> wins. In a 1280-px window the frame is 678 px wide (`sizesFor`), so
    // the 640w candidate would be upscaled and the 1280w one is chosen.
    expect(chosen.markup).toContain('sizes="(max-width: 760px) calc(100vw - 82px), 678px"');
    expect(chosen.currentSrc).toBe(`${o}/large.avif`);
    expect([chosen.width, chosen.height]).toEqual(['1280', '960']);
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
  });
});

describe('the console', () => {
  it('lists the upload and reprocesses one size of it to completion', async () => {
    const dusk = (await cards())['dusk.jpg']?.blob ?? '';
    const before = (await status(dusk)).document;
    await page.goto(stack.consoleUrl);
    const row = page.locator(`.image-row[data-blob="${dusk}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('completed');
    expect(await row.locator('.chip').count()).toBe(3);
    // Newest first: the failed scan (uploaded last) is above the photos.
    const order = await page
      .locator('.image-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-blob')));
    expect(order.findIndex((name) => name?.endsWith('-scan.jpg'))).toBeLessThan(order.indexOf(dusk));

    // The failed scan: the image's status and the orchestration's are told apart (the run completed, the image
    // failed), so no green "Completed" stands for a failed image.
    const scan = page.locator('.image-row[data-status="failed"]').first();
    expect(await scan.locator('.doc-status').textContent()).toBe('Image failed');
    expect(await scan.locator('.row-run .badge').textContent()).toBe('Completed');
    expect(await scan.locator('.run-hint').textContent()).toBe('(the run ended; the image is failed)');
    const colours = await scan.evaluate((element) => ({
      image: getComputedStyle(element.querySelector('.doc-status .badge') as Element).backgroundColor,
      run: getComputedStyle(element.querySelector('.row-run .badge') as Element).backgroundColor,
    }));
    expect(colours.run).toBe('rgba(0, 0, 0, 0)');
    expect(colours.image).not.toBe(colours.run);

    await row.locator('select.size-select').selectOption('thumb');
    await row.locator('button[data-action="reprocess-one"]').click();
    const done = page.locator(`.image-row[data-blob="${dusk}"][data-run="Completed"]`);
    await done.waitFor({ timeout: 30_000 });
    expect(await done.locator('.run-state').textContent()).toBe(
      'Reprocess of thumb: run Completed · image completed · thumb: stored for this version with these ' +
        'settings: the run will re-record them without decoding or rewriting (derivative names are immutable ' +
        'per version; to change a rendition, give it a new label)',
    );

    // A new run wrote the document, and the thumb it recorded is the blob already stored: same name, same
    // eTag, not rewritten (derivative names are immutable per version).
    const after = (await status(dusk)).document;
    expect(after?.instanceId).toMatch(/-r[0-9a-z]+$/);
    const variant = (document: ImageDocument | null | undefined, label: string) =>
      document?.variants.find((v) => v.label === label);
    expect(variant(after, 'thumb')?.blobName).toBe(variant(before, 'thumb')?.blobName);
    expect(variant(after, 'thumb')?.eTag).toBe(variant(before, 'thumb')?.eTag);
    expect(variant(after, 'medium')).toEqual(variant(before, 'medium'));
    expect(pageErrors).toEqual([]);
  });

  it('answers HEAD on the pages as GET, without a body, through the local host', async () => {
    for (const url of [stack.siteUrl, stack.consoleUrl]) {
      const [get, head] = [await fetch(url), await fetch(url, { method: 'HEAD' })];
      const body = Buffer.from(await get.arrayBuffer());
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(head.headers.get('etag')).toBe(get.headers.get('etag'));
      expect(head.headers.get('content-length')).toBe(String(body.length));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    }
  });
});
