import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { hostBaseUrl, parsePortArgument, parseStartArguments } from '../../src/cli/args';
import { formatBytes, progressBar, renderTable } from '../../src/cli/format';
import { countersOf, progressLine } from '../../src/cli/backfillProgress';
import { renderStatusReport } from '../../src/cli/statusReport';
import { uploadFiles } from '../../src/cli/uploadFiles';
import { planUploads, skippedLine, statusUrl } from '../../src/cli/uploadPlan';

function tempTree(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'devhost-upload-'));
  mkdirSync(path.join(root, 'album', 'summer'), { recursive: true });
  writeFileSync(path.join(root, 'album', 'a.jpg'), 'aaaa');
  writeFileSync(path.join(root, 'album', 'summer', 'b.PNG'), 'bb');
  writeFileSync(path.join(root, 'album', '.DS_Store'), 'hidden');
  writeFileSync(path.join(root, 'notes.txt'), 'text');
  return root;
}

describe('upload plan', () => {
  it('keeps file names, folder-relative paths and the prefix, and guesses content types', () => {
    const root = tempTree();
    const { uploads: plan, skipped } = planUploads(
      [path.join(root, 'album'), path.join(root, 'notes.txt')],
      '/users/42',
    );
    expect(skipped).toEqual([]);
    expect(plan.map(({ blobName, contentType, size }) => ({ blobName, contentType, size }))).toEqual([
      { blobName: 'users/42/a.jpg', contentType: 'image/jpeg', size: 4 },
      { blobName: 'users/42/summer/b.PNG', contentType: 'image/png', size: 2 },
      { blobName: 'users/42/notes.txt', contentType: 'text/plain', size: 4 },
    ]);
  });

  it("skips a folder's non-images and empty files and lists them; files named explicitly are uploaded as given", () => {
    const root = tempTree();
    writeFileSync(path.join(root, 'album', 'notes.md'), 'text');
    writeFileSync(path.join(root, 'album', 'empty.jpg'), '');
    writeFileSync(path.join(root, 'empty.png'), '');
    const { uploads, skipped } = planUploads([path.join(root, 'album'), path.join(root, 'empty.png')]);
    expect(uploads.map((upload) => upload.blobName)).toEqual(['a.jpg', 'summer/b.PNG', 'empty.png']);
    expect(skipped).toEqual([
      { file: path.join(root, 'album', 'empty.jpg'), reason: 'empty' },
      { file: path.join(root, 'album', 'notes.md'), reason: 'not an image' },
    ]);
    expect(skippedLine(skipped)).toBe(
      `Skipped 2 files: ${path.join(root, 'album', 'empty.jpg')} (empty), ${path.join(root, 'album', 'notes.md')} (not an image)`,
    );
    expect(skippedLine([])).toBeUndefined();
  });

  it('names a missing path', () => {
    expect(() => planUploads(['/no/such/photo.jpg'])).toThrow('No such file or folder: /no/such/photo.jpg');
  });

  it('builds status URLs with each segment encoded', () => {
    expect(statusUrl('http://127.0.0.1:7071', 'users/42/my cat#1.jpg')).toBe(
      'http://127.0.0.1:7071/api/images/users/42/my%20cat%231.jpg',
    );
  });
});

describe('uploadFiles', () => {
  it('uploads every planned file with its content type into Azurite and reports progress to the full size', async () => {
    const root = tempTree();
    const container = `cli-upload-${Date.now().toString(36)}`;
    const connectionString = inject('azuriteConnectionString');
    const plan = planUploads([path.join(root, 'album')], 'p/').uploads;
    const progress: number[] = [];
    const done: string[] = [];
    await uploadFiles({
      connectionString,
      container,
      uploads: plan,
      onProgress: ({ loadedBytes }) => progress.push(loadedBytes),
      onDone: (upload, eTag) => done.push(`${upload.blobName}:${eTag !== ''}`),
    });
    expect(done).toEqual(['p/a.jpg:true', 'p/summer/b.PNG:true']);
    expect(progress).toContain(4);
    const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
    const properties = await client.getBlobClient('p/summer/b.PNG').getProperties();
    expect(properties.contentType).toBe('image/png');
    expect(properties.contentLength).toBe(2);
  });
});

