/**
 * ASP.NET-style route templates as Functions uses them for HTTP triggers: literal segments (case-insensitive),
 * `{name}`, optional `{name?}` (trailing), catch-all `{*name}` (last), and inline constraints `{id:int}`.
 */
export interface RouteTemplate {
  template: string;
  /** Returns the route values when the path (segments after `/api/`, still URL-encoded) matches. */
  match(path: string): Record<string, string> | undefined;
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'parameter'; name: string; optional: boolean; catchAll: boolean; constraints: string[] };

const CONSTRAINTS: Record<string, (value: string) => boolean> = {
  int: (value) => /^-?\d+$/.test(value),
  long: (value) => /^-?\d+$/.test(value),
  bool: (value) => /^(true|false)$/i.test(value),
  alpha: (value) => /^[a-z]+$/i.test(value),
  guid: (value) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value),
  double: (value) => value.trim() !== '' && Number.isFinite(Number(value)),
  float: (value) => value.trim() !== '' && Number.isFinite(Number(value)),
  decimal: (value) => value.trim() !== '' && Number.isFinite(Number(value)),
};

function parseSegment(raw: string, template: string): Segment {
  const parameter = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)((?::[^:?}]+)*)(\?)?\}$/.exec(raw);
  if (!parameter) {
    if (/[{}]/.test(raw)) throw new Error(`Unsupported route segment "${raw}" in "${template}"`);
    return { kind: 'literal', text: raw.toLowerCase() };
  }
  const [, star, name = '', constraintText = '', question] = parameter;
  const constraints = constraintText
    .split(':')
    .filter((constraint) => constraint !== '')
    .map((constraint) => constraint.toLowerCase());
  return { kind: 'parameter', name, optional: question === '?', catchAll: star === '*', constraints };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function satisfies(value: string, constraints: string[]): boolean {
  return constraints.every((constraint) => CONSTRAINTS[constraint.replace(/\(.*$/, '')]?.(value) ?? true);
}

export function compileRoute(template: string): RouteTemplate {
  const segments = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => parseSegment(segment, template));
  segments.forEach((segment, index) => {
    if (segment.kind === 'parameter' && segment.catchAll && index !== segments.length - 1) {
      throw new Error(`A catch-all parameter must be the last segment of route "${template}"`);
    }
  });

  return {
    template,
    match(path) {
      const parts = path.split('/').filter((part) => part !== '');
      const values: Record<string, string> = {};
      for (const [index, segment] of segments.entries()) {
        const part = parts[index];
        if (segment.kind === 'literal') {
          if (part === undefined || decode(part).toLowerCase() !== segment.text) return undefined;
          continue;
        }
        if (segment.catchAll) {
          const rest = parts.slice(index).map(decode).join('/');
          if (rest !== '') values[segment.name] = rest;
          return satisfies(rest, rest === '' ? [] : segment.constraints) ? values : undefined;
        }
        if (part === undefined) {
          // Only trailing optional parameters may be absent.
          if (
            !segments
              .slice(index)
              .every((rest) => rest.kind === 'parameter' && (rest.optional || rest.catchAll))
          ) {
            return undefined;
          }
          return values;
        }
        const value = decode(part);
        if (!satisfies(value, segment.constraints)) return undefined;
        values[segment.name] = value;
      }
      return parts.length === segments.length ? values : undefined;
    },
  };
}
