/** `--port N` (or `--port=N`) for the host, validated like every other option. */
export function parsePortArgument(args: string[]): number | undefined {
  const index = args.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  if (index < 0) return undefined;
  const arg = args[index] ?? '';
  const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  const port = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`Expected a port number (1-65535) for --port but received ${JSON.stringify(raw)}`);
  }
  return port;
}

/** The host's base URL for the CLIs: DEVHOST_URL, or 127.0.0.1 and --port / 7071 as `npm start` uses. */
export function hostBaseUrl(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEVHOST_URL) return env.DEVHOST_URL.replace(/\/+$/, '');
  return `http://127.0.0.1:${parsePortArgument(args) ?? 7071}`;
}
