/**
 * Ends the run with one plain line, "tests: N passed, N failed, N skipped",
 * for CI systems that do not read Jest's own summary. It is written when the
 * process exits, so that it comes after Jest's summary, as the last line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`;
    process.once('exit', () => process.stderr.write(`\n${line}`));
  }
}
module.exports = SummaryReporter;