describe('formatting', () => {
  it('formats sizes, progress and tables', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(progressBar(1, 4, 8)).toBe('[##......]  25%');
    expect(progressBar(0, 0, 4)).toBe('[####] 100%');
    expect(renderTable(['a', 'long'], [['xyz', '1']])).toBe('a    long\n---  ----\nxyz  1');
  });

  it('renders the status answer as a readable report', () => {
    const report = renderStatusReport({
      blobName: 'users/42/cat.jpg',
      instanceId: 'img-0123',
      runtimeStatus: 'Completed',
      createdTime: '2024-01-01T00:00:00Z',
      lastUpdatedTime: '2024-01-01T00:00:02Z',
      statusUrl: 'http://127.0.0.1:7071/api/console/instances/img-0123',
      blob: { eTag: '"0x1"', contentLength: 2048, contentType: 'image/jpeg' },
      document: {
        status: 'partial',
        sourceFormat: 'JPEG',
        sourceWidth: 1600,
        sourceHeight: 1200,
        sourceLength: 2048,
        updatedAt: '2024-01-01T00:00:02Z',
        variants: [
          {
            label: 'thumb',
            width: 150,
            height: 113,
            format: 'jpeg',
            sizeBytes: 4096,
            blobName: 'users/42/cat_thumb.jpg',
          },
        ],
        errors: [{ label: 'large', code: 'internal', message: 'boom' }],
      },
    });
    expect(report).toMatch(/^Orchestration +img-0123 {2}Completed$/m);
    expect(report).toMatch(
      /^Document +partial {2}JPEG 1600x1200 {2}2\.0 KB {2}updated 2024-01-01T00:00:02Z$/m,
    );
    expect(report).toContain('thumb    150x113  jpeg    4.0 KB  users/42/cat_thumb.jpg');
    expect(report).toContain('internal  large    boom');
  });
});

describe('status report without a document', () => {
  const answer = {
    blobName: "it's a cat.jpg",
    instanceId: 'img-0123',
    createdTime: '2024-01-01T00:00:00Z',
    lastUpdatedTime: '2024-01-01T00:00:02Z',
    blob: { eTag: '"0x1"', contentLength: 2048, contentType: 'image/jpeg' },
    document: null,
  };
  const reprocessCommand = "npm run reprocess -- 'it'\\''s a cat.jpg' --port 7072";

  it('says "no document" and how to write it again when the run has ended', () => {
    for (const runtimeStatus of ['Completed', 'Failed', 'Terminated']) {
      const report = renderStatusReport({ ...answer, runtimeStatus }, { reprocessCommand });
      expect(/^Document +(.*)$/m.exec(report)?.[1]).toBe(
        `no document: the run ended ${runtimeStatus} without one (or it was deleted since); write it again with ${reprocessCommand}`,
      );
      expect(report).not.toContain('none yet');
    }
  });

  it('says "none yet" while the run is under way, and "no document" when there was no run', () => {
    expect(renderStatusReport({ ...answer, runtimeStatus: 'Running' }, { reprocessCommand })).toMatch(
      /^Document +none yet \(the run is Running\)$/m,
    );
    expect(
      renderStatusReport({ ...answer, instanceId: null, runtimeStatus: null }, { reprocessCommand }),
    ).toContain(`no document: no run found for this blob; write it again with ${reprocessCommand}`);
  });
});

describe('arguments', () => {
  it('reads --port in both spellings and validates it', () => {
    expect(parsePortArgument(['a', '--port', '7072'])).toBe(7072);
    expect(parsePortArgument(['--port=8000'])).toBe(8000);
    expect(parsePortArgument(['x'])).toBeUndefined();
    expect(() => parsePortArgument(['--port', 'abc'])).toThrow(
      'Expected a port number (1-65535) for --port but received "abc"',
    );
    expect(hostBaseUrl(['--port', '7080'], {})).toBe('http://127.0.0.1:7080');
    expect(hostBaseUrl([], { DEVHOST_URL: 'http://localhost:9999/' })).toBe('http://localhost:9999');
  });

  it('reads the start options and names a bad one', () => {
    expect(parseStartArguments([])).toEqual({});
    expect(
      parseStartArguments([
        '--port=7072',
        '--azurite-ports',
        '1,2,3',
        '--cosmos-port',
        '8082',
        '--azurite-location=memory',
      ]),
    ).toEqual({
      port: 7072,
      azuritePorts: { blob: 1, queue: 2, table: 3 },
      cosmosPort: 8082,
      azuriteLocation: 'memory',
    });
    expect(() => parseStartArguments(['--cosmos-port'])).toThrow(
      'Expected a value for --cosmos-port but received nothing',
    );
    expect(() => parseStartArguments(['--azurite-ports', '1,2,x'])).toThrow(
      'Expected a port number (1-65535) for --azurite-ports but received "x"',
    );
  });
});

describe('backfill progress', () => {
  const counters = { listed: 8, started: 5, skipped: 2, completed: 3, failed: 1 };

  it('shows decided images against the listed ones, with a bar on a terminal', () => {
    expect(progressLine(counters, false)).toBe(
      '6/8 listed images done · 5 started (1 running) · 2 skipped · 3 completed · 1 failed',
    );
    expect(progressLine(counters, true)).toBe(
      `[##################......]  75% ${progressLine(counters, false)}`,
    );
  });

  it('reads the output once ended, the custom status while running, and nothing else', () => {
    expect(countersOf({ customStatus: counters, output: null })).toEqual(counters);
    expect(
      countersOf({ customStatus: counters, output: { ...counters, completed: 4, executions: 2 } }),
    ).toMatchObject({
      completed: 4,
    });
    expect(countersOf({ customStatus: { stage: 'resizing' } })).toBeUndefined();
  });
});
