// The upload page: each chosen or dropped photo gets a SAS from POST /api/uploads, goes straight to Blob Storage
// with a progress bar, then the page polls its status URL until the document shows every derivative.
import { ApiError, apiUrl, fetchJson, postJson } from './api.js';
import { h } from './dom.js';
import { errorInWords, exactBytes, formatBytes } from './format.js';
import { visibleText } from './text.js';
import { paintPlaceholder, pictureOf, variantList } from './picture.js';
import { typeOf } from './sniff.js';

const FINAL = new Set(['completed', 'partial', 'failed']);
/**
 * Poll quickly at first (most photos finish within a second or two), then back off: every second up to a
 * minute, then twice as long each time up to every 10 s. After two minutes the card says it is still
 * waiting; after 30 minutes the page stops and links the status instead.
 */
const POLL_FAST_MS = 250;
const POLL_FAST_FOR_MS = 5000;
const POLL_SLOW_MS = 1000;
const POLL_SLOW_FOR_MS = 60_000;
const POLL_MAX_MS = 10_000;
const POLL_SAY_SLOW_MS = 120_000;
const POLL_GIVE_UP_MS = 30 * 60_000;

/** @param {number} elapsed @param {number} previous */
function nextPollDelay(elapsed, previous) {
  if (elapsed < POLL_FAST_FOR_MS) return POLL_FAST_MS;
  if (elapsed < POLL_SLOW_FOR_MS) return POLL_SLOW_MS;
  return Math.min(previous * 2, POLL_MAX_MS);
}

const list = /** @type {HTMLUListElement} */ (document.getElementById('uploads'));
const input = /** @type {HTMLInputElement} */ (document.getElementById('file-input'));
const dropzone = /** @type {HTMLElement} */ (document.getElementById('dropzone'));

/** One file's card and the ways to update it. */
function card(file) {
  // The browser's File.name is whatever the file system holds: shown without controls or bidi overrides.
  const name = visibleText(file.name);
  const state = h('span', { class: 'upload-state' }, ['Waiting']);
  const progress = h('progress', { class: 'progress', max: '100', value: '0' });
  const message = h('p', { class: 'upload-message', hidden: true });
  const result = h('div', { class: 'upload-result' });
  const item = h('li', { class: 'upload', 'data-state': 'waiting' }, [
    h('div', { class: 'upload-head' }, [
      h('span', { class: 'upload-name', title: name }, [name]),
      h('span', { class: 'upload-size', title: exactBytes(file.size) }, [formatBytes(file.size)]),
      state,
    ]),
    progress,
    message,
    result,
  ]);
  list.prepend(item);
  return {
    item,
    result,
    /** @param {string} name @param {string} words */
    set(name, words) {
      item.dataset.state = name;
      state.textContent = words;
    },
    /** @param {number} percent */
    progress(percent) {
      progress.value = percent;
      progress.textContent = `${percent} %`;
    },
    /** @param {string} text @param {Node} [extra] */
    say(text, extra) {
      message.hidden = false;
      message.replaceChildren(text, ...(extra ? [' ', extra] : []));
    },
  };
}

/**
 * PUTs the file to its SAS URL as one Put Blob (a block blob), reporting progress; resolves when storage
 * answers 201, rejects with storage's own error code otherwise.
 */
function putBlob(file, upload, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', upload.uploadUrl);
    for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(Math.floor((event.loaded / event.total) * 100));
    });
    xhr.addEventListener('load', () => {
      if (xhr.status === 201) {
        onProgress(100);
        resolve();
        return;
      }
      const code = xhr.getResponseHeader('x-ms-error-code') ?? `HTTP ${xhr.status}`;
      const detail = /<Message>([^<]*)/.exec(xhr.responseText)?.[1]?.split('\n')[0] ?? '';
      reject(new Error(`Storage refused the upload (${code})${detail ? `: ${detail}` : ''}`));
    });
    xhr.addEventListener('error', () =>
      reject(new Error('The upload could not reach storage (network error, or a CORS rule is missing)')),
    );
    xhr.addEventListener('abort', () => reject(new Error('The upload was cancelled')));
    xhr.send(file);
  });
}

/**
 * Polls the status URL until the document is final; resolves with it, or undefined after the give-up time.
 * `onSlow` is called once when the wait passes POLL_SAY_SLOW_MS.
 */
