import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { createFindUnregisteredSizesHandler } from '../../src/activities/findUnregisteredSizes';
import { ArgumentError } from '../../src/domain/errors';

function capture(): { context: InvocationContext; warnings: string[] } {
  const warnings: string[] = [];
  const context = new InvocationContext({
    invocationId: 'inv-1',
    functionName: 'findUnregisteredSizes',
    logHandler: (level, ...args) => {
      if (level === 'warning') warnings.push(args.map(String).join(' '));
    },
  });
  return { context, warnings };
}

describe('findUnregisteredSizes', () => {
  const handler = createFindUnregisteredSizesHandler(() => new Set(['thumb', 'large', 'xl']));

  it('answers the planned labels this deployment has no resize activity for, with one warning each', async () => {
    const { context, warnings } = capture();
    const input = {
      instanceId: 'img-16',
      blobName: 'crash4/16.jpg',
      labels: ['thumb', 'medium', 'xl', 'huge'],
    };
    expect(await handler(input, context)).toEqual(['medium', 'huge']);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /planned size has no activity in this deployment.*"function":"resize-medium".*RETIRED_SIZES.*"blobName":"crash4\/16\.jpg","instanceId":"img-16"/,
    );
  });

  it('answers nothing, and warns about nothing, when every label is registered (planned or retired)', async () => {
    const { context, warnings } = capture();
    expect(
      await handler({ instanceId: 'img-1', blobName: 'a.jpg', labels: ['thumb', 'xl'] }, context),
    ).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('rejects a malformed input with the field named', () => {
    const { context } = capture();
    expect(() => {
      void handler({ instanceId: 'img-1', labels: 'thumb' }, context);
    }).toThrow(ArgumentError);
  });
});
