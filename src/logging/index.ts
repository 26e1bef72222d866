export { formatLogLine, invocationLogger } from './invocationLogger';
export type { InvocationLogger, LogExtra, LogFields } from './invocationLogger';