async function waitForDocument(statusUrl, onSlow) {
  const started = Date.now();
  let delay = POLL_FAST_MS;
  let saidSlow = false;
  for (;;) {
    const status = await fetchJson(statusUrl).catch((error) => {
      if (error instanceof ApiError && error.status === 404) return null; // not written yet
      throw error;
    });
    const document = status?.document;
    if (document && FINAL.has(document.status)) return document;
    const elapsed = Date.now() - started;
    if (elapsed > POLL_GIVE_UP_MS) return undefined;
    if (!saidSlow && elapsed > POLL_SAY_SLOW_MS) {
      saidSlow = true;
      onSlow();
    }
    delay = nextPollDelay(elapsed, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** Shows a final document: placeholder, picture and every derivative, or why it failed. */
function showDocument(view, document, fileName, seconds) {
  if (document.status === 'failed') {
    const first = document.errors[0];
    view.set('failed', 'Could not be processed');
    view.say(first ? errorInWords(first.code) : 'The image could not be processed.');
    view.item.dataset.errorCode = first?.code ?? '';
    return;
  }
  const frame = h('div', { class: 'frame' });
  paintPlaceholder(frame, document.placeholder);
  frame.append(
    pictureOf(document.variants, fileName, { width: document.sourceWidth, height: document.sourceHeight }),
  );
  view.result.replaceChildren(frame, variantList(document.variants));
  if (document.status === 'partial') {
    view.set('partial', 'Some sizes missing');
    view.say(
      document.errors.map((error) => `${error.label ?? 'image'}: ${errorInWords(error.code)}`).join(' '),
    );
  } else {
    const sizes = new Set(document.variants.map((variant) => variant.label)).size;
    view.set('done', `Ready in ${sizes} sizes · ${seconds.toFixed(1)} s`);
  }
}

async function uploadOne(file) {
  const view = card(file);
  view.set('requesting', 'Preparing');
  let upload;
  try {
    upload = await postJson(apiUrl('uploads'), {
      fileName: file.name,
      contentType: await typeOf(file),
      size: file.size,
    });
  } catch (error) {
    view.set(
      'refused',
      error instanceof ApiError && error.status === 400 ? 'Not accepted' : 'Could not start',
    );
    const signIn =
      error instanceof ApiError && error.status === 401
        ? h(
            'a',
            { href: `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(location.pathname)}` },
            ['Sign in'],
          )
        : undefined;
    view.say(error.message, signIn);
    return;
  }
  view.item.dataset.blob = upload.blobName;
  view.set('uploading', 'Uploading');
  try {
    await putBlob(file, upload, (percent) => {
      view.progress(percent);
      view.set('uploading', `Uploading ${percent} %`);
    });
  } catch (error) {
    view.set('upload-failed', 'Upload failed');
    view.say(error.message);
    return;
  }
  view.set('processing', 'Uploaded 100 % · making sizes');
  const uploaded = performance.now();
  try {
    const document = await waitForDocument(upload.statusUrl, () => {
      view.set('processing', 'Still processing');
      view.say(
        'This is taking longer than usual; this page keeps checking (every 10 s, for up to 30 minutes) and ' +
          'shows the sizes when they are ready.',
      );
    });
    if (!document) {
      view.set('processing', 'Not finished');
      view.say(
        'Still not finished after 30 minutes, and this page has stopped checking. Its status:',
        h('a', { href: upload.statusUrl, target: '_blank', rel: 'noopener' }, ['status of this upload']),
      );
      return;
    }
    showDocument(view, document, visibleText(file.name), (performance.now() - uploaded) / 1000);
  } catch (error) {
    view.set('status-failed', 'Status unavailable');
    view.say(error.message);
  }
}

/** @param {Iterable<File>} files */
function uploadAll(files) {
  for (const file of files) void uploadOne(file);
}

input.addEventListener('change', () => {
  uploadAll([...(input.files ?? [])]);
  input.value = '';
});
for (const name of ['dragenter', 'dragover']) {
  dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.add('dragging');
  });
}
for (const name of ['dragleave', 'drop']) {
  dropzone.addEventListener(name, () => dropzone.classList.remove('dragging'));
}
dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  uploadAll([...(event.dataTransfer?.files ?? [])]);
});
