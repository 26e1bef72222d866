/** The engine's typed refusals; the HTTP API maps each to its status code. */
export class DurableRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: 400 | 409,
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

/** Starting an id whose instance is Pending, Running or Suspended is refused (DTFx dedupe of running states). */
export function instanceExists(instanceId: string, status: string): DurableRequestError {
  return new DurableRequestError(
    `An instance with ID '${instanceId}' already exists and is ${status}; it can be started again once it has completed, failed or been terminated.`,
    409,
  );
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN_ID_CHARACTERS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export function isValidInstanceId(instanceId: string): boolean {
  return instanceId.length > 0 && instanceId.length <= 256 && !FORBIDDEN_ID_CHARACTERS.test(instanceId);
}
