#!/usr/bin/env bash
# The per-call clusters/get benchmark through the Python binding, side by side
# with the C library and raw libcurl (bench_clusters_get --phase=raw,dbx), on
# the local nginx of bench/nginx.conf.in, both pinned to one core. Rounds
# alternate C and Python; each ratio is the median of the per-round ratios.
#
#   bash bench/run_python.sh
# Environment: BENCH_ROUNDS (15), BENCH_ITERATIONS per round and phase (2000),
# BENCH_WARMUP (300), BENCH_BUILD_DIR (build/), BENCH_CPU (first allowed CPU),
# BENCH_PIN (1), NGINX.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build}
rounds=${BENCH_ROUNDS:-15}
iters=${BENCH_ITERATIONS:-2000}
warmup=${BENCH_WARMUP:-300}
py=${PYTHON:-/usr/bin/python3}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
cmake --build "$build" --target bench_clusters_get dbx >/dev/null
bin=$build/bench/bench_clusters_get
export LIBDBX_PATH=$build/libdbx.so
pin=()
if [[ ${BENCH_PIN:-1} == 1 ]] && command -v taskset >/dev/null; then
    cpu=${BENCH_CPU:-$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')}
    pin=(taskset -c "$cpu")
fi
tmp=$(mktemp -d)
nginx_pid=
cleanup() { [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null; wait 2>/dev/null; [[ -n ${BENCH_KEEP:-} ]] && cat "$tmp/error.log"; rm -rf "$tmp"; }
trap cleanup EXIT
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
other=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g" -e "s|@GZIP_PORT@|$other|g" -e "s|@BIG_PORT@|$((other + 1))|g" -e "s|@TMP@|$tmp|g" \
    "$here/nginx.conf.in" >"$tmp/nginx.conf"
"$bin" --write-list="$tmp/list.json" >/dev/null; : >"$tmp/big.json"
"${pin[@]}" "$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
url=http://127.0.0.1:$port
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $($py --version); pinned: ${pin[*]:-no}; $rounds rounds x $iters calls"
: >"$tmp/r"
for ((r = 0; r < rounds; r++)); do
    run_c() { "${pin[@]}" "$bin" --phase=raw,dbx --rounds=1 --results="$tmp/c.$r" "$url" "$iters" "$warmup" >/dev/null; }
    run_py() { "${pin[@]}" "$py" "$here/bench_python.py" "$url" "$iters" "$warmup" >"$tmp/p.$r"; }
    if ((r % 2)); then run_py; run_c; else run_c; run_py; fi
    raw=$(awk '$1=="wall.raw.us"{print $2}' "$tmp/c.$r")
    dbx=$(awk '$1=="wall.dbx.us"{print $2}' "$tmp/c.$r")
    pyv=$(awk '$1=="wall.py.us"{print $2}' "$tmp/p.$r")
    echo "$raw $dbx $pyv" >>"$tmp/r"
done
"$py" - "$tmp/r" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
raw, dbx, py = zip(*rows)
med = statistics.median
print("median per call (us): raw libcurl %.1f, libdbx C %.1f, libdbx Python %.1f" % (med(raw), med(dbx), med(py)))
print("Python / raw libcurl: %.2f (target <= 3)" % med([p / r for r, _, p in rows]))
print("Python / libdbx C:    %.2f" % med([p / d for _, d, p in rows]))
print("libdbx C / raw:       %.2f" % med([d / r for r, d, _ in rows]))
PY
