# Sourced by scripts/test.sh (bash, set -euo pipefail): pip-audit of the locked dependencies.
# Why the lock and not the venv: CI must judge what `uv.lock` pins for every group and extra (dev tools
# and Spark included), exactly as users get it. Why PyPI's advisory service: osv.dev is not reachable from
# the build machines, pypi.org is. Exit status: a known vulnerability fails the run (test.sh stops); an
# ignored one needs an `--ignore-vuln ID` below AND a line in SECURITY.md ("Known, accepted advisories").
# Writes .cache/audit/summary.json (packages, audited, skipped, vulnerabilities) for the reliability table
# (tests/test_dependency_audit.py reads it in CALCITRACK_RELIABILITY=full runs).
# CALCITRACK_AUDIT_REQUIREMENTS=FILE audits FILE instead of the lock (to check this script).
# CALCITRACK_AUDIT=skip skips the audit (offline work); CALCITRACK_AUDIT_STRICT=1 also fails when a
# package could not be audited (e.g. a version PyPI does not know).
_ct_audit() {
  local root="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
  local dir="$root/.cache/audit" uv="$root/.cache/uv/bin/uv" status=0
  local ignore=()  # e.g. ignore=(--ignore-vuln GHSA-xxxx-xxxx-xxxx) - with its reason in SECURITY.md
  if [ "${CALCITRACK_AUDIT:-}" = "skip" ]; then echo "audit.sh: skipped (CALCITRACK_AUDIT=skip)" >&2; return 0; fi
  [ -x "$uv" ] || uv="$(command -v uv || true)"
  [ -n "$uv" ] || { echo "audit.sh: uv not found (run scripts/env.sh first)" >&2; return 1; }
  mkdir -p "$dir"
  if [ -n "${CALCITRACK_AUDIT_REQUIREMENTS:-}" ]; then  # to check this script itself on a known-bad pin
    cp "$CALCITRACK_AUDIT_REQUIREMENTS" "$dir/requirements.txt"
  else
    (cd "$root" && "$uv" export --frozen --no-hashes --all-groups --all-extras --no-emit-project --quiet) \
      >"$dir/requirements.txt"
  fi
  "$root/.venv/bin/pip-audit" --vulnerability-service pypi --requirement "$dir/requirements.txt" --no-deps \
    --disable-pip --progress-spinner off --format json --output "$dir/report.json" "${ignore[@]}" \
    2>"$dir/pip-audit.log" || status=$?
  if [ ! -s "$dir/report.json" ]; then
    echo "audit.sh: pip-audit produced no report (network?) - see $dir/pip-audit.log" >&2
    tail -5 "$dir/pip-audit.log" >&2 || true
    if [ "${CI:-}" = "true" ]; then return 1; fi
    echo "audit.sh: not in CI, continuing without the audit" >&2; return 0
  fi
  "$root/.venv/bin/python" - "$dir/report.json" "$dir/summary.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
deps = report.get("dependencies", [])
skipped = [d["name"] for d in deps if d.get("skip_reason")]
vulns = [(d["name"], d.get("version"), v["id"], v.get("fix_versions", [])) for d in deps for v in d.get("vulns", [])]
summary = {"packages": len(deps), "audited": len(deps) - len(skipped), "skipped": len(skipped),
           "vulnerabilities": [list(v) for v in vulns]}
json.dump(summary, open(sys.argv[2], "w"), indent=1)
for name, version, vid, fixes in vulns:
    print(f"audit.sh: VULNERABLE {name} {version}: {vid} (fixed in {', '.join(fixes) or 'no release yet'})",
          file=sys.stderr)
print(f"audit.sh: {summary['packages']} locked packages, {summary['audited']} audited against PyPI advisories, "
      f"{summary['skipped']} not found on PyPI, {len(vulns)} known vulnerabilities", file=sys.stderr)
PY
  local skipped vulns
  skipped="$("$root/.venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["skipped"])' "$dir/summary.json")"
  vulns="$("$root/.venv/bin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vulnerabilities"]))' "$dir/summary.json")"
  if [ "$vulns" != "0" ]; then return 1; fi
  if [ "$skipped" != "0" ]; then
    echo "audit.sh: WARNING: $skipped package(s) could not be audited (versions unknown to pypi.org; see $dir/report.json)" >&2
    if [ "${CALCITRACK_AUDIT_STRICT:-}" = "1" ]; then return 1; fi
  fi
  return 0
}
_ct_audit
