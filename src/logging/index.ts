export { formatLogLine, invocationLogger, withExtra } from './invocationLogger';
export type { InvocationLogger, LogExtra, LogFields } from './invocationLogger';
