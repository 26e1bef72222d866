// The operator console: recent images newest first (paged), filters, each image's derivatives, errors and latest
// Durable run, reprocess (every size or one) and the backfill panel (backfill.js). A document's status
// (completed / partial / failed: what the image has) and its run's Durable runtime status (whether the
// orchestration ended) are two different facts and are shown apart.
import { ApiError, apiUrl, fetchJson, postJson } from './api.js';
import { h } from './dom.js';
import { initBackfill } from './backfill.js';
import { capitalise, errorInWords, exactBytes, formatBytes, formatDimensions, formatTime } from './format.js';
import { visibleText } from './text.js';

const PAGE_SIZE = 20;
const RUN_POLL_MS = 300;
const RUN_GIVE_UP_MS = 120_000;

const listElement = /** @type {HTMLOListElement} */ (document.getElementById('images'));
const moreButton = /** @type {HTMLButtonElement} */ (document.getElementById('more'));
const messageElement = /** @type {HTMLElement} */ (document.getElementById('console-message'));
const form = /** @type {HTMLFormElement} */ (document.getElementById('filters'));

let continuation = null;
let optionsFilled = false;

function showMessage(text) {
  messageElement.hidden = text === '';
  messageElement.textContent = text;
}

function badge(kind, text) {
  return h('span', { class: `badge ${kind}` }, [text]);
}

/** Polls a Durable status URL until the run ends; resolves with its runtimeStatus (the orchestration's, not the image's). */
async function waitForRun(statusUrl) {
  const started = Date.now();
  for (;;) {
    const status = await fetchJson(statusUrl);
    const runtimeStatus = status?.runtimeStatus ?? 'Unknown';
    if (!['Pending', 'Running', 'ContinuedAsNew'].includes(runtimeStatus)) return runtimeStatus;
    if (Date.now() - started > RUN_GIVE_UP_MS) return 'still running';
    await new Promise((resolve) => setTimeout(resolve, RUN_POLL_MS));
  }
}

/** Reprocess buttons: all sizes, or the one chosen. */
function reprocessControls(item, sizes, row) {
  const select = h(
    'select',
    { class: 'size-select', 'aria-label': 'Size to reprocess' },
    sizes.map((label) => h('option', { value: label }, [capitalise(label)])),
  );
  const runState = h('span', { class: 'run-state', 'aria-live': 'polite' });
  const start = async (sizesParameter) => {
    for (const button of row.querySelectorAll('button')) button.disabled = true;
    runState.textContent = 'Starting…';
    row.dataset.run = 'running';
    try {
      const query = sizesParameter ? `?sizes=${encodeURIComponent(sizesParameter)}` : '';
      const started = await postJson(`${item.reprocessUrl}${query}`);
      const what = sizesParameter ?? 'all sizes';
      // Names are immutable per version: what is stored (with these or other settings) is recorded again.
      const present = started.note ? ` · ${started.note}` : '';
      runState.textContent = `Reprocessing ${what}…${present}`;
      const outcome = await waitForRun(started.statusUrl);
      const lastRun = {
        outcome,
        text: (image) =>
          `Reprocess of ${what}: run ${outcome} · image ${image?.status ?? 'unknown'}${present}`,
      };
      // The row is replaced with the document as the run left it; its data-run and words come with it.
      if (!(await refreshRow(row, item.blobName, sizes, lastRun))) {
        row.dataset.run = outcome;
        runState.textContent = lastRun.text(undefined);
      }
    } catch (error) {
      row.dataset.run = 'error';
      runState.textContent = `Reprocess failed to start: ${error.message}`;
    } finally {
      for (const button of row.querySelectorAll('button')) button.disabled = false;
    }
  };
  const all = h('button', { type: 'button', class: 'button small', 'data-action': 'reprocess-all' }, [
    'Reprocess all',
  ]);
  const one = h(
    'button',
    { type: 'button', class: 'button small secondary', 'data-action': 'reprocess-one' },
    ['Reprocess size'],
  );
  all.addEventListener('click', () => void start(undefined));
  one.addEventListener('click', () => void start(select.value));
  return h('div', { class: 'actions' }, [all, h('span', { class: 'one-size' }, [select, one]), runState]);
}

/**
 * One image as a list row; `lastRun` is the outcome of a reprocess just watched from this console, if any.
 * @param {{ outcome: string, text: (item: any) => string } | undefined} [lastRun]
 */
