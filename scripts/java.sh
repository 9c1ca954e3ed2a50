# Sourced by scripts/test.sh (bash, set -euo pipefail): makes a Java 17+ runtime available to the Spark tests.
# Why Debian's package: it is signed, cached by apt and headless (no X libraries); PySpark only needs `java`.
# In CI (CI=true) a missing Java is an error (and tests/test_spark.py fails rather than skips); locally a
# warning, and the Spark tests skip with the reason.

_calcitrack_java_major() {
  # Major version of the java binary $1 (0 when it does not run): "17.0.9" -> 17, "1.8.0_392" -> 8.
  local line version
  line="$("$1" -version 2>&1 | head -n 1 || true)"
  version="$(printf '%s' "$line" | sed -n 's/.*version "\([0-9][0-9._]*\).*/\1/p')"
  version="${version#1.}"
  printf '%s' "${version%%[._]*}" | grep -E '^[0-9]+$' || printf '0'
}

_calcitrack_find_java() {
  # Prints a JAVA_HOME with a Java 17+ runtime, or nothing.
  local candidate java
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-*; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ "$(_calcitrack_java_major "$candidate/bin/java")" -ge 17 ]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  java="$(command -v java || true)"
  if [ -n "$java" ] && [ "$(_calcitrack_java_major "$java")" -ge 17 ]; then
    java="$(readlink -f "$java")"
    printf '%s' "$(dirname "$(dirname "$java")")"
  fi
  return 0
}

_calcitrack_java_home="$(_calcitrack_find_java)"
if [ -z "$_calcitrack_java_home" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "java.sh: installing openjdk-17-jre-headless with apt-get ..." >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jre-headless >/dev/null 2>&1 || true
    fi
    _calcitrack_java_home="$(_calcitrack_find_java)"
  fi
fi
if [ -z "$_calcitrack_java_home" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "java.sh: no Java 17+ runtime and it could not be installed (CI): the Spark tests cannot run" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo "java.sh: no Java 17+ runtime; the Spark tests will be skipped" >&2
else
  export JAVA_HOME="$_calcitrack_java_home"
fi
unset _calcitrack_java_home
unset -f _calcitrack_find_java _calcitrack_java_major
