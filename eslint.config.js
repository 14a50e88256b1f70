// One linter for the whole tree: ESLint with typescript-eslint's type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // STYLE: no floating promises, typed errors, no unused code.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }],
    },
  },
  // Rooms (DESIGN §2, each room's README): arrows point one way, and card/ stays pure.
  {
    files: ['card/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'net', 'timers', 'node:fs', 'node:fs/promises', 'node:net', 'node:timers', 'node:timers/promises', 'node:child_process', 'node:dgram', 'node:http', 'node:https', 'node:tls'].map((name) => ({
            name,
            message: 'card/ is pure: no I/O and no clocks (card/README.md)',
          })),
          patterns: [{ group: ['**/common/**', '**/hardware/**', '**/cli/**', '**/kiosk/**', '**/center/**', '**/wire/**'], message: 'card/ imports nothing else of the project' }],
        },
      ],
      'no-restricted-globals': ['error', ...['setTimeout', 'setInterval', 'setImmediate', 'Date', 'process'].map((name) => ({ name, message: 'card/ is pure: clocks and the environment are injected' }))],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'card/ has no randomness of its own: random sources are passed in' }],
    },
  },
  {
    // wire/ is pure like card/ (wire/README.md), and may import card/ besides zod and @noble/*.
    files: ['wire/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'net', 'timers', 'crypto', 'node:crypto', 'node:fs', 'node:fs/promises', 'node:net', 'node:timers', 'node:timers/promises', 'node:child_process', 'node:dgram', 'node:http', 'node:https', 'node:tls'].map((name) => ({
            name,
            message: 'wire/ is pure: no I/O, no clocks, no randomness of its own (wire/README.md)',
          })),
          patterns: [{ group: ['**/common/**', '**/hardware/**', '**/cli/**', '**/kiosk/**', '**/center/**'], message: 'wire/ may import card/ only of the project' }],
        },
      ],
      'no-restricted-globals': ['error', ...['setTimeout', 'setInterval', 'setImmediate', 'Date', 'process'].map((name) => ({ name, message: 'wire/ is pure: clocks and the environment are injected' }))],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'wire/ has no randomness of its own: random sources are passed in' }],
    },
  },
  {
    files: ['hardware/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/**', '**/kiosk/**', '**/center/**'], message: 'hardware/ may import card/ and common/ only (hardware/README.md)' }] }],
    },
  },
  {
    files: ['kiosk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/center/**', '**/cli/**', '**/provisioning/**'], message: 'kiosk/ may import card/, wire/, hardware/ and common/ only (kiosk/README.md)' }] }],
    },
  },
  {
    files: ['center/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/kiosk/**', '**/hardware/**', '**/cli/**', '**/provisioning/**'], message: 'center/ may import card/, wire/ and common/ only (center/README.md)' }] }],
    },
  },
  {
    files: ['provisioning/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/kiosk/**', '**/center/**', '**/cli/**', '**/hardware/**'], message: 'provisioning/ may import card/, wire/ and common/ only (provisioning/README.md)' }] }],
    },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/card/**', '**/hardware/**', '**/cli/**', '**/kiosk/**', '**/center/**', '**/wire/**'], message: 'common/ imports Node built-ins only (common/README.md)' }] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 1000 }],
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Plain JavaScript helpers (scripts/*.mjs) are outside the TypeScript project.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { console: 'readonly', process: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
  },
  {
    files: ['cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The screens' browser code (kiosk/screen/static, center/console/static): plain ES modules served as is, no build step.
    files: ['**/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false, project: null },
      globals: { ...globals.browser },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'error', 'no-eval': 'error', 'no-implied-eval': 'error' },
  },
);
