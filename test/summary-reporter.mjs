// JavaScript, not TypeScript: Node 20's test runner loads reporters before `--import tsx` takes
// effect, so a .ts reporter fails with ERR_UNKNOWN_FILE_EXTENSION.

/**
 * A node:test reporter that ends the run with one line: `N passed, N failed` (plus `, N skipped`
 * when tests were skipped or todo). Tests are counted at every nesting level; suites are not, except
 * a suite that fails with none of its tests failing (an `after` hook threw), so that a failed run
 * never reports `0 failed`. A test file that crashes outside its tests fails as one test, named
 * after the file.
 *
 * @param {AsyncIterable<import('node:test/reporters').TestEvent>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* summaryReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  /** failedWithin[n]: a failure was counted below nesting level n since the last test at level n ended. */
  const failedWithin = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, skip, todo, details } = event.data;
    const failedInside = failedWithin[nesting] ?? false;
    failedWithin.length = nesting;
    const isSuite = details.type === 'suite';
    if (skip !== undefined || todo !== undefined) {
      if (!isSuite) skipped++;
    } else if (event.type === 'test:pass') {
      if (!isSuite) passed++;
    } else if (!isSuite || !failedInside) {
      failed++;
      failedWithin.fill(true, 0, nesting);
    }
  }
  yield `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`;
}
