import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { StackOptions } from '@image-derivatives/devhost';

/**
 * The local stack in a child process, from the compiled `startStack` (built by `npm test`). One function app per
 * process is how the worker (and our host) loads an app, so a test that "redeploys" with other settings stops
 * one child and starts another on the same task hub, as a deployment restarts the Functions host.
 */
export interface StackProcess {
  baseUrl: string;
  /** Azurite's own Blob endpoint, behind the event proxy: writes made there raise no event. */
  directConnectionString: string;
  output: () => string;
  /** SIGTERM: the stack stops gracefully (engine state stays in Table storage for the next start). */
  stop(): Promise<void>;
}

const SCRIPT = `
const { startStack } = require(process.env.STACK_MODULE);
startStack(JSON.parse(process.env.STACK_OPTIONS)).then((stack) => {
  console.log('STACK DIRECT ' + stack.directConnectionString);
  console.log('STACK READY ' + stack.baseUrl);
  process.once('SIGTERM', () => stack.stop().then(() => process.exit(0), () => process.exit(1)));
}, (error) => { console.error(error); process.exit(1); });
`;

export async function startStackProcess(
  stackModule: string,
  options: StackOptions,
  timeoutMs = 60_000,
): Promise<StackProcess> {
  if (!existsSync(stackModule))
    throw new Error(`${stackModule} is missing: run npm run build (npm test does)`);
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT], {
    env: { ...process.env, STACK_MODULE: stackModule, STACK_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = /STACK READY (\S+)/.exec(output);
    if (ready?.[1]) {
      const baseUrl = ready[1];
      return {
        baseUrl,
        directConnectionString: /STACK DIRECT (\S+)/.exec(output)?.[1] ?? '',
        output: () => output,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`stack process exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`stack process not ready within ${timeoutMs} ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
