/**
 * Ports of the real tools (Core Tools, Azurite, the Cosmos DB emulator), so either can be swapped in. A module of
 * its own so the CLIs learn them without loading the host.
 */
export const DEFAULT_PORTS = { host: 7071, blob: 10000, queue: 10001, table: 10002, cosmos: 8081 } as const;
