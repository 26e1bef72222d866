import type { Reporter, TestModule } from 'vitest/node' with { 'resolution-mode': 'import' };

/**
 * Prints the run's plain closing line ("Tests: N passed, N failed, N skipped") as the last line of the output,
 * so CI logs carry a runner-neutral count as well as the exit code.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else counts.skipped += 1;
      }
      // A file that failed to load has no tests but must still count as a failure.
      if (module.state() === 'failed' && !module.children.size) counts.failed += 1;
    }
    counts.failed += unhandledErrors.length;
    const line = `Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
    // Written at exit so it comes after the default reporter's summary (stdout is synchronous on Linux pipes).
    process.once('exit', () => process.stdout.write(`\n${line}\n`));
  }
}
