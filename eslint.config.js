import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Drivers and frameworks the core must never import (DESIGN.md §3: http, cli → core → ports ← adapters).
const FORBIDDEN_IN_CORE = [
  'fastify', 'fastify-*', '@fastify/*', 'kysely', 'pg', 'better-sqlite3', '@aws-sdk/*', 'commander',
  'cli-progress', 'pino', 'prom-client', 'pg-boss', '@duckdb/*', 'node:fs', 'node:fs/promises', 'fs', 'fs/promises',
  'node:http', 'node:child_process', 'node:os',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bench/.work/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-params': ['error', 3],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: FORBIDDEN_IN_CORE, message: 'src/core imports no framework, driver or I/O module; add a port instead.' },
          { group: ['**/adapters/**', '**/http/**', '**/cli/**', '**/sdk/**', '**/config/**'], message: 'src/core must not import outer layers.' },
        ],
      }],
    },
  },
  {
    // Commander calls actions as (arguments…, options, command): the library fixes the arity.
    files: ['src/cli/commands/**/*.ts'],
    rules: { 'max-params': 'off' },
  },
  {
    // Unit tests beside core code may use in-memory adapters; the layer rule is for the code itself.
    files: ['src/core/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      'max-params': 'off',
    },
  },
  // Plain-JavaScript modules (worker-thread entry points that Node loads as they are) sit outside
  // the TypeScript project: linted without type information.
  { files: ['eslint.config.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
