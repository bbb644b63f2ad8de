/**
 * `rungate/git`: the {@link rungate!GitPort | GitPort} over simple-git 3 and the `git` executable (2.36 or
 * later) — bare clones under a root directory, one worktree per assignment, plumbing output parsed with `-z`,
 * credentials passed per command and never stored.
 *
 * @module rungate/git
 */
export {
  createSimpleGitAdapter,
  SIMPLE_GIT_ADAPTER_NAME,
  type SimpleGitAdapter,
} from "./simple-git-adapter.js";
export {
  DEFAULT_CREDENTIALS_USERNAME,
  DEFAULT_GIT_TIMEOUT_MS,
  type ParsedSimpleGitAdapterConfig,
  SimpleGitAdapterConfig,
  SimpleGitCredentials,
} from "./simple-git-config.js";
