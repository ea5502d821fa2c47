#!/usr/bin/env bash
# 100,000 metric values through the MLflow logging buffer (exactly 100
# runs/log-batch requests of 1000) against one runs/log-metric request per
# value, through libdbx, on a trivial local nginx answering 200 {} (so the
# times are the client's and the protocol's, not a tracking server's).
# Alternating rounds; medians, and the median of the per-round ratios.
#
#   bash bench/run_mlflow.sh
# Environment: BENCH_MLFLOW_N (100000), BENCH_MLFLOW_ROUNDS (5),
#   BENCH_BUILD_DIR (build/), NGINX.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
n=${BENCH_MLFLOW_N:-100000}
rounds=${BENCH_MLFLOW_ROUNDS:-5}
build=${BENCH_BUILD_DIR:-$root/build}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
py=${PYTHON:-/usr/bin/python3}
[[ -x $nginx ]] || { echo "run_mlflow.sh: nginx not found" >&2; exit 1; }

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target bench_mlflow -j 2 >&2
bin=$build/bench/bench_mlflow

nginx_pid= tmp=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $nginx_pid ]] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    [[ -n $tmp ]] && rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d)
port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g" -e "s|@TMP@|$tmp|g" "$here/nginx_mlflow.conf.in" >"$tmp/nginx.conf"
"$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
url=http://127.0.0.1:$port

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $n metric values; $rounds rounds; $(nproc) CPUs"
: >"$tmp/r"
for ((r = 0; r < rounds; r++)); do
    if ((r % 2)); then order="single logger"; else order="logger single"; fi
    for p in $order; do "$bin" "$url" "$n" --phase="$p" >>"$tmp/out.$r"; done
    awk '{v[$1]=$2} END {print v["logger.seconds"], v["logger.requests"], v["single.seconds"], v["single.requests"]}' \
        "$tmp/out.$r" >>"$tmp/r"
done
"$py" - "$tmp/r" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
lg, lreq, one, oreq = zip(*rows)
med = statistics.median
print("logger:     %.3f s for %d log-batch requests (%.0f values/s)" % (med(lg), lreq[0], oreq[0] / med(lg)))
print("log-metric: %.3f s for %d requests (%.0f values/s)" % (med(one), oreq[0], oreq[0] / med(one)))
print("one request per value / logger: %.1fx (median of per-round ratios)" % med([o / l for l, _, o, _ in rows]))
PY
