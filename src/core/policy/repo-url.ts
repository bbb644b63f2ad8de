/**
 * Checks that a repository address is one git can clone without being talked into running something:
 * `https://`, `http://`, `ssh://`, `git://`, `file://`, scp-like `user@host:path`, or an absolute local path.
 * Refused: a leading `-` (git would read it as an option, e.g. `--upload-pack=…`), `ext::` and other
 * remote-helper transports (they run commands), whitespace and control characters, and a password in the
 * URL's user info (it would be stored with the run: credentials belong to the git adapter).
 * Returns the reason it was refused, or `null` when it is acceptable.
 */
export function repoUrlProblem(url: string): string | null {
  if (url.length === 0) return "is empty";
  if (url.startsWith("-")) return "starts with '-', which git would read as an option";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse.
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return "contains whitespace or control characters";
  // A password in the URL would be stored with the run and sent wherever the URL goes.
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url))
    return "carries a password; give credentials to the git adapter instead (they are never stored)";
  if (/^(https?|ssh|git|file):\/\/[^/]/.test(url) || /^file:\/\/\//.test(url)) return null;
  if (/^[a-z][a-z0-9+.-]*::/i.test(url))
    return "uses a remote-helper transport (`<helper>::`), which can run commands";
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]?/.test(url) && !url.includes("://")) return null;
  if (url.startsWith("/")) return null;
  return "is not an https/ssh/git/file URL, an scp-like address or an absolute path";
}
