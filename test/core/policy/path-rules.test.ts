import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import {
  compilePathRules,
  compilePolicyPathRules,
  globBase,
  globCoveredBy,
  globsMayOverlap,
  NO_ALLOWED_MATCH,
  type PathRules,
  PathVerdict,
} from "../../../src/core/policy/path-rules.js";

interface Globs {
  allowed: string[];
  forbidden?: string[];
  protected?: string[];
}

function rules({ allowed, forbidden = [], protected: guarded = [] }: Globs): PathRules {
  return compilePathRules({ allowed, forbidden, protected: guarded })._unsafeUnwrap();
}

const TYPICAL: Globs = {
  allowed: ["src/**", "test/**", "package.json", "migrations/**"],
  forbidden: ["**/.env", "**/*.pem", "secrets/**"],
  protected: ["package.json", "migrations/**"],
};

describe("path rules", () => {
  describe("judge", () => {
    it.each<[string, Globs, string, string, string]>([
      // dotfiles
      ["allows a dotfile under an allowed directory", TYPICAL, "src/.eslintrc.json", "allowed", "src/**"],
      ["allows a dot directory under an allowed directory", TYPICAL, "src/.cache/x.ts", "allowed", "src/**"],
      ["forbids .env at the root through **/.env", TYPICAL, ".env", "forbidden", "**/.env"],
      ["forbids a nested .env", TYPICAL, "src/config/.env", "forbidden", "**/.env"],
      [
        "lets **/secrets reach into dot directories",
        { allowed: ["**"], forbidden: ["**/secrets"] },
        ".config/secrets",
        "forbidden",
        "**/secrets",
      ],
      // case
      [
        "forbids .ENV when .env is forbidden (deny matches case-insensitively)",
        TYPICAL,
        ".ENV",
        "forbidden",
        "**/.env",
      ],
      ["forbids SECRETS/k when secrets/** is forbidden", TYPICAL, "SECRETS/k", "forbidden", "secrets/**"],
      [
        "keeps SRC/a.ts outside src/** (allow matches case-sensitively)",
        TYPICAL,
        "SRC/a.ts",
        "outside_allowed",
        NO_ALLOWED_MATCH,
      ],
      [
        "protects PACKAGE.json where package.json is protected",
        { allowed: ["**"], protected: ["package.json"] },
        "PACKAGE.json",
        "protected",
        "package.json",
      ],
      // unicode
      [
        "forbids an NFD path by an NFC glob",
        { allowed: ["**"], forbidden: ["docs/caf\u00e9.md"] },
        "docs/caf\u0065\u0301.md",
        "forbidden",
        "docs/caf\u00e9.md",
      ],
      [
        "forbids an NFC path by an NFD glob",
        { allowed: ["**"], forbidden: ["docs/caf\u0065\u0301.md"] },
        "docs/caf\u00e9.md",
        "forbidden",
        "docs/caf\u00e9.md",
      ],
      [
        "allows an NFD path under an NFC allowed glob",
        { allowed: ["caf\u00e9/**"] },
        "caf\u0065\u0301/x",
        "allowed",
        "caf\u00e9/**",
      ],
      // ** and *
      ["lets src/** cross directories", TYPICAL, "src/a/b/c.ts", "allowed", "src/**"],
      ["lets src/** match a dotfile", TYPICAL, "src/.x", "allowed", "src/**"],
      [
        "does not let src/* cross a directory",
        { allowed: ["src/*"] },
        "src/a/b.ts",
        "outside_allowed",
        NO_ALLOWED_MATCH,
      ],
      ["lets src/* match a direct child", { allowed: ["src/*"] }, "src/a.ts", "allowed", "src/*"],
      [
        "keeps *.pem at the root only",
        { allowed: ["**"], forbidden: ["*.pem"] },
        "keys/a.pem",
        "allowed",
        "**",
      ],
      ["does not let src/** match srcx/a", TYPICAL, "srcx/a.ts", "outside_allowed", NO_ALLOWED_MATCH],
      ["treats a trailing / as a directory", { allowed: ["src/"] }, "src/a/b.ts", "allowed", "src/**"],
      // deny wins, protected
      ["lets deny win over allow", TYPICAL, "src/keys/server.pem", "forbidden", "**/*.pem"],
      [
        "names the first forbidden glob that matches",
        { allowed: ["**"], forbidden: ["secrets/**", "**/*.pem"] },
        "secrets/a.pem",
        "forbidden",
        "secrets/**",
      ],
      [
        "marks a protected path inside the allowed ones as protected",
        TYPICAL,
        "migrations/001.sql",
        "protected",
        "migrations/**",
      ],
      ["marks a literal protected file as protected", TYPICAL, "package.json", "protected", "package.json"],
      [
        "puts a protected path outside the allowed ones outside_allowed",
        { allowed: ["src/**"], protected: ["package.json"] },
        "package.json",
        "outside_allowed",
        NO_ALLOWED_MATCH,
      ],
      [
        "lets forbidden win over protected",
        { allowed: ["**"], forbidden: ["migrations/secret.sql"], protected: ["migrations/**"] },
        "migrations/secret.sql",
        "forbidden",
        "migrations/secret.sql",
      ],
      ["judges normalised paths", TYPICAL, "./src//a/./b.ts", "allowed", "src/**"],
      // invalid
      ["refuses traversal", TYPICAL, "src/../secrets/k", "invalid_path", "traversal"],
      ["refuses an absolute path", TYPICAL, "/etc/passwd", "invalid_path", "absolute"],
      ["refuses a backslash", TYPICAL, "src\\a.ts", "invalid_path", "backslash"],
      ["refuses NUL", TYPICAL, "src/a\u0000.ts", "invalid_path", "nul"],
      ["refuses the empty path", TYPICAL, "", "invalid_path", "empty"],
      // empty allowed list
      [
        "allows nothing when no glob is allowed",
        { allowed: [] },
        "README.md",
        "outside_allowed",
        NO_ALLOWED_MATCH,
      ],
    ])("%s", (_, globs, path, verdict, rule) => {
      const v = rules(globs).judge(path);
      expect({ verdict: v.verdict, rule: v.rule }).toEqual({ verdict, rule });
      expect(PathVerdict.parse(v)).toEqual(v);
      expect(v.message.length).toBeGreaterThan(0);
    });

    it("reports the normalised path, or the raw one when it is invalid", () => {
      const r = rules(TYPICAL);
      expect(r.judge("./src//a.ts").path).toBe("src/a.ts");
      expect(r.judge("../x").path).toBe("../x");
    });

    it("does not throw on a value that is not a string", () => {
      expect(rules(TYPICAL).judge(undefined as unknown as string).verdict).toBe("invalid_path");
    });
  });

  describe("compilePathRules", () => {
    it("exposes the normalised globs without duplicates", () => {
      const r = rules({ allowed: ["src/", "./src/**", "test/**"], forbidden: [".env", ".env"] });
      expect(r.allowed).toEqual(["src/**", "test/**"]);
      expect(r.forbidden).toEqual([".env"]);
      expect(Object.isFrozen(r)).toBe(true);
    });

    it("refuses an empty glob, naming the field and index", () => {
      const e = compilePathRules({
        allowed: ["src/**"],
        forbidden: ["**/.env", ""],
        protected: [],
      })._unsafeUnwrapErr();
      expect(e.kind).toBe("validation");
      expect(e.code).toBe("invalid_glob");
      expect(e.detail.issues).toEqual([
        { path: ["forbidden_paths", 1], code: "empty", message: expect.any(String) },
      ]);
      expect(e.message).toContain("forbidden_paths[1]");
    });

    it("lists every unusable glob at once", () => {
      const e = compilePathRules({
        allowed: ["../x", "src/**"],
        forbidden: ["!secrets/**", "**/.env", "/etc/**"],
        protected: ["{a,b", "a\\b"],
      })._unsafeUnwrapErr();
      expect(e.detail.issues.map((i) => [i.path, i.code])).toEqual([
        [["allowed_paths", 0], "traversal"],
        [["forbidden_paths", 0], "negation"],
        [["forbidden_paths", 2], "absolute"],
        [["protected_paths", 0], "unbalanced"],
        [["protected_paths", 1], "backslash"],
      ]);
    });

    it("refuses a lone [ that picomatch would read as a literal bracket", () => {
      const e = compilePathRules({
        allowed: ["**"],
        forbidden: ["secrets/["],
        protected: [],
      })._unsafeUnwrapErr();
      expect(e.detail.issues[0]).toMatchObject({ path: ["forbidden_paths", 0], code: "unbalanced" });
    });

    it("refuses a glob picomatch cannot compile instead of letting it match nothing", () => {
      const e = compilePathRules({
        allowed: ["**"],
        forbidden: ["a[z-a]"],
        protected: [],
      })._unsafeUnwrapErr();
      expect(e.detail.issues[0]).toMatchObject({ path: ["forbidden_paths", 0], code: "invalid_glob" });
    });

    it("refuses fields that are not lists without throwing", () => {
      const e = compilePathRules({
        allowed: "src/**",
        forbidden: null,
        protected: [],
      } as never)._unsafeUnwrapErr();
      expect(e.detail.issues.map((i) => i.path)).toEqual([["allowed_paths"], ["forbidden_paths"]]);
      expect(compilePathRules(undefined as never).isErr()).toBe(true);
    });
  });

  describe("compilePolicyPathRules", () => {
    const assignment = Object.freeze({
      allowed_paths: Object.freeze(["src/**"]),
      forbidden_paths: Object.freeze(["src/generated/**", "**/.env"]),
    });
    const policy = Object.freeze({
      forbidden_paths: Object.freeze(["**/.env", "**/*.pem"]),
      protected_paths: Object.freeze(["src/db/**"]),
    });

    it("unites the assignment's and the policy's forbidden globs", () => {
      const r = compilePolicyPathRules(assignment, policy)._unsafeUnwrap();
      expect(r.forbidden).toEqual(["src/generated/**", "**/.env", "**/*.pem"]);
      expect(r.judge("src/generated/x.ts").verdict).toBe("forbidden");
      expect(r.judge("src/k.pem").rule).toBe("**/*.pem");
      expect(r.judge("src/db/schema.ts").verdict).toBe("protected");
      expect(r.judge("src/a.ts").verdict).toBe("allowed");
    });

    it("compiles once per distinct set of globs, even for fresh copies of the records", () => {
      const first = compilePolicyPathRules(assignment, policy)._unsafeUnwrap();
      expect(compilePolicyPathRules(assignment, policy)._unsafeUnwrap()).toBe(first);
      expect(compilePolicyPathRules(structuredClone(assignment), { ...policy })._unsafeUnwrap()).toBe(first);
      const otherPolicy = { ...policy, protected_paths: [...policy.protected_paths, "docs/**"] };
      expect(compilePolicyPathRules(assignment, otherPolicy)._unsafeUnwrap()).not.toBe(first);
    });

    it("recompiles when a mutable object's globs changed since", () => {
      const mutable = { allowed_paths: ["src/**"], forbidden_paths: [] as string[] };
      const before = compilePolicyPathRules(mutable, policy)._unsafeUnwrap();
      expect(before.judge("src/a.ts").verdict).toBe("allowed");
      mutable.forbidden_paths.push("src/a.ts");
      expect(compilePolicyPathRules(mutable, policy)._unsafeUnwrap().judge("src/a.ts").verdict).toBe(
        "forbidden",
      );
    });

    it("names where an unusable glob came from", () => {
      const e = compilePolicyPathRules(
        { allowed_paths: ["src/**"], forbidden_paths: ["../x"] },
        { forbidden_paths: ["**/.env", "/abs"], protected_paths: [] },
      )._unsafeUnwrapErr();
      expect(e.detail.issues.map((i) => i.path)).toEqual([
        ["assignment", "forbidden_paths", 0],
        ["policy", "forbidden_paths", 1],
      ]);
    });
  });

  describe("glob relations", () => {
    it.each([
      ["src/**", "src"],
      ["src/*.ts", "src"],
      ["**/.env", ""],
      ["package.json", "package.json"],
      ["src/a{b,c}/x", "src"],
      ["src/", "src"],
      ["../x", ""],
    ])("globBase(%j) = %j", (glob, base) => {
      expect(globBase(glob)).toBe(base);
    });

    it.each([
      ["src/**", "src/db/**", true],
      ["src/db/**", "src/**", true],
      ["src/**", "src/**", true],
      ["**/*.ts", "migrations/**", true],
      ["src/**", "**/package.json", true],
      ["src/**", "package.json", false],
      ["src/**", "srcx/**", false],
      ["src/**", "migrations/**", false],
      ["SRC/**", "src/db/**", true],
      ["src/*.ts", "src/db/schema.sql", true],
    ])("globsMayOverlap(%j, %j) = %s", (a, b, expected) => {
      expect(globsMayOverlap(a, b)).toBe(expected);
    });

    const FORBIDDEN = ["**/.env", "**/*.pem", "secrets/**", "src/x"];
    it.each([
      ["secrets/**", "secrets/**"],
      ["secrets/", "secrets/**"],
      ["secrets/keys/*", "secrets/**"],
      [".env", "**/.env"],
      ["config/.ENV", "**/.env"],
      ["src/**/*.pem", "**/*.pem"],
      ["{secrets,secrets/old}/**", "secrets/**"],
      ["src/**", null],
      ["src/*", null],
      ["**", null],
      ["{secrets,src}/**", null],
      ["src/[a-c].pem", "**/*.pem"],
      ["../secrets/**", null],
    ])("globCoveredBy(%j) = %j", (glob, expected) => {
      expect(globCoveredBy(glob, FORBIDDEN)).toBe(expected);
    });

    it("skips unusable covering globs", () => {
      expect(globCoveredBy("secrets/**", ["!secrets/**", "{a,b", "secrets/**"])).toBe("secrets/**");
    });
  });

  describe("properties", () => {
    const segment = fc.oneof(
      fc.constantFrom(
        "..",
        ".",
        "",
        "src",
        ".env",
        "a\\b",
        "a\u0000",
        "C:",
        "secrets",
        "\u00e9",
        "e\u0301",
        "*",
      ),
      fc.string({ maxLength: 6 }),
    );
    const pathLike = fc.oneof(
      fc.string(),
      fc.array(segment, { maxLength: 6 }).map((s) => s.join("/")),
    );
    const permissive = rules({
      allowed: ["**"],
      forbidden: ["**/.env", "secrets/**", "**/*.pem"],
      protected: ["src/**"],
    });
    const deny = { dot: true, nocase: true, windows: false };
    const forbiddenMatchers = permissive.forbidden.map((g) => picomatch(g, deny));

    it("never throws, and refuses .., backslash, NUL and a leading / whatever the allowed globs", () => {
      fc.assert(
        fc.property(pathLike, (path) => {
          const v = permissive.judge(path);
          const unsafe =
            path.split("/").includes("..") ||
            path.includes("\\") ||
            path.includes("\u0000") ||
            path.startsWith("/");
          if (unsafe) expect(["allowed", "protected"]).not.toContain(v.verdict);
        }),
        { numRuns: 2000 },
      );
    });

    it("never allows a path that a forbidden glob matches", () => {
      fc.assert(
        fc.property(pathLike, (path) => {
          const v = permissive.judge(path);
          if (v.verdict === "allowed" || v.verdict === "protected") {
            expect(forbiddenMatchers.some((m) => m(v.path))).toBe(false);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});
