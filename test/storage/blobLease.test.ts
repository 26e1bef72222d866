import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { LeaseLostError, LockBusyError, withBlobLease } from '../../src/storage/blobLease';

const service = () => BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
const container = `lease-${Date.now().toString(36)}`;

describe('withBlobLease on Azurite', () => {
  it('runs concurrent sections one at a time, creating the container and lock blob on first use', async () => {
    let inside = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        withBlobLease(service(), container, 'locks/a', async () => {
          inside += 1;
          peak = Math.max(peak, inside);
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push(index);
          inside -= 1;
        }),
      ),
    );
    expect(peak).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // Released after each section: the blob carries no lease now.
    const properties = await service().getContainerClient(container).getBlobClient('locks/a').getProperties();
    expect(properties.leaseState).toBe('available');
  });

  it('gives up with LockBusyError while another holder keeps the lease, and releases after a throw', async () => {
    let release!: () => void;
    const held = withBlobLease(
      service(),
      container,
      'locks/b',
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(
      withBlobLease(service(), container, 'locks/b', () => Promise.resolve(1), {
        waitMs: 300,
        retryMs: 50,
      }),
    ).rejects.toBeInstanceOf(LockBusyError);
    release();
    await held;
    await expect(
      withBlobLease(service(), container, 'locks/b', () => Promise.reject(new Error('section failed'))),
    ).rejects.toThrow('section failed');
    expect(
      await withBlobLease(service(), container, 'locks/b', () => Promise.resolve(2), { waitMs: 0 }),
    ).toBe(2);
  });

  it('renews the lease while the section runs; a lease broken meanwhile makes held() refuse the commit', async () => {
    const blob = service().getContainerClient(container).getBlobClient('locks/c');
    let brokenSeen: unknown;
    let committed = false;
    await withBlobLease(
      service(),
      container,
      'locks/c',
      async (held) => {
        held(); // just acquired: the lease is this section's
        // Renewals (every 50 ms here) keep succeeding: the lease stays this section's.
        await new Promise((resolve) => setTimeout(resolve, 300));
        held();
        expect((await blob.getProperties()).leaseState).toBe('leased');
        // Someone breaks it (an operator, or it expired while this process stalled): the next renewal fails.
        await blob.getBlobLeaseClient().breakLease(0);
        await new Promise((resolve) => setTimeout(resolve, 300));
        try {
          held();
          committed = true;
        } catch (error) {
          brokenSeen = error;
        }
      },
      { renewEveryMs: 50 },
    );
    expect(committed).toBe(false);
    expect(brokenSeen).toBeInstanceOf(LeaseLostError);
    expect((brokenSeen as Error).message).toBe(
      `The lock ${container}/locks/c was lost while its section ran`,
    );
    // The lock is free for the next holder.
    expect(
      await withBlobLease(service(), container, 'locks/c', () => Promise.resolve(3), { waitMs: 0 }),
    ).toBe(3);
  });
});
