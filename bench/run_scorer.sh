#!/usr/bin/env bash
# The real-time scorer against one dbx_serving_query after another: N
# queries (2000) to a local nginx model endpoint with a fixed 20 ms latency
# (echo_sleep), sequentially, then through the scorer with 64 in flight over
# an HTTP/1.1 connection pool (plain http) and over HTTP/2 (TLS + ALPN, a
# self-signed certificate made here with openssl). Alternating rounds;
# medians of throughput, p50/p99 latency and connections, and of the
# per-round throughput ratios.
#
#   bash bench/run_scorer.sh
# Environment: BENCH_SCORER_N (2000), BENCH_SCORER_ROUNDS (5),
#   BENCH_SCORER_INFLIGHT (64), BENCH_BUILD_DIR (build/), NGINX, ECHO_MODULE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
n=${BENCH_SCORER_N:-2000}
rounds=${BENCH_SCORER_ROUNDS:-5}
inflight=${BENCH_SCORER_INFLIGHT:-64}
build=${BENCH_BUILD_DIR:-$root/build}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
echo_mod=${ECHO_MODULE:-/usr/lib/nginx/modules/ngx_http_echo_module.so}
py=${PYTHON:-/usr/bin/python3}
[[ -x $nginx ]] || { echo "run_scorer.sh: nginx not found" >&2; exit 1; }
[[ -f $echo_mod ]] || { echo "run_scorer.sh: the echo module (libnginx-mod-http-echo) not found" >&2; exit 1; }
command -v openssl >/dev/null || { echo "run_scorer.sh: openssl not found" >&2; exit 1; }

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target bench_scorer -j 2 >&2
bin=$build/bench/bench_scorer

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
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
freeport() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(freeport)
tport=$(freeport)
sed -e "s|@PORT@|$port|g" -e "s|@TLSPORT@|$tport|g" -e "s|@TMP@|$tmp|g" -e "s|@ECHO_MODULE@|$echo_mod|g" \
    "$here/nginx_scorer.conf.in" >"$tmp/nginx.conf"
"$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break; sleep 0.05; done
http=http://127.0.0.1:$port
https=https://127.0.0.1:$tport

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $n queries, 20 ms model latency, $inflight in flight; $rounds rounds; $(nproc) CPUs"
for ((r = 0; r < rounds; r++)); do
    if ((r % 2)); then order="h2 h1 seq"; else order="seq h1 h2"; fi
    for p in $order; do
        case $p in
        seq) "$bin" "$http" "$n" --phase=seq ;;
        h1) "$bin" "$http" "$n" --phase=h1 --inflight="$inflight" ;;
        h2) "$bin" "$https" "$n" --phase=h2 --inflight="$inflight" --ca="$tmp/cert.pem" ;;
        esac
    done >"$tmp/out.$r"
done
"$py" - "$tmp" "$rounds" <<'PY'
import statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
runs = []
for r in range(rounds):
    v = {}
    for line in open("%s/out.%d" % (tmp, r)):
        k, x = line.split()
        v[k] = float(x)
    runs.append(v)
med = lambda k: statistics.median(v[k] for v in runs)
for p, name in (("seq", "sequential dbx_serving_query"), ("h1", "scorer, HTTP/1.1 pool"), ("h2", "scorer, HTTP/2 (TLS)")):
    conns = ", %d connections" % med(p + ".connections") if p != "seq" else ""
    print("%-30s %7.1f queries/s, p50 %.1f ms, p99 %.1f ms%s" % (name, med(p + ".qps"), med(p + ".p50_ms"),
                                                                    med(p + ".p99_ms"), conns))
for p in ("h1", "h2"):
    print("throughput %s / sequential: %.1fx (median of per-round ratios)" % (
        p, statistics.median(v[p + ".qps"] / v["seq.qps"] for v in runs)))
PY
