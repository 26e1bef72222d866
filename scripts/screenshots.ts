/// <reference lib="dom" />
/**
 * `npm run screenshots`: starts the local stack on free ports, uploads photos through the upload page in
 * Debian's Chromium, and saves docs/screenshots/site.png and docs/screenshots/console.png (shown in the README).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, startStack } from '@image-derivatives/devhost';
import { launchChromium } from './chromium';
import { makeLandscape, PALETTES } from './scenes';

const repoRoot = path.resolve(__dirname, '../..');
const outDir = path.join(repoRoot, 'docs', 'screenshots');

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const stack = await startStack({
    appRoot: repoRoot,
    port: 0,
    azurite: {
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location: 'memory',
    },
    cosmos: { port: await freePort() },
    quiet: true,
  });
  const browser = await launchChromium({ width: 1100, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(stack.siteUrl);
    await page.setInputFiles('#file-input', [
      {
        name: 'lake-at-dusk.jpg',
        mimeType: 'image/jpeg',
        buffer: await makeLandscape(2400, 1600, PALETTES.dusk),
      },
      { name: 'notes.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 not a photo') },
    ]);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.upload')].every((card) =>
        ['done', 'refused'].includes((card as HTMLElement).dataset.state ?? ''),
      ),
    );
    await page.setInputFiles('#file-input', [
      {
        name: 'meadow.jpg',
        mimeType: 'image/jpeg',
        buffer: await makeLandscape(1800, 1200, PALETTES.meadow),
      },
    ]);
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.upload[data-state="done"]').length === 2 &&
        [...document.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0),
    );
    await page.screenshot({ path: path.join(outDir, 'site.png'), fullPage: true });

    // A file that claims to be a JPEG but is not: the console shows its failed document too.
    await page.setInputFiles('#file-input', [
      { name: 'scan.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('name,likes\ncat.jpg,42\n') },
    ]);
    await page.waitForSelector('.upload[data-state="failed"]');

    await page.goto(stack.consoleUrl);
    await page.waitForSelector('.image-row[data-status="failed"]');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0),
    );
    // A backfill of the thumbnails, followed to its end (every image already has one: all skipped).
    await page.locator('#backfill-form').waitFor();
    for (const label of ['medium', 'large'])
      await page.locator(`#backfill-sizes input[value="${label}"]`).uncheck();
    await page.click('#backfill-start');
    await page.locator('#backfill-progress[data-state="Completed"]').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(outDir, 'console.png'), fullPage: true });
    console.log(`screenshots: ${path.join(outDir, 'site.png')} ${path.join(outDir, 'console.png')}`);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`screenshots: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
