/**
 * Jest runs the TypeScript sources through ts-jest in transpile-only mode
 * (type checking is `tsc --noEmit`, the first half of `npm test`).
 * middy 6 ships ESM only, so it is transformed to CommonJS like our own code.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // The package's own name, as examples/ import it, resolves to the sources (tsconfig.json "paths" does the same).
  moduleNameMapper: { '^sms-verify$': '<rootDir>/lib/index.ts', '^sms-verify/client$': '<rootDir>/client/index.ts' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/test-env.ts'],
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
