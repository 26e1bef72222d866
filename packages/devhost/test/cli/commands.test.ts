import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  blobArgument,
  npmRunCommand,
  oneTarget,
  portOption,
  positionalArguments,
  reprocessUrl,
  shellQuote,
} from '../../src/cli/commands';
import { statusUrl } from '../../src/cli/uploadPlan';

/** What a POSIX shell makes of a command line: its words, one per line. */
function shellWords(line: string): string[] {
  const run = spawnSync('sh', ['-c', `printf '%s\\n' ${line}`], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.split('\n').slice(0, -1);
}

describe('commands printed for the user', () => {
  const names = [
    'cat.jpg',
    'users/42/my cat.jpg',
    "it's.jpg",
    'a$(touch x)`b`;c|d&e*f?.jpg',
    '-dash.jpg',
    'ünïcode ✓.png',
    '',
  ];

  it('quote each blob name so a shell passes it through unchanged', () => {
    for (const name of names) expect(shellWords(shellQuote(name)), name).toEqual([name]);
    expect(shellQuote('users/42/cat_1.jpg')).toBe('users/42/cat_1.jpg');
    expect(shellQuote("it's a cat.jpg")).toBe("'it'\\''s a cat.jpg'");
  });

  it('build `npm run <script> -- …` with the port the CLI was given', () => {
    expect(npmRunCommand('status', ["it's a cat.jpg", ...portOption(['x', '--port', '7072'])])).toBe(
      "npm run status -- 'it'\\''s a cat.jpg' --port 7072",
    );
    expect(portOption(['--port=7073', '--azurite-ports', '1,2,3'])).toEqual(['--port', '7073']);
    expect(portOption(['photo.jpg'])).toEqual([]);
    expect(portOption(['--port', '7071'])).toEqual([]);
    expect(portOption(['--port', '7072'], 'http://127.0.0.1:7080')).toEqual(['--port', '7080']);
    const words = shellWords(npmRunCommand('status', ['a b.jpg', '--port', '7072']));
    expect(words).toEqual(['npm', 'run', 'status', '--', 'a b.jpg', '--port', '7072']);
  });
});

describe('blob arguments', () => {
  it('take a blob name, or a status URL as npm run upload prints it', () => {
    expect(blobArgument('/users/42/cat.jpg')).toEqual({ blobName: 'users/42/cat.jpg' });
    for (const name of ['users/42/my cat#1.jpg', "it's ✓.png", 'a%2Fb.jpg']) {
      expect(blobArgument(statusUrl('http://127.0.0.1:7072', name))).toEqual({
        blobName: name,
        baseUrl: 'http://127.0.0.1:7072',
      });
    }
  });

  it('refuse a URL that is not a status URL', () => {
    expect(() => blobArgument('http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/x')).toThrow(
      'Expected a blob name or a status URL ({host}/api/images/{blob}) but received "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/x"',
    );
  });

  it('separate positional arguments from known options and name an unknown one', () => {
    expect(
      positionalArguments(['a', '--port', '1', '--sizes=thumb', '--json', 'b'], ['port', 'sizes'], ['json']),
    ).toEqual(['a', 'b']);
    expect(() => positionalArguments(['a', '--force'], ['port'], [])).toThrow('Unknown option --force');
    expect(oneTarget(['a'])).toBe('a');
    expect(() => oneTarget([])).toThrow('Expected one blob name or status URL but received none');
    expect(() => oneTarget(['a', 'b'])).toThrow('Expected one blob name or status URL but received "a" "b"');
  });

  it('build the reprocess URL with each segment encoded and the chosen sizes', () => {
    expect(reprocessUrl('http://127.0.0.1:7071', 'users/42/my cat.jpg')).toBe(
      'http://127.0.0.1:7071/api/reprocess/users/42/my%20cat.jpg',
    );
    expect(reprocessUrl('http://127.0.0.1:7071', 'a.jpg', 'thumb,medium')).toBe(
      'http://127.0.0.1:7071/api/reprocess/a.jpg?sizes=thumb%2Cmedium',
    );
  });
});
