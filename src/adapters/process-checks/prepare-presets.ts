/**
 * The package managers the prepare step knows, each with the files that identify it in a repository and the
 * command that installs exactly what the lock file pins (never resolving anew: a check must judge the
 * dependencies the card proposes, not whatever the registry serves today).
 */
export const PREPARE_PRESETS = {
  npm: {
    detect: ["package-lock.json", "npm-shrinkwrap.json"],
    command: ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"],
  },
  pnpm: { detect: ["pnpm-lock.yaml"], command: ["pnpm", "install", "--frozen-lockfile", "--prefer-offline"] },
  yarn: { detect: ["yarn.lock"], command: ["yarn", "install", "--frozen-lockfile"] },
  uv: { detect: ["uv.lock"], command: ["uv", "sync", "--frozen"] },
  pip: {
    detect: ["requirements.txt"],
    // A virtual environment inside the tree: nothing is installed into the host's Python.
    command: [
      "sh",
      "-c",
      "python3 -m venv .venv && .venv/bin/pip install --require-virtualenv -r requirements.txt",
    ],
  },
  go: { detect: ["go.sum", "go.mod"], command: ["go", "mod", "download"] },
  cargo: { detect: ["Cargo.lock"], command: ["cargo", "fetch", "--locked"] },
} as const satisfies Record<
  string,
  { readonly detect: readonly string[]; readonly command: readonly string[] }
>;

/** A package manager of {@link PREPARE_PRESETS}. */
export type PreparePreset = keyof typeof PREPARE_PRESETS;

/** The order detection tries the presets in: the more specific lock files first. */
const DETECTION_ORDER: readonly PreparePreset[] = ["pnpm", "yarn", "npm", "uv", "pip", "go", "cargo"];

/**
 * The preset a repository's root files point to, or `null` when none does (then nothing is installed).
 * `pnpm-lock.yaml` wins over `package-lock.json` (a pnpm repository may keep both by accident), `uv.lock`
 * over `requirements.txt`. Pure: the caller lists the root's file names.
 */
export function detectPreparePreset(rootFiles: readonly string[]): PreparePreset | null {
  const present = new Set(rootFiles);
  return DETECTION_ORDER.find((p) => PREPARE_PRESETS[p].detect.some((f) => present.has(f))) ?? null;
}

/**
 * Environment variables that point every package manager's download cache at `cacheDir`, so cards and heads
 * share downloads while each check tree still gets its own install.
 */
export function packageCacheEnv(cacheDir: string): Record<string, string> {
  return {
    npm_config_cache: `${cacheDir}/npm`,
    npm_config_store_dir: `${cacheDir}/pnpm-store`,
    YARN_CACHE_FOLDER: `${cacheDir}/yarn`,
    UV_CACHE_DIR: `${cacheDir}/uv`,
    PIP_CACHE_DIR: `${cacheDir}/pip`,
    GOMODCACHE: `${cacheDir}/go-mod`,
    CARGO_HOME: `${cacheDir}/cargo`,
  };
}
