#!/usr/bin/env bash
# Run migration programs against a fresh local emulator (the one the tests use), unless
# DATABRICKS_HOST is set: then they run, unchanged, against that workspace.
#   examples/migration/run_on_emulator.sh BUILD_DIR PROGRAM [PROGRAM...]
# PROGRAM is a path to an executable (C), a .py file (run with the repo's Python binding) or
# a .R file (run with Rscript and the R binding built against BUILD_DIR, installed on first use
# into BUILD_DIR/r-lib; exit 77 when Rscript or the package cannot be had).
# DBX_EMULATOR_CONFIG (optional): a JSON object merged into the emulator's config
# (POST /__emulator/config), e.g. '{"serving_deploy_ms": 2000}'.
# DBX_MIGRATION_UNSET (optional): variables the runner would set for program 6 to leave unset.
# DBX_MIGRATION_TASK_WHEEL=auto (optional): build bindings/python's wheel into BUILD_DIR/dist and
# give its path to program 1 (its training task installs it as a whl library).
# The emulator runs Python job tasks as local processes (jobs_execute_python) with the
# binding importable, so training jobs log to MLflow and register models as on a workspace.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd); shift
py=/usr/bin/python3
[ -x "$py" ] || py=python3
export PYTHONPATH="$root/bindings/python${PYTHONPATH:+:$PYTHONPATH}" LIBDBX_PATH="$build/libdbx.so"
export DBX_RENDER_REPORT="${DBX_RENDER_REPORT:-$build/examples/render_report}"
if [ -z "${DATABRICKS_HOST:-}" ]; then
  state=$(mktemp -d)
  trap 'kill $(cat "$state/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$state"' EXIT
  "$py" "$root/tests/emulator/dbx-emulator" --quiet --ready-file "$state/ready.json" &
  echo $! >"$state/pid"
  for _ in $(seq 1 200); do [ -s "$state/ready.json" ] && break; sleep 0.05; done
  port=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_port"])' "$state/ready.json")
  base="http://127.0.0.1:$port"
  "$py" - "$base" "${DBX_EMULATOR_CONFIG:-}" <<'PY'
import json, sys, urllib.request
config = {"jobs_execute_python": True}
if sys.argv[2]:  # DBX_EMULATOR_CONFIG: a JSON object merged into the emulator's config
    config.update(json.loads(sys.argv[2]))
req = urllib.request.Request(sys.argv[1] + "/__emulator/config", method="POST",
                             data=json.dumps(config).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PY
  export DATABRICKS_HOST="$base" DATABRICKS_TOKEN="dapi-emulator-token" DATABRICKS_CONFIG_FILE=/dev/null
  # Program 6 (auth_portability): every way of signing in, with the credentials the emulator
  # accepts (docs/emulator.md, "Auth endpoints"; it plays Entra ID too, at the same base URL),
  # and a profile in a config file of its own. Here every case must run.
  printf '[migration-m2m]\nhost = %s\nclient_id = emu-client\nclient_secret = emu-secret\n' "$base" \
    >"$state/databrickscfg"
  export DBX_MIGRATION_HOST="$base" DBX_MIGRATION_PAT=dapi-emulator-token \
    DBX_MIGRATION_CLIENT_ID=emu-client DBX_MIGRATION_CLIENT_SECRET=emu-secret \
    DBX_MIGRATION_AZURE_HOST="$base" DBX_MIGRATION_AZURE_CLIENT_ID=emu-client \
    DBX_MIGRATION_AZURE_CLIENT_SECRET=emu-secret DBX_MIGRATION_AZURE_TENANT=emu-tenant \
    DBX_MIGRATION_AZURE_LOGIN_URL="$base" DBX_MIGRATION_CONFIG_FILE="$state/databrickscfg" \
    DBX_MIGRATION_PROFILE=migration-m2m DBX_MIGRATION_PROFILE_AUTH=oauth-m2m DBX_MIGRATION_REQUIRE_ALL=1
  # DBX_MIGRATION_UNSET: names of the variables above to leave unset (a case left unconfigured).
  for v in ${DBX_MIGRATION_UNSET:-}; do unset "$v"; done
  echo "migration: emulator at $DATABRICKS_HOST"
fi
[ -n "${DBX_MIGRATION_OUT:-}" ] && mkdir -p "$DBX_MIGRATION_OUT"
# DBX_MIGRATION_TASK_WHEEL=auto: build the binding's wheel (libdbx.so inside) for program 1's
# training task to install as a cluster library
if [ "${DBX_MIGRATION_TASK_WHEEL:-}" = auto ]; then
  DBX_MIGRATION_TASK_WHEEL=$("$py" "$root/bindings/python/make_wheel.py" "$build/libdbx.so" "$build/dist")
  export DBX_MIGRATION_TASK_WHEEL
fi
# The R binding for *.R programs: installed into $build/r-lib when missing or older than its sources.
r_lib() {
  command -v Rscript >/dev/null || { echo "migration: Rscript not found" >&2; return 77; }
  local lib="$build/r-lib"
  if [ ! -f "$lib/libdbx/DESCRIPTION" ] || [ -n "$(find "$root/bindings/r" "$build/libdbx.so" -newer "$lib/libdbx/DESCRIPTION" -print -quit)" ]; then
    local tmp; tmp=$(mktemp -d)
    cp -r "$root/bindings/r" "$tmp/libdbx" && rm -f "$tmp"/libdbx/src/*.o "$tmp"/libdbx/src/*.so "$tmp"/libdbx/src/Makevars
    mkdir -p "$lib"
    LIBDBX_INCLUDE="$root/include" LIBDBX_LIB="$build" R CMD INSTALL --no-docs --no-multiarch --library="$lib" \
      "$tmp/libdbx" >"$build/r-lib-install.log" 2>&1 || { rm -rf "$tmp"; echo "migration: the R package did not install (see $build/r-lib-install.log)" >&2; return 77; }
    rm -rf "$tmp"
  fi
  export R_LIBS="$lib${R_LIBS:+:$R_LIBS}"
}
rc=0
for p in "$@"; do
  case "$p" in
    *.py) "$py" "$p" || rc=1 ;;
    *.R) r_lib || exit $?; Rscript "$p" || rc=1 ;;
    *) "$p" || rc=1 ;;
  esac
done
exit $rc
