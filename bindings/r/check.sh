#!/usr/bin/env bash
# Build the R package and run `R CMD check` on it (its testthat suite runs
# against the emulator). Fails on any ERROR or WARNING.
#   bindings/r/check.sh [build-dir]     (default: build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-rcheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export LIBDBX_INCLUDE="$root/include" LIBDBX_LIB="$build"
export DBX_EMULATOR="$root/tests/emulator/dbx-emulator" DBX_TEST_PYTHON=/usr/bin/python3
export _R_CHECK_FORCE_SUGGESTS_=false
# One namespace for every R file: a name defined twice silently replaces the first definition
# (two areas once each had their own .dbx_kv, and one area's calls got the other's).
dups=$(grep -ho '^[.A-Za-z_][.A-Za-z0-9_]* <-' "$root"/bindings/r/R/*.R | sort | uniq -d)
if [ -n "$dups" ]; then
  echo "bindings/r/R: defined more than once: $dups" >&2
  exit 1
fi
cd "$tmp"
R CMD build --no-build-vignettes "$root/bindings/r" >build.log 2>&1 || { cat build.log; exit 1; }
if ! R CMD check --no-manual libdbx_*.tar.gz >check.log 2>&1; then
  cat check.log
  cat libdbx.Rcheck/tests/testthat.Rout.fail 2>/dev/null || true
  exit 1
fi
if grep -qE "^Status: .*(WARNING|ERROR)" check.log; then
  cat check.log
  exit 1
fi
grep -E "^Status:" check.log
grep -E "\[ FAIL [0-9]+ \| WARN [0-9]+ \| SKIP [0-9]+ \| PASS [0-9]+ \]" libdbx.Rcheck/tests/testthat.Rout | tail -1 || true
