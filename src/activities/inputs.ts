import { parseRendition } from '../config/sizes';
import { ArgumentError } from '../domain/errors';
import type {
  DeleteDroppedInput,
  HandOffInput,
  IntermediateRef,
  OutputFormat,
  PlaceholderActivityInput,
  PrepareSourceInput,
  ResizeActivityInput,
  SizeSpec,
  SourceRef,
  WriteDocumentInput,
} from '../domain/types';
import { integerInRange } from '../domain/validation';

/*
 * Activity inputs come from our own orchestrator, so a bad one is a bug or a version skew between
 * deployments; it fails loudly (`ArgumentError`, with the field named) instead of half-working.
 */

type Fields = Record<string, unknown>;

function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(field, 'an object', value);
  }
  return value as Fields;
}

function string(fields: Fields, name: string, prefix: string, allowEmpty = false): string {
  const value = fields[name];
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new ArgumentError(`${prefix}.${name}`, allowEmpty ? 'a string' : 'a non-empty string', value);
  }
  return value;
}

function count(fields: Fields, name: string, prefix: string, min: number): number {
  const value = fields[name];
  const checked = integerInRange(value, min);
  if (checked === undefined) throw new ArgumentError(`${prefix}.${name}`, `an integer >= ${min}`, value);
  return checked;
}

function sourceRef(value: unknown, field: string): SourceRef {
  const fields = object(value, field);
  return {
    container: string(fields, 'container', field),
    blobName: string(fields, 'blobName', field),
    eTag: string(fields, 'eTag', field),
    sequencer: string(fields, 'sequencer', field, true),
    contentLength: count(fields, 'contentLength', field, 0),
    contentType: string(fields, 'contentType', field, true),
  };
}

/** The same checks and defaults as IMAGE_SIZES: an input planned before `fit`/`formats` existed still runs. */
function sizeSpec(value: unknown, field: string): SizeSpec {
  return parseRendition(value, field, (name, expected, received) => {
    throw new ArgumentError(name, expected, received);
  });
}

export function intermediateRef(value: unknown, field: string): IntermediateRef {
  const fields = object(value, field);
  const source = object(fields.source, `${field}.source`);
  const hasAlpha = source.hasAlpha;
  if (typeof hasAlpha !== 'boolean')
    throw new ArgumentError(`${field}.source.hasAlpha`, 'a boolean', hasAlpha);
  return {
    container: string(fields, 'container', field),
    blobName: string(fields, 'blobName', field),
    eTag: string(fields, 'eTag', field),
    width: count(fields, 'width', field, 1),
    height: count(fields, 'height', field, 1),
    source: {
      format: string(source, 'format', `${field}.source`),
      width: count(source, 'width', `${field}.source`, 1),
      height: count(source, 'height', `${field}.source`, 1),
      hasAlpha,
      length: count(source, 'length', `${field}.source`, 0),
      contentType: string(source, 'contentType', `${field}.source`, true),
    },
  };
}

/**
 * The input of `deleteIntermediate`: `{ intermediate, instanceId, blobName }`, or (from a run started before
 * the run was named) the bare intermediate.
 */
export function deleteIntermediateInput(value: unknown): {
  ref: IntermediateRef;
  run: { blobName?: string; instanceId?: string };
} {
  const fields = object(value, 'input');
  if (fields.intermediate === undefined) return { ref: intermediateRef(value, 'input'), run: {} };
  return {
    ref: intermediateRef(fields.intermediate, 'input.intermediate'),
    run: { blobName: string(fields, 'blobName', 'input'), instanceId: string(fields, 'instanceId', 'input') },
  };
}

export function assertResizeActivityInput(value: unknown): ResizeActivityInput {
  const fields = object(value, 'input');
  return {
    source: sourceRef(fields.source, 'input.source'),
    size: sizeSpec(fields.size, 'input.size'),
    instanceId: string(fields, 'instanceId', 'input'),
    ...(fields.intermediate === undefined
      ? {}
      : { intermediate: intermediateRef(fields.intermediate, 'input.intermediate') }),
  };
}

export function assertPrepareSourceInput(value: unknown): PrepareSourceInput {
  const fields = object(value, 'input');
  const sizes = fields.sizes;
  if (!Array.isArray(sizes) || sizes.length === 0) {
    throw new ArgumentError('input.sizes', 'a non-empty array', sizes);
  }
  return {
    source: sourceRef(fields.source, 'input.source'),
    sizes: sizes.map((size, index) => sizeSpec(size, `input.sizes[${index}]`)),
    instanceId: string(fields, 'instanceId', 'input'),
  };
}

