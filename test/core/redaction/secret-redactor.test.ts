import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSecretRedactor, REDACTED_MARK, secretsFromEnvironment } from "../../../src/index.js";

const redactor = createSecretRedactor({ secrets: ["hunter2-database-pw", "s3cr3t/with+url&chars"] });
const r = (text: string) => redactor.redactText(text);

describe("the secret redactor", () => {
  it.each([
    ["a GitHub token", `token ghp_${"a1B2".repeat(9)} left`, `ghp_${"a1B2".repeat(9)}`],
    ["a fine-grained GitHub token", `github_pat_${"x".repeat(30)}`, `github_pat_${"x".repeat(30)}`],
    ["an AWS access key id", "aws AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"],
    ["an sk- key", "key=sk-ant-api03-abcdefghijklmnopqrstuv", "sk-ant-api03-abcdefghijklmnopqrstuv"],
    ["a Slack token", "xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"],
    [
      "a JWT",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
      "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
    [
      "a PEM private key",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
      "MIIEpAIBAAKCAQEA",
    ],
    ["a URL password", "postgres://app:pa55word-x9@db.internal/app", "pa55word-x9"],
    ["a secret assignment", "DB_PASSWORD=Zq8vT2kLm9Xp", "Zq8vT2kLm9Xp"],
    ["a JSON secret", '{"client_secret": "a8f3k2l9q0w7e6r5"}', "a8f3k2l9q0w7e6r5"],
    ["an Authorization header", "Authorization: Bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"],
    ["a literal secret", "connecting with hunter2-database-pw now", "hunter2-database-pw"],
    ["a literal secret, URL-encoded", `?p=${encodeURIComponent("s3cr3t/with+url&chars")}`, "s3cr3t%2Fwith"],
    [
      "a literal secret, base64 (a Basic header)",
      `Basic ${btoa("hunter2-database-pw")}`,
      btoa("hunter2-database-pw").replace(/=+$/, ""),
    ],
  ])("redacts %s", (_what, text, secret) => {
    const out = r(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED_MARK);
  });

  it("keeps user and host of a URL whose password it redacts", () => {
    expect(r("https://bot:tok-9f8e7d6c5b@git.example.com/acme/x.git")).toBe(
      "https://bot:[redacted]@git.example.com/acme/x.git",
    );
  });

  it.each([
    "commit 3f1e9c7a2b4d6e8f0a1c3e5g7i9k1m3o5q7s9u1w",
    "run 3f1e9c7a-0000-4000-8000-000000000001 finished",
    "the total adds the prices of the cart",
    "const tokenCount = countTokens(input);",
    "password: required",
    "see https://github.com/acme/shop/pull/12",
    "AKIA is how AWS keys start",
  ])("leaves ordinary text alone: %s", (text) => {
    expect(r(text)).toBe(text);
  });

  it("is idempotent on any text, with secrets planted in it", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.constantFrom(
              "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
              "https://u:p4ssw0rd-long@h/x",
              "TOKEN=abc123def456",
              "hunter2-database-pw",
              REDACTED_MARK,
              "Bearer abcdefghijklmnop1234",
            ),
          ),
          { maxLength: 8 },
        ),
        (parts) => {
          const once = r(parts.join(" "));
          expect(r(once)).toBe(once);
        },
      ),
    );
  });

  it("redacts every string value of a record, and leaves keys and other values as they are", () => {
    const record = {
      id: "3f1e9c7a-0000-4000-8000-000000000001",
      count: 3,
      ok: true,
      nested: [{ output: "DB_PASSWORD=Zq8vT2kLm9Xp" }, null],
      "hunter2-database-pw": "as a key",
    };
    expect(redactor.redactValue(record)).toEqual({
      id: "3f1e9c7a-0000-4000-8000-000000000001",
      count: 3,
      ok: true,
      nested: [{ output: "DB_PASSWORD=[redacted]" }, null],
      "hunter2-database-pw": "as a key",
    });
  });

  it("keeps an own __proto__ key as a key, redacted inside, and gives the copy no other prototype", () => {
    const record = JSON.parse('{"__proto__": {"output": "DB_PASSWORD=Zq8vT2kLm9Xp"}}') as object;
    const redacted = redactor.redactValue(record);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.keys(redacted)).toEqual(["__proto__"]);
    expect(JSON.stringify(redacted)).toBe('{"__proto__":{"output":"DB_PASSWORD=[redacted]"}}');
  });

  it("ignores literal values too short to redact safely", () => {
    expect(createSecretRedactor({ secrets: ["1234", "abc"] }).redactText("1234 abc")).toBe("1234 abc");
  });

  it("takes the secret values of an environment by variable name", () => {
    expect(
      secretsFromEnvironment({
        GITHUB_TOKEN: "ghp_value_long_enough",
        DEPLOY_API_KEY: "k-1234567890",
        PASSWORD: "short",
        PATH: "/usr/bin:/bin",
        GIT_AUTHOR_NAME: "Agent Smith",
        UNSET: undefined,
      }).sort(),
    ).toEqual(["ghp_value_long_enough", "k-1234567890"]);
  });

  it("redacts a PEM block whose END line was cut off", () => {
    expect(r("tail:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAzzz")).toBe(`tail:\n${REDACTED_MARK}`);
  });
});

describe("remembered redactions", () => {
  it("answers a text redacted before the same, and a redactor with more secrets never reuses the other's answer", () => {
    const first = createSecretRedactor();
    const text = "deploy with hunter2-secret-value now";
    expect(first.redactText(text)).toBe(text);
    expect(first.redactText(text)).toBe(text);
    const more = first.withSecrets(["hunter2-secret-value"]);
    expect(more.redactText(text)).toBe(`deploy with ${REDACTED_MARK} now`);
    expect(first.redactText(text)).toBe(text);
  });

  it("redacts long texts and many distinct texts the same as one at a time", () => {
    const redactor = createSecretRedactor({ secrets: ["s3cr3t-value-42"] });
    const long = `${"x".repeat(5_000)} s3cr3t-value-42`;
    expect(redactor.redactText(long)).toBe(`${"x".repeat(5_000)} ${REDACTED_MARK}`);
    for (let i = 0; i < 10_000; i++) {
      expect(redactor.redactText(`id-${i} s3cr3t-value-42`)).toBe(`id-${i} ${REDACTED_MARK}`);
    }
    expect(redactor.redactText("id-0 s3cr3t-value-42")).toBe(`id-0 ${REDACTED_MARK}`);
  });
});
