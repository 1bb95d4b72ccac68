/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: false, diagnostics: false }] },
  // The kit is imported by its package name, as any subgraph imports it: its sources here (tsconfig.json's paths).
  moduleNameMapper: { '^portico-kit$': '<rootDir>/packages/kit/src/index.ts', '^portico-kit/(.*)$': '<rootDir>/packages/kit/src/$1.ts' },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 60000,
};
