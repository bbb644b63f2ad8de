#!/usr/bin/env bash
# CI step: the example packages under examples/ (host-app, custom-adapter, policy-tests), each installed the
# way a new user gets rungate: from the packed tarball, in a directory of its own outside the repository.
# For each: npm install, npm run typecheck, npm test, and for host-app a `npm start -- --once` smoke (one card
# end to end over HTTP on the real adapters, then it exits).
#
#   npm run build && bash scripts/check-examples.sh
#   EXAMPLES="policy-tests" bash scripts/check-examples.sh     # some of them only
#
# An example's package.json says "rungate": "file:../.." for local development; the copy checked here points it
# at the tarball instead. rungate is never fetched from the registry: the name there belongs to someone else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
examples="${EXAMPLES:-host-app custom-adapter policy-tests}"

if [[ ! -f "$root/dist/index.js" ]]; then
  echo "check-examples: $root/dist is missing: run npm run build first" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/rungate-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# Runs a step of an example, printing its name and how long it took; its output shows only when it fails.
step() {
  local name="$1" label="$2"
  shift 2
  local started log
  started="$(now)"
  log="$work/$name.$label.log"
  if "$@" >"$log" 2>&1; then
    printf '  %-10s %s\n' "$label" "$(since "$started")"
  else
    printf '  %-10s FAILED after %s\n' "$label" "$(since "$started")"
    cat "$log"
    return 1
  fi
}

# Runs a command in a directory.
in_dir() {
  local dir="$1"
  shift
  (cd "$dir" && "$@")
}

total_started="$(now)"
tarball="$(cd "$root" && npm pack --json --pack-destination "$work" 2>/dev/null |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].filename))')"
tarball="$work/$tarball"
echo "packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

for name in $examples; do
  started="$(now)"
  dir="$work/$name"
  echo "$name"
  # A copy without anything installed in place.
  tar -C "$root/examples" --exclude=node_modules --exclude=.rungate-host -cf - "$name" | tar -C "$work" -xf -
  node - "$dir/package.json" "$tarball" <<'EOF'
const { readFileSync, writeFileSync } = require("node:fs");
const [file, tarball] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(file, "utf8"));
if (!pkg.dependencies?.rungate) throw new Error(`${file} has no "rungate" dependency`);
pkg.dependencies.rungate = `file:${tarball}`;
writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
EOF
  step "$name" install in_dir "$dir" npm install --no-audit --no-fund
  # Proof of where rungate came from: the lock file must name the tarball, never a registry URL.
  node -e '
    const lock = require(process.argv[1]);
    const resolved = lock.packages?.["node_modules/rungate"]?.resolved ?? "";
    if (!/^file:.*\.tgz$/.test(resolved)) throw new Error(`rungate was not installed from the tarball: ${resolved}`);
  ' "$dir/package-lock.json"
  step "$name" typecheck in_dir "$dir" npm run typecheck
  step "$name" test in_dir "$dir" npm test
  if [[ "$name" == "host-app" ]]; then
    step "$name" start in_dir "$dir" npm start -- --once
  fi
  echo "  total      $(since "$started")"
done
echo "examples checked in $(since "$total_started")"
