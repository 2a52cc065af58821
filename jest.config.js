/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // esbuild strips the types (tsc --noEmit checks them first): fast, and already a dependency.
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-jest-transform.js' },
  // Integration tests start emulators and the bundle test runs esbuild: give them room.
  testTimeout: 60_000,
  // Both cores: most of the time goes to child processes (npm start, the calls tools, synths) and
  // emulators, which jest's default of one worker on a two-core machine leaves idle half the time.
  maxWorkers: 2,
};
