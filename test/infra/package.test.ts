import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './bicep';

/**
 * Runs the azd prepackage hook for real on the current build (`npm test` builds first) into a temporary
 * folder, and checks what Azure would receive: the compiled app, a production node_modules with sharp's
 * Linux x64 binaries, and nothing from packages/ (the local host), bench/, test/ or devDependencies.
 */
const ELF_MACHINE_X86_64 = 0x3e;

let out: string;
interface HookRun {
  error: Error | undefined;
  status: number | null;
  stderr: string;
}
let run: HookRun;

/**
 * Runs the hook without blocking this worker's event loop: a synchronous spawn of a minutes-long `npm install`
 * starves vitest's worker RPC, which then fails the whole run with "Timeout calling onTaskUpdate".
 */
function runHook(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<HookRun>((resolve) => {
    const child = spawn('sh', [script], { cwd: options.cwd, env: options.env, timeout: options.timeoutMs });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ error, status: null, stderr }));
    child.on('close', (status) => resolve({ error: undefined, status, stderr }));
  });
}

beforeAll(async () => {
  out = join(mkdtempSync(join(tmpdir(), 'azd-package-')), 'package');
  const built = existsSync(join(repoRoot, 'dist/src/index.js'));
  run = await runHook(join(repoRoot, 'infra/hooks/package.sh'), {
    cwd: repoRoot,
    timeoutMs: 240_000,
    env: {
      ...process.env,
      PACKAGE_OUTPUT_DIR: out,
      PACKAGE_SKIP_BUILD: built ? '1' : '',
      // The dependencies were just installed by `npm ci`: take them from npm's cache where it has them.
      npm_config_prefer_offline: 'true',
    },
  });
}, 300_000);

afterAll(() => {
  if (out !== undefined) rmSync(join(out, '..'), { recursive: true, force: true });
});

function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  expect(header.subarray(0, 4).toString('latin1'), `${path} is an ELF binary`).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

describe('the deployment package (infra/hooks/package.sh)', () => {
  it('is staged without errors', () => {
    expect(run.error).toBeUndefined();
    expect(run.status, String(run.stderr)).toBe(0);
  });

  it('holds only the app, its pages, its manifest and production dependencies', () => {
    expect(readdirSync(out).sort()).toEqual([
      'dist',
      'host.json',
      'node_modules',
      'package-lock.json',
      'package.json',
      'site',
    ]);
    expect(readdirSync(join(out, 'dist'))).toEqual(['src']);
    // The pages the app serves, exactly as in the repository (no build step), and their one vendored module.
    expect(readdirSync(join(out, 'site')).sort()).toEqual(readdirSync(join(repoRoot, 'site')).sort());
    expect(existsSync(join(out, 'node_modules/thumbhash/thumbhash.js'))).toBe(true);
    expect(existsSync(join(out, 'dist/src/index.js'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.main).toBe('dist/src/index.js');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(manifest).not.toHaveProperty('scripts');
    expect(readFileSync(join(out, 'host.json'), 'utf8')).toBe(
      readFileSync(join(repoRoot, 'host.json'), 'utf8'),
    );
  });

  it('leaves out source maps and every devDependency', () => {
    const maps = readdirSync(join(out, 'dist/src'), { recursive: true }).filter((f) =>
      String(f).endsWith('.map'),
    );
    expect(maps).toEqual([]);
    const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    for (const dev of Object.keys(rootManifest.devDependencies)) {
      expect(existsSync(join(out, 'node_modules', dev)), dev).toBe(false);
    }
    for (const dependency of Object.keys(rootManifest.dependencies)) {
      expect(existsSync(join(out, 'node_modules', dependency, 'package.json')), dependency).toBe(true);
    }
    // The local host is a workspace package: neither it nor what only it needs (Azurite, the Cosmos server).
    const hostManifest = JSON.parse(
      readFileSync(join(repoRoot, 'packages/devhost/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    for (const dependency of Object.keys(hostManifest.dependencies)) {
      if (dependency in rootManifest.dependencies) continue;
      expect(existsSync(join(out, 'node_modules', dependency)), dependency).toBe(false);
    }
  });

  it("carries sharp's Linux x64 (glibc) binaries, at the locked version", () => {
    const img = join(out, 'node_modules/@img');
    expect(readdirSync(img).filter((name) => name.startsWith('sharp-'))).toEqual(
      expect.arrayContaining(['sharp-libvips-linux-x64', 'sharp-linux-x64']),
    );
    const addon = readdirSync(join(img, 'sharp-linux-x64/lib')).find((name) => name.endsWith('.node'));
    expect(addon).toBeDefined();
    expect(elfMachine(join(img, 'sharp-linux-x64/lib', addon ?? ''))).toBe(ELF_MACHINE_X86_64);
    const libvips = readdirSync(join(img, 'sharp-libvips-linux-x64/lib')).find((name) =>
      name.startsWith('libvips'),
    );
    expect(libvips).toBeDefined();
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const staged = JSON.parse(readFileSync(join(out, 'node_modules/sharp/package.json'), 'utf8')) as {
      version: string;
    };
    expect(staged.version).toBe(lock.packages['node_modules/sharp']?.version);
  });

  // Only a Linux x64 machine can load the Linux x64 binaries (CI and this project's machines are one).
  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'loads sharp from the package and resizes an image with it',
    () => {
      const script = `
      const sharp = require('sharp');
      sharp({ create: { width: 64, height: 32, channels: 3, background: '#336699' } })
        .resize(16, 16, { fit: 'inside' }).jpeg().toBuffer({ resolveWithObject: true })
        .then(({ info }) => console.log(JSON.stringify({ width: info.width, height: info.height, format: info.format })));
    `;
      const child = spawnSync(process.execPath, ['-e', script], {
        cwd: out,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.status, child.stderr).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual({ width: 16, height: 8, format: 'jpeg' });
    },
  );
});
