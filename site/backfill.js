// The console's backfill panel: start POST /api/backfill { prefix, sizes, only } and follow its progress
// (the orchestration's custom status { listed, started, skipped, completed, failed }) until it ends. A backfill
// already running when the page opens (GET /api/backfill), or one that refuses a new start (409), is followed
// the same way.
import { ApiError, apiUrl, fetchJson, postJson } from './api.js';
import { h } from './dom.js';
import { capitalise } from './format.js';
import { visibleText } from './text.js';

const POLL_MS = 500;
const COUNTERS = ['listed', 'started', 'skipped', 'completed', 'failed'];
const ACTIVE = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];

const form = /** @type {HTMLFormElement} */ (document.getElementById('backfill-form'));
const sizesBox = /** @type {HTMLElement} */ (document.getElementById('backfill-sizes'));
const view = /** @type {HTMLElement} */ (document.getElementById('backfill-progress'));
const message = /** @type {HTMLElement} */ (document.getElementById('backfill-message'));
const startButton = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));

let following = '';

/** @param {string} text */
function say(text) {
  message.hidden = text === '';
  message.textContent = text;
}

/** The counters of a Durable status: the output once ended, the custom status while it runs. */
function countersOf(status) {
  const isCounters = (value) =>
    value !== null && typeof value === 'object' && COUNTERS.every((key) => typeof value[key] === 'number');
  if (isCounters(status?.output)) return status.output;
  return isCounters(status?.customStatus) ? status.customStatus : undefined;
}

/** Shows one status answer: a bar of decided images against those listed so far, and every counter. */
function render(backfill, status) {
  const counters = countersOf(status) ?? { listed: 0, started: 0, skipped: 0, completed: 0, failed: 0 };
  const runtimeStatus = status?.runtimeStatus ?? 'Pending';
  const decided = counters.skipped + counters.completed + counters.failed;
  const ended = !ACTIVE.includes(runtimeStatus);
  view.hidden = false;
  view.dataset.state = ended ? runtimeStatus : 'running';
  view.dataset.instance = backfill.instanceId;
  const scope = `${backfill.prefix ? `blobs under “${visibleText(backfill.prefix)}”` : 'every blob'}`;
  view.replaceChildren(
    h('div', { class: 'backfill-head' }, [
      h('strong', {}, [ended ? `Backfill ${runtimeStatus.toLowerCase()}` : 'Backfill running']),
      ` · ${backfill.only} ${backfill.sizes.join(', ')} · ${scope} · `,
      h('code', { class: 'instance-id', title: backfill.instanceId }, [backfill.instanceId]),
    ]),
    h('progress', {
      class: 'progress',
      max: String(Math.max(counters.listed, 1)),
      value: String(decided),
      'aria-label': 'Images decided of those listed so far',
    }),
    h(
      'dl',
      { class: 'counters' },
      COUNTERS.flatMap((key) => [
        h('dt', {}, [capitalise(key)]),
        h('dd', { 'data-counter': key }, [String(counters[key])]),
      ]),
    ),
    h('p', { class: 'backfill-note' }, [
      ended
        ? `${decided} of ${counters.listed} listed images decided: ${counters.completed} rendered, ` +
          `${counters.skipped} needed nothing, ${counters.failed} failed.`
        : `${decided} of ${counters.listed} images listed so far are decided; ` +
          `${counters.started - counters.completed - counters.failed} runs in flight.`,
    ]),
  );
  return ended;
}

/** Polls the backfill's status URL until it ends; one follower at a time. */
async function follow(backfill) {
  following = backfill.instanceId;
  startButton.disabled = true;
  try {
    for (;;) {
      const status = await fetchJson(backfill.statusUrl);
      if (following !== backfill.instanceId) return;
      if (render(backfill, status)) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (error) {
    say(`Could not read the backfill's progress: ${error.message}`);
  } finally {
    if (following === backfill.instanceId) startButton.disabled = false;
  }
}

/** The request the form describes: `sizes` only when not every size is ticked. */
function request() {
  const data = new FormData(form);
  const sizes = data.getAll('sizes').map(String);
  const all = sizesBox.querySelectorAll('input[name="sizes"]').length;
  return {
    ...(String(data.get('prefix') ?? '').trim() === '' ? {} : { prefix: String(data.get('prefix')).trim() }),
    ...(sizes.length === all ? {} : { sizes }),
    only: String(data.get('only') ?? 'missing'),
  };
}

async function start() {
  const body = request();
  if (Array.isArray(body.sizes) && body.sizes.length === 0) {
    say('Tick at least one size.');
    return;
  }
  say('');
  startButton.disabled = true;
  try {
    const started = await postJson(apiUrl('backfill'), body);
    const sizes = body.sizes ?? [...sizesBox.querySelectorAll('input[name="sizes"]')].map((box) => box.value);
    await follow({
      instanceId: started.id,
      statusUrl: started.statusUrl,
      prefix: body.prefix ?? '',
      sizes,
      only: body.only,
    });
  } catch (error) {
    startButton.disabled = false;
    if (error instanceof ApiError && error.status === 409 && error.body?.running) {
      const running = error.body.running;
      say(
        `Not started: backfill ${running.instanceId} is still running over the same images ` +
          `(${running.prefix ? `prefix “${visibleText(running.prefix)}”` : 'every blob'}, ` +
          `${running.only} ${running.sizes.join(', ')}). Its progress is shown below; start again when it has ended.`,
      );
      void follow(running);
      return;
    }
    say(`Backfill not started: ${error.message}`);
  }
}

/** Fills the size boxes and follows a backfill that is already running. */
export async function initBackfill(/** @type {string[]} */ sizes) {
  sizesBox.replaceChildren(
    ...sizes.map((label) =>
      h('label', { class: 'check' }, [
        h('input', { type: 'checkbox', name: 'sizes', value: label, checked: true }),
        ` ${capitalise(label)}`,
      ]),
    ),
  );
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void start();
  });
  try {
    const { running } = await fetchJson(apiUrl('backfill'));
    if (running[0]) void follow(running[0]);
  } catch (error) {
    say(`Could not ask for running backfills: ${error.message}`);
  }
}
