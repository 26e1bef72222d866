import { randomUUID } from 'node:crypto';
import type { FunctionInvoker } from '../contracts';
import { activityCompletionEvent } from './activityEvents';
import { MAX_INSTANCE_VALUE_CHARS, PayloadTooLargeError } from './chunks';
import { emptyCursor, isInboxConsumed, markInboxConsumed, type Cursor } from './cursor';
import { applyRetries, selectInbox, type InboxSelection, type WorkItem } from './episode';
import {
  DurableRequestError,
  engineStopping,
  instanceAlreadyExists,
  invalidInstanceId,
  isValidInstanceId,
  unknownOrchestrator,
} from './errors';
import { EventType, newEvent, type HistoryEvent } from './history';
import { KeyedLock } from './keyedLock';
import { ConcurrencyLimiter } from './limiter';
import { callOrchestrator, oversizedValue, type Completion } from './orchestratorCall';
import { outstandingWork } from './recovery';
import { isTerminal, type RuntimeStatus } from './status';
import { DurableStore, type InboxItem, type InstanceQuery, type InstanceRecord } from './store';
import { scheduleAt, type ScheduledTimer } from './timer';

export type DurableLogLevel = 'info' | 'warn' | 'error';
export type DurableLogger = (level: DurableLogLevel, message: string) => void;

export interface EngineOptions {
  invoker: FunctionInvoker;
  store: DurableStore;
  maxConcurrentActivities: number;
  logger: DurableLogger;
  /** How long `stop()` waits for activities in flight before leaving them to be re-run (default 2 s). */
  stopGraceMs: number;
}

/** Outcome of an operation addressed to an existing instance (HTTP 202 / 404 / 410). */
export type ControlResult = 'accepted' | 'notFound' | 'gone';

/** One orchestration instance this engine is driving (not yet Completed/Failed/Terminated). */
interface LiveInstance {
  instanceId: string;
  name: string;
  executionId: string;
  createdTime: Date;
  inputText: string | undefined;
  status: RuntimeStatus;
  history: HistoryEvent[];
  cursor: Cursor;
  pending: InboxItem[];
  nextInboxSeq: number;
  /** Inbox writes of one instance are serialized so sequence order is commit order (the consumed watermark relies on it). */
  inboxChain: Promise<void>;
  pumping: boolean;
  timers: Map<number, ScheduledTimer>;
  finished: boolean;
}

const EPISODE_RETRY_MS = 1_000;

const newExecutionId = (): string => randomUUID().replace(/-/g, '');

/**
 * The Durable Task engine: event-sourced orchestration replay against the durable-functions library's
 * out-of-proc protocol, with instances and history in Table storage. Push-based: an activity result, timer or
 * raised event is written to the instance's inbox and the next episode runs at once.
 */
