import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPillow, PILLOW_INSTALL_COMMAND } from '../../bench/core/pillow';

const originalPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = originalPath;
});

describe('the Pillow comparison of npm run bench', () => {
  it('without Pillow installs nothing: it is skipped with the one command that installs it', () => {
    // Package managers that record being called, first on PATH: none may run.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'bench-pillow-'));
    const calls = path.join(bin, 'calls.log');
    for (const tool of ['sudo', 'apt-get', 'apt', 'pip', 'pip3']) {
      writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\nexit 1\n`);
      chmodSync(path.join(bin, tool), 0o755);
    }
    process.env.PATH = `${bin}${path.delimiter}${originalPath ?? ''}`;

    const pillow = findPillow([path.join(bin, 'no-such-python')]);

    expect(pillow).toEqual({
      available: false,
      note: `Pillow comparison skipped: no Python with Pillow (tried ${path.join(bin, 'no-such-python')}). Install it with "${PILLOW_INSTALL_COMMAND}" and rerun.`,
    });
    expect(PILLOW_INSTALL_COMMAND).toBe('sudo apt-get install -y python3-pil');
    expect(existsSync(calls)).toBe(false);
  });
});
