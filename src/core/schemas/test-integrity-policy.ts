import { z } from "zod";

/**
 * What a test-weakening finding does: `fail` fails the `policy` check; `require_approval` lets the check pass
 * but asks a person for a `test_change` approval before the card may go on.
 */
export const TEST_INTEGRITY_ACTIONS = ["fail", "require_approval"] as const;
/** One of {@link TEST_INTEGRITY_ACTIONS}. */
export const TestIntegrityAction = z.enum(TEST_INTEGRITY_ACTIONS);
/** One of {@link TEST_INTEGRITY_ACTIONS}. */
export type TestIntegrityAction = z.infer<typeof TestIntegrityAction>;

/**
 * The files rungate treats as tests when a policy names none: the usual file names and folders of JS/TS (vitest,
 * jest, mocha, Playwright, Cypress), Python (pytest, unittest), Go, Rust (`tests/`), Ruby, Java, Kotlin, C#,
 * PHP, and snapshot files. Everything under a `test/`, `tests/`, `spec/` or `__tests__/` folder counts,
 * fixtures included, so deleting a fixture asks too.
 */
export const DEFAULT_TEST_GLOBS = [
  "**/*.test.*",
  "**/*.spec.*",
  "**/*.cy.*",
  "**/__tests__/**",
  "**/__snapshots__/**",
  "**/*.snap",
  "**/test/**",
  "**/tests/**",
  "**/spec/**",
  "**/e2e/**",
  "**/test_*.py",
  "**/*_test.py",
  "**/*_test.go",
  "**/*_spec.rb",
  "**/*_test.rb",
  "**/*Test.java",
  "**/*Tests.java",
  "**/*Test.kt",
  "**/*Tests.cs",
  "**/*Test.php",
] as const;

/**
 * The files that decide which tests run and what passing means, when a policy names none: test runner and
 * coverage configuration (thresholds live there), setup files that run before every test, and CI definitions.
 * `vite.config.*` is here because vitest reads its `test` block; a change to it asks even when it only touched
 * the build. `package.json` is NOT here: only its test scripts and test-runner keys are judged (see
 * {@link TestIntegrityPolicy} `test_scripts`, `test_config_keys`); its dependencies are the `dependency`
 * check's business.
 */
export const DEFAULT_TEST_CONFIG_GLOBS = [
  // JS/TS runners and their setup files
  "**/vitest.config.*",
  "**/vitest.workspace.*",
  "**/vitest.setup.*",
  "**/vite.config.*",
  "**/jest.config.*",
  "**/jest.setup.*",
  "**/jest.preset.*",
  "**/setupTests.*",
  "**/karma.conf.*",
  "**/playwright.config.*",
  "**/cypress.config.*",
  "**/cypress.json",
  "**/.mocharc*",
  "**/ava.config.*",
  "**/.taprc*",
  "**/wdio.conf.*",
  "**/stryker.conf.*",
  // coverage thresholds and upload
  "**/.nycrc*",
  "**/.c8rc*",
  "**/.coveragerc",
  "**/codecov.yml",
  "**/codecov.yaml",
  "**/.codecov.yml",
  "**/.codecov.yaml",
  // Python and Rust runners
  "**/pytest.ini",
  "**/tox.ini",
  "**/noxfile.py",
  "**/conftest.py",
  "**/.config/nextest.toml",
  // CI
  "**/.github/workflows/**",
  "**/.github/actions/**",
  "**/.gitlab-ci.yml",
  "**/.gitlab/ci/**",
  "**/.circleci/**",
  "**/.travis.yml",
  "**/azure-pipelines.yml",
  "**/Jenkinsfile",
  "**/bitbucket-pipelines.yml",
  "**/.buildkite/**",
  "**/.drone.yml",
  "**/.woodpecker.yml",
  "**/.woodpecker/**",
  "**/appveyor.yml",
  "**/.appveyor.yml",
  "**/.ci/**",
] as const;

/**
 * The `package.json` scripts that run tests or coverage, when a policy names none. A name ending in `*` covers
 * every script whose name starts with what comes before it (`test:*` covers `test:unit`).
 */
export const DEFAULT_TEST_SCRIPTS = [
  "test",
  "test:*",
  "pretest",
  "posttest",
  "coverage",
  "coverage:*",
  "ci",
] as const;

/**
 * The top-level `package.json` keys that configure a test runner or coverage tool, when a policy names none
 * (jest's `coverageThreshold`, nyc's `check-coverage`, …).
 */
export const DEFAULT_TEST_CONFIG_KEYS = ["jest", "nyc", "c8", "ava", "mocha", "tap"] as const;

/**
 * Tests cannot be weakened silently: the `test_integrity` part of a policy, judged on what a card changed
 * (deleted or renamed-away test files, fewer assertions, added skip or focus markers, changed test runner,
 * coverage or CI configuration). Globs are picomatch, POSIX, case-sensitive and anchored at the repository
 * root, like every path rule (write `**\/name` to match at any depth). Unknown keys are kept (`looseObject`) so
 * a host's own settings survive a round trip.
 */
export const TestIntegrityPolicy = z
  .looseObject({
    /** Judge test integrity at all? Default `true`. */
    enabled: z.boolean().default(true),
    /**
     * What a finding does: `fail` fails the `policy` check, `require_approval` (default) asks a person for a
     * `test_change` approval.
     */
    on_finding: TestIntegrityAction.default("require_approval"),
    /** The files that are tests (default {@link DEFAULT_TEST_GLOBS}). A glob that does not compile is an error. */
    test_globs: z.array(z.string().min(1)).default([...DEFAULT_TEST_GLOBS]),
    /**
     * The files whose every change is a finding: test runner, coverage and CI configuration (default
     * {@link DEFAULT_TEST_CONFIG_GLOBS}). A glob that does not compile is an error.
     */
    config_globs: z.array(z.string().min(1)).default([...DEFAULT_TEST_CONFIG_GLOBS]),
    /**
     * The `package.json` scripts whose command may not change silently, in any `package.json` of the
     * repository (default {@link DEFAULT_TEST_SCRIPTS}; a trailing `*` matches any rest of the name).
     */
    test_scripts: z.array(z.string().min(1)).default([...DEFAULT_TEST_SCRIPTS]),
    /**
     * The top-level `package.json` keys that configure a test runner or coverage tool (default
     * {@link DEFAULT_TEST_CONFIG_KEYS}).
     */
    test_config_keys: z.array(z.string().min(1)).default([...DEFAULT_TEST_CONFIG_KEYS]),
  })
  .default({
    enabled: true,
    on_finding: "require_approval",
    test_globs: [...DEFAULT_TEST_GLOBS],
    config_globs: [...DEFAULT_TEST_CONFIG_GLOBS],
    test_scripts: [...DEFAULT_TEST_SCRIPTS],
    test_config_keys: [...DEFAULT_TEST_CONFIG_KEYS],
  });
/** Parsed {@link TestIntegrityPolicy}. */
export type TestIntegrityPolicy = z.infer<typeof TestIntegrityPolicy>;
