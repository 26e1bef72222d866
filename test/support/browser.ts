import type { Page } from 'playwright-core';
import { freePort, startStack, type RunningStack } from '@image-derivatives/devhost';
import { launchChromium, type Browser } from '../../scripts/chromium';
import { repoRoot, requireCompiledApp } from './e2eStack';

/**
 * One home for the browser tests' setup: Debian's Chromium (scripts/chromium.ts, through playwright-core) and a
 * local stack of their own, as `npm start` runs it.
 */

/**
 * Launches Chromium and starts the compiled app on a stack with its own in-memory Azurite and its own Cosmos
 * server (the console lists every document; the shared server holds other tests' documents), all on free ports.
 */
export async function startBrowserStack(
  settings?: Record<string, string>,
): Promise<{ browser: Browser; stack: RunningStack }> {
  requireCompiledApp();
  const browser = await launchChromium();
  const stack = await startStack({
    appRoot: repoRoot,
    port: 0,
    azurite: {
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location: 'memory',
    },
    cosmos: { port: await freePort() },
    ...(settings ? { settings } : {}),
    quiet: true,
  });
  return { browser, stack };
}

/**
 * A new page whose uncaught script errors are pushed to `errors`; with `policyRefusals`, also the console's
 * Content-Security-Policy refusals (expected 4xx answers are the tests' own business).
 */
export async function openPage(
  browser: Browser,
  errors: string[],
  options: { policyRefusals?: boolean } = {},
): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  if (options.policyRefusals) {
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
        errors.push(message.text());
      }
    });
  }
  return page;
}
