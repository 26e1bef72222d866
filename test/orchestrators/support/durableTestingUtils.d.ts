// The library's own wrapper that `df.app.orchestration` registers (lib/src/util/testingUtils.js, v3.5.0): calling
// it is calling the orchestrator exactly as the Functions host does. The package ships no typings for it.
declare module 'durable-functions/lib/src/util/testingUtils' {
  import type { InvocationContext } from '@azure/functions';
  import type { OrchestrationHandler } from 'durable-functions';

  export function createOrchestrator(
    fn: OrchestrationHandler,
  ): (orchestrationTrigger: unknown, context: InvocationContext) => Promise<unknown>;
}
