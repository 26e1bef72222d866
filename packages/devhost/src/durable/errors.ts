/** The engine's typed refusals; the HTTP API maps each to its status code. */
export class DurableRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 500 | 503,
  ) {
    super(message);
    this.name = 'DurableRequestError';
  }
}

export function unknownOrchestrator(name: string): DurableRequestError {
  return new DurableRequestError(
    `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
    400,
  );
}

export function invalidInstanceId(instanceId: string): DurableRequestError {
  return new DurableRequestError(
    `Expected an instance id of 1-256 characters without '/', '\\', '#', '?' or control characters but received ${JSON.stringify(instanceId)}`,
    400,
  );
}

/**
 * A start for an instance id whose instance is still Pending/Running/Suspended. The extension's default
 * (`overridableExistingInstanceStates: NonRunningStates`) makes `StartNewAsync` throw
 * `OrchestrationAlreadyExistsException`, which its HTTP API does not catch: the caller gets a 500.
 */
export function instanceAlreadyExists(status: string): DurableRequestError {
  return new DurableRequestError(`An Orchestration instance with the status ${status} already exists.`, 500);
}

export function engineStopping(): DurableRequestError {
  return new DurableRequestError('The Durable engine is stopping and takes no new work.', 503);
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN_ID_CHARACTERS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export function isValidInstanceId(instanceId: string): boolean {
  return instanceId.length > 0 && instanceId.length <= 256 && !FORBIDDEN_ID_CHARACTERS.test(instanceId);
}
