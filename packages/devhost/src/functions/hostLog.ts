import type { RpcLogCategory, RpcLogLevel } from './coreTypes';

export interface HostLogEntry {
  level: RpcLogLevel;
  category: RpcLogCategory;
  message: string;
  functionName?: string;
  invocationId?: string;
}

/** Where the host writes function and system logs (console by default, silent or captured in tests). */
export type HostLogger = (entry: HostLogEntry) => void;

const LEVEL_RANK: Record<RpcLogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

/** Console logger: user logs from `information`, system logs (library internals) from `warning`. */
export function consoleLogger(minimum: RpcLogLevel = 'information'): HostLogger {
  return (entry) => {
    const floor =
      entry.category === 'system' ? Math.max(LEVEL_RANK[minimum], LEVEL_RANK.warning) : LEVEL_RANK[minimum];
    if (LEVEL_RANK[entry.level] < floor || entry.level === 'none') return;
    const where = entry.functionName ? `[${entry.functionName}] ` : '';
    const line = `${new Date().toISOString()} ${where}${entry.message}`;
    if (LEVEL_RANK[entry.level] >= LEVEL_RANK.warning) console.error(line);
    else console.log(line);
  };
}

export const silentLogger: HostLogger = () => undefined;
