// The import boundaries of STYLE.md, checked by a machine: the data flows one way,
// identity → principal → decision → enforcement → resolvers → storage, and the kit stands alone.
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

// The kit is a package of its own (packages/kit), imported by its name only: never through a path into its folder.
const KIT_BY_PATH = { group: ['**/packages/kit', '**/packages/kit/**'], message: 'the kit is imported by its package name, portico-kit, as any subgraph imports it' };

const never = (...folders) => ({
  'no-restricted-imports': [
    'error',
    {
      // Relative paths only (src/ has no path aliases): a package such as @apollo/server/errors is not Portico's errors.
      patterns: [
        KIT_BY_PATH,
        ...folders.map((folder) =>
          folder === 'kit'
            ? { group: ['portico-kit', 'portico-kit/**'], message: 'this folder never imports the kit (see STYLE.md, "Boundaries")' }
            : {
                group: ['../', '../../', '../../../'].flatMap((up) => [`${up}${folder}`, `${up}${folder}/**`]),
                message: `this folder never imports src/${folder} (see STYLE.md, "Boundaries")`,
              },
        ),
      ],
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'packages/*/dist/**'] },
  { files: ['src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'packages/*/src/**/*.ts'], languageOptions: { parser: tseslint.parser } },
  // Every folder of src/ reaches the kit by its package name.
  { files: ['src/**/*.ts', 'scripts/**/*.ts'], rules: never() },
  // The policy engine is pure: nothing of Portico's, no I/O.
  { files: ['src/policy/**/*.ts'], rules: never('config', 'identity', 'storage', 'domain', 'graph', 'gateway', 'kit', 'demo', 'errors', 'identifiers') },
  { files: ['src/identity/**/*.ts'], rules: never('storage', 'domain', 'graph', 'gateway', 'demo') },
  { files: ['src/storage/**/*.ts'], rules: never('domain', 'graph', 'gateway', 'kit', 'demo') },
  { files: ['src/domain/**/*.ts'], rules: never('graph', 'gateway', 'demo') },
  { files: ['src/graph/**/*.ts'], rules: never('gateway', 'demo') },
  // What a downstream team installs (packages/kit): it reads tokens and asks for decisions, nothing of Portico's
  // inside: nothing outside its own folder, and not the gateway's package. Its packages are those of its
  // package.json (test/kit/package.test.ts).
  {
    files: ['packages/kit/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'portico', message: 'the kit never imports the gateway' }],
          patterns: [{ group: ['../*', '../**', 'portico/*'], message: 'the kit imports nothing outside its own folder (packages/kit/src)' }],
        },
      ],
    },
  },
  // The demo subgraphs reach Portico only as any subgraph would: through the kit.
  { files: ['src/demo/**/*.ts'], rules: never('config', 'identity', 'storage', 'domain', 'graph', 'gateway', 'policy', 'errors', 'identifiers') },
  // The suites: no focused or disabled test, none that asserts nothing, no title twice.
  {
    files: ['test/**/*.ts'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      // Suites that assert through a helper name it here; a test run through a helper of its own is checked as one.
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'ok', 'refused', 'refusedGroup', 'refusedHere'], additionalTestBlockFunctions: ['fromElsewhere'] }],
      'jest/no-identical-title': 'error',
      'jest/valid-title': ['error', { ignoreTypeOfTestName: true }],
      'jest/valid-expect': 'error',
      'jest/no-done-callback': 'error',
      'jest/valid-describe-callback': 'error',
      'jest/no-test-return-statement': 'error',
      'jest/no-commented-out-tests': 'error',
      'jest/valid-expect-in-promise': 'error',
      'jest/no-export': 'error',
      'jest/no-jasmine-globals': 'error',
    },
  },
);
