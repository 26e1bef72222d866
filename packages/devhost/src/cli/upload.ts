/**
 * `npm run upload -- <files or folders> [--prefix users/42/] [--port 7071] [--azurite-ports 10000,10001,10002]`:
 * uploads images into the local images-unprocessed container (Azurite from `npm start`) with a progress bar,
 * and prints each status URL and the `npm run status` command to follow one.
 */
import { findAppRoot } from '../appRoot';
import { DEFAULT_PORTS } from '../defaultPorts';
import { waitForPort } from '../services/ports';
import { hostBaseUrl, optionValue, parseStartArguments } from './args';
import { npmRunCommand, portOption, positionalArguments } from './commands';
import { formatBytes, progressBar } from './format';
import { localTarget } from './localTarget';
import { runCli, UsageError } from './run';
import { uploadFiles } from './uploadFiles';
import { planUploads, skippedLine, statusUrl } from './uploadPlan';

const USAGE =
  'usage: npm run upload -- <files or folders> [--prefix users/42/] [--port 7071] [--azurite-ports 10000,10001,10002]';

function parseArguments(args: string[]): { paths: string[]; prefix: string } {
  const paths = positionalArguments(args, ['prefix', 'port', 'azurite-ports'], []);
  if (paths.length === 0) throw new UsageError('Expected at least one file or folder but received none');
  return { paths, prefix: optionValue(args, 'prefix') ?? '' };
}

async function main(args: string[]): Promise<void> {
  const { paths, prefix } = parseArguments(args);
  const baseUrl = hostBaseUrl(args);
  const azuritePorts = parseStartArguments(args).azuritePorts;
  const target = localTarget(findAppRoot(), azuritePorts);
  const { uploads, skipped } = planUploads(paths, prefix);
  const skippedNote = skippedLine(skipped);
  if (skippedNote) console.log(skippedNote);
  if (uploads.length === 0) throw new Error('Nothing to upload');
  // Fail fast: the storage SDK would otherwise retry a refused connection for many seconds.
  const blobPort = azuritePorts?.blob ?? DEFAULT_PORTS.blob;
  await waitForPort(blobPort, 500, 'Azurite Blob').catch(() => {
    throw new Error(`Azurite is not running on 127.0.0.1:${blobPort}; start the stack with npm start`);
  });
  const interactive = process.stdout.isTTY === true;
  console.log(`Uploading ${uploads.length} file(s) to ${target.unprocessedContainer} in local Azurite`);

  await uploadFiles({
    connectionString: target.connectionString,
    container: target.unprocessedContainer,
    uploads,
    onProgress: ({ upload, loadedBytes }) => {
      if (!interactive) return;
      process.stdout.write(
        `\r${progressBar(loadedBytes, upload.size)} ${upload.blobName} (${formatBytes(loadedBytes)}/${formatBytes(upload.size)})`,
      );
    },
    onDone: (upload) => {
      const line = `${progressBar(upload.size, upload.size)} ${upload.blobName} (${formatBytes(upload.size)})`;
      process.stdout.write(interactive ? `\r${line}\n` : `${line}\n`);
      console.log(`  status: ${statusUrl(baseUrl, upload.blobName)}`);
    },
  });
  const first = uploads[0]?.blobName ?? '';
  console.log(`Done. Follow one with: ${npmRunCommand('status', [first, ...portOption(args)])}`);
}

runCli('upload', USAGE, main);
