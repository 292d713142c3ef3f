/** The project's own suite. ESM all the way: @actions/* are ESM-only. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  resolver: 'ts-jest-resolver',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Example repositories carry their own jest setups; they are run by the product, not by this suite.
  modulePathIgnorePatterns: ['<rootDir>/examples/', '<rootDir>/dist/', '<rootDir>/build/'],
  testPathIgnorePatterns: ['/node_modules/', '/fixtures/'],
  testTimeout: 120000,
  maxWorkers: 2
};
