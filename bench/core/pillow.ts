import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { BenchSize } from './activityPath';
import { benchSourceDir } from '../options';
import type { PillowEncoder } from './encoder';

export interface PillowRun {
  decodeMs: number;
  sizes: Record<string, number>;
}

export type PillowAvailability =
  { available: true; python: string; version: string } | { available: false; note: string };

function pillowVersion(python: string): string | undefined {
  const probe = spawnSync(python, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** The one command that installs Pillow where the benchmark looks for it (Debian's package, for /usr/bin/python3). */
export const PILLOW_INSTALL_COMMAND = 'sudo apt-get install -y python3-pil';

/**
 * Finds a Python that imports PIL. The PATH python may be a pyenv build that does not see Debian's
 * dist-packages, so `/usr/bin/python3` (where `python3-pil` installs) is tried too. Never installs anything:
 * without Pillow the comparison is skipped, and the note names the command that installs it.
 */
export function findPillow(
  candidates: readonly string[] = ['python3', '/usr/bin/python3'],
): PillowAvailability {
  for (const python of candidates) {
    const version = pillowVersion(python);
    if (version !== undefined) return { available: true, python, version };
  }
  return {
    available: false,
    note: `Pillow comparison skipped: no Python with Pillow (tried ${candidates.join(', ')}). Install it with "${PILLOW_INSTALL_COMMAND}" and rerun.`,
  };
}

/** Runs bench/pillow_resize.py over the files; one JSON request in, one JSON result out. */
export async function runPillow(
  python: string,
  files: readonly string[],
  sizes: readonly BenchSize[],
  repetitions: number,
  encoder: PillowEncoder,
): Promise<{ version: string; python: string; runs: Map<string, PillowRun[]> }> {
  const script = path.join(benchSourceDir(), 'pillow_resize.py');
  const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify({ files, sizes, repetitions, ...encoder }));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`pillow_resize.py exited with ${code}: ${stderr.trim()}`);
  const parsed = JSON.parse(stdout) as {
    pillowVersion: string;
    python: string;
    results: Array<{ file: string; runs: PillowRun[] }>;
  };
  return {
    version: parsed.pillowVersion,
    python: `${python} (Python ${parsed.python})`,
    runs: new Map(parsed.results.map((result) => [result.file, result.runs])),
  };
}
