// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Package edges are the trust boundary: the server may touch the crypto core only
// from its escrow module, and no package reaches into another's internals.
const noDeepImports = {
  patterns: [
    { group: ['@coffer/*/src/*', '../../*/src/*', '../../../*/src/*'], message: 'Import another package only through its index (its public API).' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', 'bench/.work/**', 'coffer-data/**', '.tmp/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'packages/cli/bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      'no-restricted-imports': ['error', noDeepImports],
    },
  },
  {
    files: ['packages/crypto/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        ...noDeepImports,
        paths: ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'fs', 'net', 'http', 'https']
          .map((name) => ({ name, message: 'The crypto core does no I/O.' })),
      }],
    },
  },
  {
    files: ['packages/server/src/**/*.ts'],
    ignores: ['packages/server/src/escrow/**'],
    rules: {
      'no-restricted-imports': ['error', {
        ...noDeepImports,
        paths: [{ name: '@coffer/crypto', message: 'Only packages/server/src/escrow may use the crypto core (Standard-mode escrow).' }],
      }],
    },
  },
  {
    files: ['packages/*/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