export class DurableTaskEngine {
  readonly store: DurableStore;
  readonly #invoker: FunctionInvoker;
  readonly #logger: DurableLogger;
  readonly #activities: ConcurrencyLimiter;
  readonly #stopGraceMs: number;
  readonly #live = new Map<string, LiveInstance>();
  readonly #locks = new KeyedLock();
  readonly #episodes = new Set<Promise<void>>();
  #stopping = false;
  #started = false;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.#invoker = options.invoker;
    this.#logger = options.logger;
    this.#activities = new ConcurrencyLimiter(options.maxConcurrentActivities);
    this.#stopGraceMs = options.stopGraceMs;
  }

  /** Activities running right now (for diagnostics and tests). */
  get activeActivities(): number {
    return this.#activities.active;
  }

  /** Creates the tables and resumes every unfinished orchestration found in them. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.store.ensureTables();
    const unfinished = await this.store.allInstances({ runtimeStatus: ['Pending', 'Running', 'Suspended'] });
    for (const record of unfinished) {
      await this.#locks.run(record.instanceId, () => this.#resume(record));
    }
    if (unfinished.length > 0)
      this.#logger('info', `Resumed ${unfinished.length} unfinished orchestration(s)`);
  }

  /**
   * Stops taking work: no new episodes, activities or timers. Waits for episodes being committed and, up to the
   * grace period, for activities in flight; results arriving later are dropped (they re-run on the next start).
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const instance of this.#live.values()) this.#clearTimers(instance);
    this.#activities.clearQueue();
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.#stopGraceMs);
    });
    // Episodes are short (one orchestrator call and a commit); activities may be long and simply re-run.
    await Promise.race([Promise.allSettled([...this.#episodes]), grace]);
    await Promise.race([this.#activities.idle(), grace]);
    clearTimeout(graceTimer);
    await Promise.allSettled([...this.#live.values()].map((instance) => instance.inboxChain));
  }

  /** Whether `name` is registered with an `orchestrationTrigger`. */
  isOrchestrator(name: string): boolean {
    return this.#hasTrigger(name, 'orchestrationtrigger');
  }

  async startNew(
    name: string,
    instanceId: string | undefined,
    inputText: string | undefined,
  ): Promise<string> {
    if (!this.isOrchestrator(name)) throw unknownOrchestrator(name);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    if (!isValidInstanceId(id)) throw invalidInstanceId(id);
    if (inputText !== undefined && inputText.length > MAX_INSTANCE_VALUE_CHARS) {
      throw new DurableRequestError(
        `The input is ${inputText.length} characters of JSON; the local Durable engine accepts at most ${MAX_INSTANCE_VALUE_CHARS}.`,
        400,
      );
    }
    return this.#locks.run(id, async () => {
      if (this.#stopping) throw engineStopping();
      const existing = this.#live.get(id)?.status ?? (await this.store.readInstance(id))?.runtimeStatus;
      // Refused under the instance's lock, so of two concurrent starts exactly one creates the instance and the
      // other learns it lost (the extension's default, NonRunningStates; see instanceAlreadyExists).
      if (existing && !isTerminal(existing)) throw instanceAlreadyExists(existing);
      const now = new Date();
      const executionId = newExecutionId();
      const started: InboxItem = {
        seq: 0,
        event: this.#executionStarted(id, executionId, name, inputText, now),
      };
      await this.store.putInbox(id, executionId, started);
      // The instance row is the commit point: until it names the new execution, the old one stays current.
      await this.store.writeInstance({
        instanceId: id,
        name,
        executionId,
        runtimeStatus: 'Pending',
        input: inputText,
        output: undefined,
        customStatus: undefined,
        createdTime: now,
        lastUpdatedTime: now,
      });
      if (existing) this.#collectGarbage(this.store.deleteHistory(id, executionId));
      const instance = this.#newLive(id, name, executionId, now, inputText, 'Pending');
      instance.pending.push(started);
      instance.nextInboxSeq = 1;
      this.#live.set(id, instance);
      this.#pump(instance);
      return id;
    });
  }

  raiseEvent(instanceId: string, eventName: string, inputText: string | undefined): Promise<ControlResult> {
    return this.#control(instanceId, (now) =>
      newEvent(EventType.EventRaised, now, {
        Name: eventName,
        ...(inputText !== undefined ? { Input: inputText } : {}),
      }),
    );
  }

  terminate(instanceId: string, reason: string | undefined): Promise<ControlResult> {
    return this.#control(instanceId, (now) =>
      newEvent(EventType.ExecutionTerminated, now, { Input: reason ?? null }),
    );
  }

  suspend(instanceId: string, reason: string | undefined): Promise<ControlResult> {
    return this.#control(instanceId, (now) =>
      newEvent(EventType.ExecutionSuspended, now, { Input: reason ?? null }),
    );
  }

  resume(instanceId: string, reason: string | undefined): Promise<ControlResult> {
    return this.#control(instanceId, (now) =>
      newEvent(EventType.ExecutionResumed, now, { Input: reason ?? null }),
    );
  }

  getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.store.readInstance(instanceId);
  }

  /** Committed history of the instance's current execution. */
  async getHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return (await this.store.readExecution(record.instanceId, record.executionId)).history;
  }

  /**
   * Deletes a Completed, Failed or Terminated instance and its history; false when there is no such instance or
   * it has not finished (purging is for finished instances, as the Durable storage providers implement it).
   */
  purge(instanceId: string): Promise<boolean> {
    return this.#locks.run(instanceId, async () => {
      const record = await this.store.readInstance(instanceId);
      if (!record || !isTerminal(record.runtimeStatus) || this.#live.has(instanceId)) return false;
      const deleted = await this.store.deleteInstance(instanceId);
      await this.store.deleteHistory(instanceId);
      return deleted;
    });
  }

  async purgeBy(query: InstanceQuery): Promise<number> {
    const records = await this.store.allInstances(query);
    let deleted = 0;
    for (const record of records) if (await this.purge(record.instanceId)) deleted++;
    return deleted;
  }

  // ---- instance lifecycle -------------------------------------------------------------------------------------

  #newLive(
    instanceId: string,
    name: string,
    executionId: string,
    createdTime: Date,
    inputText: string | undefined,
    status: RuntimeStatus,
  ): LiveInstance {
    return {
      instanceId,
      name,
      executionId,
      createdTime,
      inputText,
      status,
      history: [],
      cursor: emptyCursor(),
      pending: [],
      nextInboxSeq: 0,
      inboxChain: Promise.resolve(),
      pumping: false,
      timers: new Map(),
      finished: false,
    };
  }

  #executionStarted(
    instanceId: string,
    executionId: string,
    name: string,
    inputText: string | undefined,
    now: Date,
  ): HistoryEvent {
    return newEvent(EventType.ExecutionStarted, now, {
      Name: name,
      Input: inputText ?? null,
      Version: '',
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    });
  }

  async #control(instanceId: string, makeEvent: (now: Date) => HistoryEvent): Promise<ControlResult> {
    if (this.#stopping) throw engineStopping();
    const instance = await this.#locks.run(instanceId, async () => {
      const live = this.#live.get(instanceId);
      if (live) return live;
      const record = await this.store.readInstance(instanceId);
      if (!record) return 'notFound' as const;
      if (isTerminal(record.runtimeStatus)) return 'gone' as const;
      await this.#resume(record);
      return this.#live.get(instanceId) ?? ('gone' as const);
    });
    if (typeof instance === 'string') return instance;
    await this.#enqueue(instance, makeEvent(new Date()));
    return 'accepted';
  }

  /** Loads an unfinished instance from storage and re-creates its outstanding work (activities re-run). */
  async #resume(record: InstanceRecord): Promise<void> {
    if (this.#live.has(record.instanceId)) return;
    const stored = await this.store.readExecution(record.instanceId, record.executionId);
    const cursor = stored.cursor ?? emptyCursor();
    const completion = stored.history.find((event) => event.EventType === EventType.ExecutionCompleted);
    const instance = this.#newLive(
      record.instanceId,
      record.name,
      record.executionId,
      record.createdTime,
      record.input,
      record.runtimeStatus,
    );
    instance.history = stored.history;
    instance.cursor = cursor;
    instance.pending = stored.inbox.filter((item) => !isInboxConsumed(cursor, item.seq));
    // Above every number ever used, consumed ones included (their rows may be gone): a reused number would read as consumed.
    instance.nextInboxSeq =
      Math.max(
        cursor.inboxConsumedThrough,
        ...cursor.inboxConsumedAbove,
        ...stored.inbox.map((item) => item.seq),
      ) + 1;
    const consumed = stored.inbox.filter((item) => isInboxConsumed(cursor, item.seq)).map((item) => item.seq);
    if (consumed.length > 0) {
      this.#collectGarbage(this.store.deleteInboxRows(record.instanceId, record.executionId, consumed));
    }

    if (completion) {
      // The episode committed but the process stopped before the instance row (or the next execution) was written.
      if (completion.OrchestrationStatus === 'ContinuedAsNew') {
        this.#live.set(record.instanceId, instance);
        await this.#continueAsNew(instance, completion.Result ?? undefined);
        this.#pump(instance);
      } else {
        await this.#writeRecord(
          instance,
          completion.OrchestrationStatus ?? 'Failed',
          completion.Result ?? undefined,
        );
      }
      return;
    }

    this.#live.set(record.instanceId, instance);
    const inbox = instance.pending.map((item) => item.event);
    for (const item of outstandingWork(instance.history, inbox, cursor)) this.#startWork(instance, item);
    this.#pump(instance);
  }

  #finish(instance: LiveInstance): void {
    instance.finished = true;
    this.#clearTimers(instance);
    if (this.#live.get(instance.instanceId) === instance) this.#live.delete(instance.instanceId);
  }

  #clearTimers(instance: LiveInstance): void {
    for (const timer of instance.timers.values()) timer.cancel();
    instance.timers.clear();
  }

  async #continueAsNew(instance: LiveInstance, inputText: string | undefined): Promise<void> {
    const oldExecutionId = instance.executionId;
    const executionId = newExecutionId();
    const now = new Date();
    const started: InboxItem = {
      seq: 0,
      event: this.#executionStarted(instance.instanceId, executionId, instance.name, inputText, now),
    };
    await this.store.putInbox(instance.instanceId, executionId, started);
    this.#clearTimers(instance);
    instance.executionId = executionId;
    instance.inputText = inputText;
    instance.history = [];
    instance.cursor = { ...emptyCursor(), customStatus: instance.cursor.customStatus };
    instance.pending = [started];
    instance.nextInboxSeq = 1;
    await this.#writeRecord(instance, 'Running', undefined);
    this.#collectGarbage(this.store.deleteHistory(instance.instanceId, executionId));
    this.#logger(
      'info',
      `${instance.instanceId}: continued as new (execution ${oldExecutionId} -> ${executionId})`,
    );
  }

  async #writeRecord(
    instance: LiveInstance,
    status: RuntimeStatus,
    output: string | undefined,
  ): Promise<void> {
    instance.status = status;
    await this.store.writeInstance({
      instanceId: instance.instanceId,
      name: instance.name,
      executionId: instance.executionId,
      runtimeStatus: status,
      input: instance.inputText,
      output,
      customStatus: instance.cursor.customStatus ?? undefined,
      createdTime: instance.createdTime,
      lastUpdatedTime: new Date(),
    });
  }

  // ---- messages and episodes ----------------------------------------------------------------------------------

  /** Persists a message for the instance, then wakes its episode loop. */
  #enqueue(instance: LiveInstance, event: HistoryEvent, executionId = instance.executionId): Promise<void> {
    const write = instance.inboxChain.then(async () => {
      if (instance.finished || this.#stopping || instance.executionId !== executionId) return;
      const item: InboxItem = { seq: instance.nextInboxSeq++, event };
      await this.store.putInbox(instance.instanceId, executionId, item);
      instance.pending.push(item);
      this.#pump(instance);
    });
    instance.inboxChain = write.catch((error: unknown) => {
      this.#logger('error', `${instance.instanceId}: could not store a message: ${String(error)}`);
    });
    return write;
  }

  #pump(instance: LiveInstance): void {
    if (instance.pumping || instance.finished || this.#stopping) return;
    instance.pumping = true;
    const loop = (async () => {
      try {
        for (;;) {
          if (this.#stopping || instance.finished) return;
          const selection = selectInbox(instance.pending, instance.cursor);
          if (!selection) return;
          await this.#runEpisode(instance, selection);
        }
      } catch (error) {
        this.#logger(
          'error',
          `${instance.instanceId}: episode failed, retrying: ${(error as Error).stack ?? String(error)}`,
        );
        setTimeout(() => this.#pump(instance), EPISODE_RETRY_MS).unref();
      } finally {
        instance.pumping = false;
      }
    })();
    this.#episodes.add(loop);
    void loop.finally(() => this.#episodes.delete(loop));
  }

  /** Orchestration time of a new episode: wall clock, but never earlier than the previous episode. */
  #episodeTime(instance: LiveInstance): Date {
    const now = Date.now();
    const last = instance.history.at(-1);
    const floor = last ? Date.parse(last.Timestamp) + 1 : 0;
    return new Date(Math.max(now, floor));
  }

  async #runEpisode(instance: LiveInstance, selection: InboxSelection): Promise<void> {
    const now = this.#episodeTime(instance);
    const cursor = structuredClone(instance.cursor);
    markInboxConsumed(
      cursor,
      selection.items.map((item) => item.seq),
    );
    const events: HistoryEvent[] = [newEvent(EventType.OrchestratorStarted, now)];
    let work: WorkItem[] = [];
    let status: RuntimeStatus = instance.status === 'Pending' ? 'Running' : instance.status;
    let completion: Completion | undefined;

    switch (selection.kind) {
      case 'terminate':
        events.push(newEvent(EventType.ExecutionTerminated, now, { Input: selection.reason ?? null }));
        completion = { status: 'Terminated', result: selection.reason };
        break;
      case 'suspend':
        events.push(newEvent(EventType.ExecutionSuspended, now, { Input: selection.reason ?? null }));
        cursor.suspended = true;
        status = 'Suspended';
        break;
      case 'resume':
        events.push(newEvent(EventType.ExecutionResumed, now, { Input: selection.reason ?? null }));
        cursor.suspended = false;
        status = 'Running';
        break;
      case 'events': {
        const incoming = selection.items.map((item) => item.event);
        events.push(...incoming);
        const retries = applyRetries(cursor, incoming, now);
        const outcome = await callOrchestrator({
          invoker: this.#invoker,
          name: instance.name,
          instanceId: instance.instanceId,
          inputText: instance.inputText,
          history: [...instance.history, events[0] as HistoryEvent, ...incoming],
          pastCount: instance.history.length,
          cursor,
          now,
          isActivity: (name) => this.#hasTrigger(name, 'activitytrigger'),
        });
        events.push(...retries.events, ...outcome.events);
        work = [...retries.work, ...outcome.work];
        completion = outcome.completion;
        break;
      }
    }
    const tooLarge = oversizedValue(cursor, completion);
    if (tooLarge) {
      events.splice(1);
      if (selection.kind === 'events') events.push(...selection.items.map((item) => item.event));
      work = [];
      completion = {
        status: 'Failed',
        result: `Orchestrator function '${instance.name}' failed: ${tooLarge}`,
      };
      cursor.customStatus = instance.cursor.customStatus;
    }
    if (completion) {
      events.push(
        newEvent(EventType.ExecutionCompleted, now, {
          OrchestrationStatus: completion.status,
          Result: completion.result ?? null,
        }),
      );
    }
    events.push(newEvent(EventType.OrchestratorCompleted, now));

    // `events` is the array itself: the retry below commits it as rewritten.
    const commit = () =>
      this.store.commitEpisode(
        instance.instanceId,
        instance.executionId,
        instance.history.length,
        events,
        cursor,
      );
    try {
      await commit();
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError) || completion?.status === 'Failed') throw error;
      // An event too large for a Table entity (e.g. a huge activity input): fail the instance instead.
      const failure = `Orchestrator function '${instance.name}' failed: ${error.message}`;
      events.splice(1);
      if (selection.kind === 'events') events.push(...selection.items.map((item) => item.event));
      events.push(
        newEvent(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Failed', Result: failure }),
        newEvent(EventType.OrchestratorCompleted, now),
      );
      work = [];
      completion = { status: 'Failed', result: failure };
      await commit();
    }
    instance.history.push(...events);
    instance.cursor = cursor;
    const consumed = new Set(selection.items);
    instance.pending = instance.pending.filter((item) => !consumed.has(item));
    this.#collectGarbage(
      this.store.deleteInboxRows(
        instance.instanceId,
        instance.executionId,
        selection.items.map((item) => item.seq),
      ),
    );

    if (completion?.status === 'ContinuedAsNew') {
      await this.#continueAsNew(instance, completion.result);
      return;
    }
    if (completion) {
      await this.#writeRecord(instance, completion.status, completion.result);
      this.#finish(instance);
      // A failed instance is a fault someone must see (the Functions host logs it as an error too).
      if (completion.status === 'Failed')
        this.#logger('warn', `${instance.instanceId}: Failed: ${String(completion.result ?? '')}`);
      else this.#logger('info', `${instance.instanceId}: ${completion.status}`);
      return;
    }
    // Work first: the history already records it, and the instance row only reports status.
    for (const item of work) this.#startWork(instance, item);
    await this.#writeRecord(instance, status, undefined);
  }

  // ---- activities and timers ----------------------------------------------------------------------------------

  #startWork(instance: LiveInstance, item: WorkItem): void {
    switch (item.kind) {
      case 'activity':
        this.#runActivity(instance, item.taskId, item.functionName, item.inputText);
        break;
      case 'timer':
        this.#armTimer(instance, item.taskId, item.fireAt);
        break;
      case 'cancelTimer':
        instance.timers.get(item.taskId)?.cancel();
        instance.timers.delete(item.taskId);
        break;
      case 'failTask': {
        const failed = newEvent(EventType.TaskFailed, new Date(), {
          TaskScheduledId: item.taskId,
          Reason: item.reason,
          Details: item.details,
        });
        void this.#enqueue(instance, failed).catch(() => undefined); // logged by the inbox chain
        break;
      }
    }
  }

  #runActivity(
    instance: LiveInstance,
    taskId: number,
    functionName: string,
    inputText: string | undefined,
  ): void {
    const executionId = instance.executionId;
    this.#activities.run(async () => {
      if (this.#stopping || instance.finished || instance.executionId !== executionId) return;
      const result = await this.#invoker.invoke(functionName, {
        triggerData: inputText !== undefined ? { string: inputText } : {},
        triggerMetadata: { instanceId: { string: instance.instanceId } },
      });
      const event = activityCompletionEvent(functionName, taskId, result, new Date());
      await this.#enqueue(instance, event, executionId).catch(() => undefined);
    });
  }

  #armTimer(instance: LiveInstance, taskId: number, fireAt: string): void {
    if (this.#stopping || instance.finished) return;
    const executionId = instance.executionId;
    const timer = scheduleAt(Date.parse(fireAt), () => {
      instance.timers.delete(taskId);
      const fired = newEvent(EventType.TimerFired, new Date(), { TimerId: taskId, FireAt: fireAt });
      void this.#enqueue(instance, fired, executionId).catch(() => undefined);
    });
    instance.timers.set(taskId, timer);
  }

  #hasTrigger(name: string, triggerType: string): boolean {
    return this.#invoker
      .functions()
      .some((fn) => fn.name === name && fn.trigger.type.toLowerCase() === triggerType);
  }

  #collectGarbage(cleanup: Promise<void>): void {
    cleanup.catch((error: unknown) =>
      this.#logger('warn', `Storage clean-up failed (harmless): ${String(error)}`),
    );
  }
}
