// See: https://eslint.org/docs/latest/use/configure/configuration-files
// Laid out as actions/typescript-action does (eslint:recommended, typescript-eslint, jest's recommended set, Prettier
// last), with typescript-eslint's type-aware set: the whole tree lints in about 15 s on two cores.
import { defineConfig, globalIgnores } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default defineConfig(
  // Generated output, installs, and the demo repositories (examples/*.pr.patch applies to their text as it is).
  globalIgnores(['dist/', 'build/', 'coverage/', '.bench/', '.aqe/', '.ci/.node24/', 'examples/', 'test/fixtures/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node }
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // Each file is typed by the first of these that holds it: tsconfig.json has src/ and test/, the two bench
        // configs reach every bench/ file from their entry points.
        project: ['./tsconfig.json', './tsconfig.bench.json', './tsconfig.bench-validation.json'],
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      // The `!` after an indexed access is written on purpose, as if noUncheckedIndexedAccess were on; tsconfig.json
      // does not set it yet, so this rule would call all ~270 of them unnecessary. Turn it back on with that option.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fakes and providers implement Promise-returning interfaces with `async` so that a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off'
    }
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.recommended]
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }
      ]
    }
  },
  {
    files: ['test/**/*.ts'],
    extends: [jest.configs['flat/recommended']],
    rules: {
      // Tests assert through helpers named expect… (expectFailure, expectRefused).
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      // Tests that depend on the machine are `it` where it allows them, else `it.skip`, chosen at load time under one of
      // these names (onMounts: tmpfs mounts are possible); the plugin cannot see through that. Hooks check their
      // preconditions with expect.
      'jest/no-standalone-expect': [
        'error',
        {
          additionalTestBlockFunctions: [
            'onMounts',
            'itAsNonRoot',
            'itAsRoot',
            'itOnSeveralCpus',
            'itOnOneCpu',
            'itWithInstall',
            'itWithBothInstalls',
            'beforeAll',
            'beforeEach',
            'afterAll',
            'afterEach'
          ]
        }
      ]
    }
  },
  // Last: formatting belongs to Prettier (npm run format:check), so no rule here may disagree with it.
  prettier
);
