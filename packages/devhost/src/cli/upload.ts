/**
 * `npm run upload -- <files or folders> [--prefix users/42/] [--port 7071]`: uploads images into the local
 * images-unprocessed container (Azurite from `npm start`) with a progress bar, and prints each status URL.
 */
import { findAppRoot } from '../appRoot';
import { waitForPort } from '../services/ports';
import { DEFAULT_PORTS } from '../stack';
import { hostBaseUrl, parseStartArguments } from './args';
import { formatBytes, progressBar } from './format';
import { localTarget } from './localTarget';
import { uploadFiles } from './uploadFiles';
import { planUploads, statusUrl } from './uploadPlan';

const USAGE =
  'usage: npm run upload -- <files or folders> [--prefix users/42/] [--port 7071] [--azurite-ports 10000,10001,10002]';

function parseArguments(args: string[]): { paths: string[]; prefix: string } {
  const paths: string[] = [];
  let prefix = '';
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--prefix') prefix = args[++index] ?? '';
    else if (arg.startsWith('--prefix=')) prefix = arg.slice('--prefix='.length);
    else if (arg === '--port' || arg === '--azurite-ports') index++;
    else if (arg.startsWith('--port=') || arg.startsWith('--azurite-ports=')) continue;
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else paths.push(arg);
  }
  if (paths.length === 0) throw new Error(USAGE);
  return { paths, prefix };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { paths, prefix } = parseArguments(args);
  const baseUrl = hostBaseUrl(args);
  const azuritePorts = parseStartArguments(args).azuritePorts;
  const target = localTarget(findAppRoot(), azuritePorts);
  const uploads = planUploads(paths, prefix);
  // Fail fast: the storage SDK would otherwise retry a refused connection for many seconds.
  await waitForPort(azuritePorts?.blob ?? DEFAULT_PORTS.blob, 500, 'Azurite Blob').catch(() => {
    throw new Error(
      `Azurite is not running on 127.0.0.1:${DEFAULT_PORTS.blob}; start the stack with npm start`,
    );
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
  console.log(`Done. Follow one with: npm run status -- ${uploads[0]?.blobName ?? '<blobName>'}`);
}

main().catch((error: unknown) => {
  console.error(`upload: ${(error as Error).message}`);
  process.exitCode = 1;
});