function imageRow(item, sizes, lastRun) {
  const smallest = [...item.variants].sort((a, b) => a.width - b.width)[0];
  const thumb = smallest
    ? h('img', { class: 'row-thumb', src: smallest.url, alt: '' })
    : h('div', { class: 'row-thumb empty' }, ['—']);
  const run = item.instance;
  const variants = h(
    'ul',
    { class: 'chips' },
    [...item.variants]
      .sort((a, b) => a.width - b.width)
      .map((variant) =>
        h('li', { class: 'chip', 'data-label': variant.label }, [
          h('a', { href: variant.url, target: '_blank', rel: 'noopener' }, [
            `${capitalise(variant.label)} ${variant.format.toUpperCase()}`,
          ]),
          ` ${formatDimensions(variant.width, variant.height)} · `,
          h('span', { title: exactBytes(variant.sizeBytes) }, [formatBytes(variant.sizeBytes)]),
        ]),
      ),
  );
  // One line per error code, naming the sizes it hit (a non-image fails every size the same way).
  const byCode = new Map();
  for (const error of item.errors) byCode.set(error.code, [...(byCode.get(error.code) ?? []), error.label]);
  const errors = byCode.size
    ? h(
        'ul',
        { class: 'errors' },
        [...byCode].map(([code, labels]) =>
          h('li', {}, [
            h('code', {}, [code]),
            ` ${errorInWords(code)}`,
            labels.some(Boolean) ? ` (${labels.filter(Boolean).join(', ')})` : '',
          ]),
        ),
      )
    : null;
  const name = visibleText(String(item.blobName ?? ''));
  const row = h('li', { class: 'image-row', 'data-blob': item.blobName, 'data-status': item.status }, [
    thumb,
    h('div', { class: 'row-main' }, [
      h('div', { class: 'row-title' }, [
        h('span', { class: 'blob-name', title: name }, [name]),
        h('span', { class: 'doc-status' }, ['Image ', badge(item.status, item.status)]),
      ]),
      h('div', { class: 'row-meta' }, [
        `${item.source.format ?? 'Unknown format'} · ${formatDimensions(item.source.width, item.source.height)} · `,
        h('span', { title: exactBytes(item.source.bytes) }, [formatBytes(item.source.bytes)]),
        ` · updated ${formatTime(item.updatedAt)}`,
      ]),
      variants,
      errors,
      h('div', { class: 'row-run' }, [
        'Latest Durable run ',
        run
          ? badge(`run run-${run.runtimeStatus.toLowerCase()}`, run.runtimeStatus)
          : badge('run run-none', 'none'),
        // "Completed" is the orchestration's state: say so when the image itself did not come out whole.
        run?.runtimeStatus === 'Completed' && item.status !== 'completed'
          ? h('span', { class: 'run-hint' }, [`(the run ended; the image is ${item.status})`])
          : null,
        run ? h('code', { class: 'instance-id', title: run.instanceId }, [run.instanceId]) : null,
        run?.historyUrl
          ? h('a', { href: run.historyUrl, target: '_blank', rel: 'noopener' }, ['History'])
          : null,
        h('a', { href: item.statusUrl, target: '_blank', rel: 'noopener' }, ['Status JSON']),
      ]),
    ]),
  ]);
  // The controls need their row (to disable its buttons and replace it when the run ends).
  row.querySelector('.row-main')?.append(reprocessControls(item, sizes, row));
  if (lastRun) {
    row.dataset.run = lastRun.outcome;
    const state = row.querySelector('.run-state');
    if (state) state.textContent = lastRun.text(item);
  }
  return row;
}

/** Re-reads one image (its blob name as the prefix filter) and replaces its row; false when not found. */
async function refreshRow(row, blobName, sizes, lastRun) {
  const body = await fetchJson(apiUrl(`console/images?pageSize=20&prefix=${encodeURIComponent(blobName)}`));
  const item = body.items.find((candidate) => candidate.blobName === blobName);
  if (item) row.replaceWith(imageRow(item, sizes, lastRun));
  return item !== undefined;
}

function fillFilterOptions(body) {
  if (optionsFilled) return;
  optionsFilled = true;
  void initBackfill(body.sizes);
  const status = document.getElementById('filter-status');
  const errorCode = document.getElementById('filter-error');
  for (const value of body.statuses) status?.append(h('option', { value }, [capitalise(value)]));
  for (const value of body.errorCodes) errorCode?.append(h('option', { value }, [value]));
}

async function load(reset) {
  const filters = new FormData(form);
  const query = new URLSearchParams({ pageSize: String(PAGE_SIZE) });
  for (const name of ['status', 'errorCode', 'prefix']) {
    const value = String(filters.get(name) ?? '').trim();
    if (value !== '') query.set(name, value);
  }
  if (!reset && continuation) query.set('continuation', continuation);
  try {
    const body = await fetchJson(apiUrl(`console/images?${query}`));
    fillFilterOptions(body);
    if (reset) listElement.replaceChildren();
    for (const item of body.items) listElement.append(imageRow(item, body.sizes));
    continuation = body.continuation;
    moreButton.hidden = !continuation;
    showMessage(listElement.children.length === 0 ? 'No images match these filters yet.' : '');
  } catch (error) {
    showMessage(
      error instanceof ApiError && error.status === 403
        ? `Operators only: ${error.message}`
        : `Could not load images: ${error.message}`,
    );
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void load(true);
});
moreButton.addEventListener('click', () => void load(false));
void load(true);
