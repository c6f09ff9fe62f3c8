// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * DESIGN.md's import rules as lint errors: a wrong import fails CI.
 * @param {string[]} groups glob patterns the files in this block may not import
 * @param {string} message why
 */
const forbid = (groups, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }],
});

/**
 * The signer may import only the shared request/response schema from the project.
 * @param {string} regex import paths it may not use
 */
const signerImports = (regex) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [{ regex, message: 'the signer imports only the shared request/response schema.' }] },
  ],
});

export default tseslint.config(
  { ignores: ['core/generated/**', 'node_modules/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['core/domain/**'],
    rules: forbid(
      [
        '**/adapters/**',
        '**/services/**',
        '**/generated/**',
        'pg',
        'ioredis',
        'bullmq',
        'grammy',
        '@prisma/*',
        'node:fs',
        'node:net',
        'node:http',
      ],
      'core/domain is pure: no I/O.',
    ),
  },
  {
    files: ['core/services/**'],
    rules: forbid(
      ['**/adapters/**', 'grammy', 'bullmq', '@grammyjs/*'],
      'core/services take their dependencies as arguments (ports).',
    ),
  },
  {
    files: ['core/**'],
    ignores: ['core/domain/**', 'core/services/**'],
    rules: forbid(
      ['**/bot/**', '**/jobs/**', '**/signer/**', 'grammy', '@grammyjs/*'],
      'core/ has no Telegram and never imports a process.',
    ),
  },
  {
    files: ['bot/**'],
    rules: forbid(
      ['**/jobs/**', '**/signer/**', '**/core/adapters/signer-client*'],
      'bot/ imports core/ only and never reaches the signer.',
    ),
  },
  {
    files: ['jobs/**'],
    rules: forbid(['**/bot/**', '**/signer/**'], 'jobs/ imports core/ only.'),
  },
  {
    files: ['signer/**'],
    rules: signerImports('(^|/)(bot|jobs)/|(^|/)core/(?!signer-protocol/)'),
  },
  {
    // The composition root also parses its config and runs through the shared process entry.
    files: ['signer/main.ts'],
    rules: signerImports('(^|/)(bot|jobs)/|(^|/)core/(?!signer-protocol/|config\\.ts$|process-entry\\.ts$)'),
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