export function assertPlaceholderActivityInput(value: unknown): PlaceholderActivityInput {
  const fields = object(value, 'input');
  return {
    source: sourceRef(fields.source, 'input.source'),
    instanceId: string(fields, 'instanceId', 'input'),
    ...(fields.intermediate === undefined
      ? {}
      : { intermediate: intermediateRef(fields.intermediate, 'input.intermediate') }),
  };
}

export function assertWriteDocumentInput(value: unknown): WriteDocumentInput {
  const fields = object(value, 'input');
  const outcomes = fields.outcomes;
  if (!Array.isArray(outcomes)) throw new ArgumentError('input.outcomes', 'an array', outcomes);
  outcomes.forEach((outcome, index) => {
    const entry = object(outcome, `input.outcomes[${index}]`);
    if (typeof entry.ok !== 'boolean') {
      throw new ArgumentError(`input.outcomes[${index}].ok`, 'true or false', entry.ok);
    }
    string(entry, 'label', `input.outcomes[${index}]`);
    for (const list of ['variants', 'errors']) {
      if (!Array.isArray(entry[list])) {
        throw new ArgumentError(`input.outcomes[${index}].${list}`, 'an array', entry[list]);
      }
    }
  });
  const input: WriteDocumentInput = {
    instanceId: string(fields, 'instanceId', 'input'),
    source: sourceRef(fields.source, 'input.source'),
    // Outcomes are our own activities' results, checked for shape above; their payloads are trusted.
    outcomes: outcomes as WriteDocumentInput['outcomes'],
  };
  if (fields.dropsUnlisted !== undefined) {
    if (fields.dropsUnlisted !== true)
      throw new ArgumentError('input.dropsUnlisted', 'true', fields.dropsUnlisted);
    input.dropsUnlisted = true;
  }
  if (fields.placeholder !== undefined) {
    const placeholder = object(fields.placeholder, 'input.placeholder');
    input.placeholder = {
      thumbhash: string(placeholder, 'thumbhash', 'input.placeholder'),
      dominantColor: string(placeholder, 'dominantColor', 'input.placeholder'),
    };
  }
  return input;
}

const OUTPUT_FORMATS: readonly OutputFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif'];

/** The input of `deleteDroppedDerivatives` (see DeleteDroppedInput). */
export function assertDeleteDroppedInput(value: unknown): DeleteDroppedInput {
  const fields = object(value, 'input');
  const planned = fields.planned;
  if (!Array.isArray(planned)) throw new ArgumentError('input.planned', 'an array', planned);
  return {
    source: sourceRef(fields.source, 'input.source'),
    instanceId: string(fields, 'instanceId', 'input'),
    planned: planned.map((entry, index) => {
      const at = `input.planned[${index}]`;
      const label = string(object(entry, at), 'label', at);
      const formats = (entry as Fields).formats;
      if (formats === null) return { label, formats: null };
      if (!Array.isArray(formats) || !formats.every((f) => OUTPUT_FORMATS.includes(f as OutputFormat))) {
        throw new ArgumentError(`${at}.formats`, `null or an array of ${OUTPUT_FORMATS.join(', ')}`, formats);
      }
      return { label, formats: formats as OutputFormat[] };
    }),
  };
}

/** `{ container, blobName }` of a source, the input of `deleteUnusedDerivatives`. */
export function assertSourcePath(value: unknown): { container: string; blobName: string } {
  const fields = object(value, 'input');
  return { container: string(fields, 'container', 'input'), blobName: string(fields, 'blobName', 'input') };
}

/** The hand-off's input: the run's own orchestration input, whose source and plan are checked here. */
export function assertHandOffInput(value: unknown): HandOffInput {
  const orchestration = object(object(value, 'input').orchestration, 'input.orchestration');
  const sizes = orchestration.sizes;
  if (!Array.isArray(sizes) || sizes.length === 0) {
    throw new ArgumentError('input.orchestration.sizes', 'a non-empty array', sizes);
  }
  sizes.forEach((size, index) => sizeSpec(size, `input.orchestration.sizes[${index}]`));
  sourceRef(orchestration.source, 'input.orchestration.source');
  // Checked above for the fields the hand-off reads; the rest (retry plan, grace) passes on unchanged.
  return { orchestration: orchestration as unknown as HandOffInput['orchestration'] };
}
