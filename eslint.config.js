// Lint: typescript-eslint with type information, over sources, tests and benchmarks.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of src/ (README "Layout"), lowest first: a folder imports only from the folders below it. Each block names
// what its files must not import; specifiers are relative, so folders are matched by name wherever they sit in the path.
/** An import of any file in one of these folders of src/. @param {...string} names */
const folders = (...names) => `(^|/)(${names.join('|')})/`;
/** An import of one of these files at the top of src/ (ledger.ts, server.ts, config.ts). @param {...string} names */
const topFiles = (...names) => `^(\\.\\.?/)+(${names.join('|')})\\.js$`;
/**
 * The files matching `files` must not import a specifier matching any of `regexes`.
 * @param {string[]} files
 * @param {string} message
 * @param {...string} regexes
 */
const refuse = (files, message, ...regexes) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: regexes.map((regex) => ({ regex, message })) }] },
});

const layers = [
  refuse(['src/domain/**'], 'domain imports nothing of ours but domain', '^\\.\\./'),
  refuse(['src/runtime/**'], 'runtime (generic helpers) imports nothing of ours', '^\\.\\./'),
  refuse(['src/config.ts'], 'config imports domain and the backup schedule check only', '^\\./(?!domain/|backup/schedule\\.js$)'),
  refuse(['src/telemetry/**'], 'telemetry imports config and domain only', '^\\.\\./(?!config\\.js$|domain/)'),
  refuse(['src/store/**'], 'the store imports domain, runtime and telemetry only', '^\\.\\./(?!domain/|runtime/|telemetry/)'),
  refuse(
    ['src/commands/**'],
    'commands import domain, the store port, telemetry and the hash chain (audit/chain.ts) only',
    folders('auth', 'backup', 'cli', 'exports', 'http', 'imports', 'projections', 'schemas', 'synthetic'),
    '(^|/)audit/(?!chain\\.js$)',
    topFiles('config', 'ledger', 'server'),
  ),
  refuse(
    ['src/projections/**'],
    'projections import domain, runtime, the store, commands (not the handler) and the journal tree (audit/journalTree.ts)',
    folders('auth', 'backup', 'cli', 'exports', 'http', 'imports', 'schemas', 'synthetic'),
    '(^|/)audit/(?!journalTree\\.js$)',
    '(^|/)commands/handle\\.js$',
    topFiles('config', 'ledger', 'server'),
  ),
  refuse(
    ['src/audit/**'],
    'audit imports domain, runtime, the store and the projections only',
    folders('auth', 'backup', 'cli', 'commands', 'exports', 'http', 'imports', 'schemas', 'synthetic'),
    topFiles('config', 'ledger', 'server'),
  ),
  refuse(
    ['src/schemas/**'],
    "schemas import domain, the store's positions, commands' events and the projections' types only",
    folders('audit', 'auth', 'backup', 'cli', 'exports', 'http', 'imports', 'synthetic'),
    '(^|/)commands/(handle|load|envelope)\\.js$',
    topFiles('config', 'ledger', 'server'),
  ),
  refuse(
    ['src/auth/**'],
    'auth imports domain, config, the store and commands only',
    folders('audit', 'backup', 'cli', 'exports', 'http', 'imports', 'projections', 'schemas', 'synthetic'),
    topFiles('ledger', 'server'),
  ),
  refuse(
    ['src/imports/**'],
    'imports (CSV/JSONL files) import domain, the store, commands and schemas only',
    folders('audit', 'auth', 'backup', 'cli', 'exports', 'http', 'projections', 'synthetic'),
    topFiles('config', 'ledger', 'server'),
  ),
  refuse(
    ['src/exports/**'],
    'exports import what is below them, never backup, imports, http or cli',
    folders('auth', 'backup', 'cli', 'http', 'imports', 'synthetic'),
    topFiles('ledger', 'server'),
  ),
  refuse(
    ['src/backup/**'],
    'backup imports what is below it, never http or cli',
    folders('cli', 'http', 'imports', 'synthetic'),
    topFiles('ledger', 'server'),
  ),
  refuse(['src/synthetic/**'], 'synthetic histories import domain and commands only', '^\\.\\./(?!domain/|commands/)'),
  refuse(
    ['src/http/**'],
    'http imports everything below it, never the CLI or the entry points',
    folders('cli'),
    topFiles('ledger', 'server'),
  ),
  refuse(['src/ledger.ts'], 'the ledger assembles everything but the CLI and the server', '^\\./(cli/|server\\.js$)'),
  refuse(['src/server.ts'], 'the server starts the ledger; it does not reach into http or the CLI', '^\\./(cli|http)/'),
  refuse(['src/cli/**'], 'the CLI goes through the ledger, not the HTTP layer or the server', folders('http'), topFiles('server')),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'public/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['bin/*.js', '*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // No line in src/ over Prettier's width: long messages are joined with +, comments wrapped.
  { files: ['src/**/*.ts'], rules: { 'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }] } },
  ...layers,
);
