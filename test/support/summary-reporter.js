/**
 * Ends the run with one plain line, "tests: N passed, N failed, N skipped",
 * (on standard error, after Jest's own summary), that CI systems which do not read Jest's own summary can count.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stderr.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
