import type { RegisteredFunctionInfo } from '../contracts';
import { compileRoute, type RouteTemplate } from './routeTemplate';

export interface HttpRoute {
  functionName: string;
  route: RouteTemplate;
  /** Upper-case methods, or undefined for every method. */
  methods: string[] | undefined;
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

/** Routes of the app's HTTP-triggered functions; the default route is the function name, as in Functions. */
export function httpRoutes(functions: RegisteredFunctionInfo[]): HttpRoute[] {
  return functions
    .filter((fn) => fn.trigger.type.toLowerCase() === 'httptrigger')
    .map((fn) => {
      const route =
        typeof fn.trigger.route === 'string' && fn.trigger.route !== '' ? fn.trigger.route : fn.name;
      const methods = Array.isArray(fn.trigger.methods)
        ? fn.trigger.methods.map((method) => String(method).toUpperCase())
        : undefined;
      return { functionName: fn.name, route: compileRoute(route), methods };
    });
}

/**
 * The first route whose template and methods match. A template match with the wrong method is reported
 * separately so the caller can answer 405 rather than 404.
 */
export function matchRoute(
  routes: HttpRoute[],
  method: string,
  path: string,
): RouteMatch | { methodNotAllowed: true } | undefined {
  let templateMatched = false;
  for (const route of routes) {
    const params = route.route.match(path);
    if (!params) continue;
    templateMatched = true;
    if (route.methods === undefined || route.methods.includes(method.toUpperCase())) return { route, params };
  }
  return templateMatched ? { methodNotAllowed: true } : undefined;
}
