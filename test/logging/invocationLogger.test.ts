import { InvocationContext, type LogLevel } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { formatLogLine, invocationLogger } from '../../src/logging';

function capturingContext(): { context: InvocationContext; lines: { level: LogLevel; text: string }[] } {
  const lines: { level: LogLevel; text: string }[] = [];
  const context = new InvocationContext({
    functionName: 'resize-thumb',
    logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
  });
  return { context, lines };
}

describe('invocationLogger', () => {
  it('writes one JSON line per call at the right level, each carrying blob name and instance id', () => {
    const { context, lines } = capturingContext();
    const log = invocationLogger(context, {
      blobName: 'users/42/cat.jpg',
      instanceId: 'img-abc',
      label: 'thumb',
    });
    log.info('downloaded', { bytes: 1234 });
    log.warn('slow');
    log.error('failed', { code: 'internal' });

    expect(lines.map((line) => line.level)).toEqual(['information', 'warning', 'error']);
    const parsed = lines.map((line) => JSON.parse(line.text) as Record<string, unknown>);
    expect(parsed[0]).toEqual({
      msg: 'downloaded',
      bytes: 1234,
      blobName: 'users/42/cat.jpg',
      instanceId: 'img-abc',
      label: 'thumb',
    });
    expect(parsed[1]).toEqual({
      msg: 'slow',
      blobName: 'users/42/cat.jpg',
      instanceId: 'img-abc',
      label: 'thumb',
    });
    expect(parsed[2]).toMatchObject({ msg: 'failed', code: 'internal', instanceId: 'img-abc' });
  });

  it('keeps the identifying keys on every line even before they are known, and adds them with `with`', () => {
    const { context, lines } = capturingContext();
    const log = invocationLogger(context, { blobName: 'a.png' });
    log.info('event accepted');
    log.with({ instanceId: 'img-1' }).info('started');

    expect(JSON.parse(lines[0]?.text ?? '')).toEqual({
      msg: 'event accepted',
      blobName: 'a.png',
      instanceId: null,
    });
    expect(JSON.parse(lines[1]?.text ?? '')).toEqual({
      msg: 'started',
      blobName: 'a.png',
      instanceId: 'img-1',
    });
  });

  it('never lets extra fields overwrite the message or the identifying fields', () => {
    const line = JSON.parse(
      formatLogLine(
        'real',
        { blobName: 'b.jpg', instanceId: 'img-2' },
        { msg: 'fake', blobName: 'x', instanceId: 'y' },
      ),
    ) as Record<string, unknown>;
    expect(line).toEqual({ msg: 'real', blobName: 'b.jpg', instanceId: 'img-2' });
  });

  it('serializes errors with their name, message and status code', () => {
    const error = Object.assign(new Error('boom'), { statusCode: 503 });
    const line = JSON.parse(formatLogLine('failed', {}, { error })) as { error: Record<string, unknown> };
    expect(line.error).toEqual({ name: 'Error', message: 'boom', statusCode: 503 });
  });
});
