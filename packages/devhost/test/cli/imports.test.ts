import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

/** The package's own modules a module loads, transitively (relative imports and re-exports; type-only ones excluded). */
function moduleGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/^(?:import|export) (?!type )[^;]*?from '(\.[^']+)';/gms)) {
      const base = path.resolve(path.dirname(file), specifier ?? '');
      const resolved = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (!resolved) throw new Error(`${file}: cannot resolve ${specifier}`);
      visit(resolved);
    }
  };
  visit(path.join(SRC, entry));
  return new Set([...seen].map((file) => path.relative(SRC, file).split(path.sep).join('/')));
}

describe('the CLIs that talk to a running stack', () => {
  it.each(['cli/upload.ts', 'cli/status.ts', 'cli/reprocess.ts'])(
    '%s loads neither the stack nor the host, the Durable engine or the publisher',
    (entry) => {
      const graph = [...moduleGraph(entry)];
      expect(graph).toContain(entry);
      expect(
        graph.filter((file) =>
          /^(stack|start)\.ts$|^(durable|functions\/(?!appSettings)|http|eventgrid)\//.test(file),
        ),
      ).toEqual([]);
    },
  );

  it('the graph walk sees the whole host behind the stack (so an empty answer above means something)', () => {
    const graph = moduleGraph('stack.ts');
    for (const file of [
      'durable/engine.ts',
      'functions/loadFunctionApp.ts',
      'http/server.ts',
      'eventgrid/publisher.ts',
    ])
      expect(graph, file).toContain(file);
  });
});
