#!/usr/bin/env bash
# Run the clusters/get benchmark: libdbx against a raw libcurl keep-alive
# loop, both talking to a local nginx (Debian package nginx-light) that
# answers a fixed ClusterDetails body. See bench/README.md.
#
#   bash bench/run.sh [extra bench_clusters_get options]
#
# Environment (all optional):
#   BENCH_ITERATIONS  latency calls per phase, all rounds together (20000)
#   BENCH_WARMUP      warm-up calls per phase (2000)
#   BENCH_ROUNDS      alternating rounds (5)
#   BENCH_TP_CALLS    calls per throughput run (10000)
#   BENCH_THREADS     thread counts of the throughput phase (1,2,8)
#   BENCH_PHASE       raw,parse,dbx,tp or all (all)
#   BENCH_CPU         the CPU both processes are pinned to (first allowed CPU)
#   BENCH_PIN         0: do not pin (measures the cross-core round trip too)
#   BENCH_BIN         a built bench_clusters_get (else built in BENCH_BUILD_DIR)
#   BENCH_BUILD_DIR   build directory (build/ at the repository root)
#   NGINX             the nginx binary (nginx on PATH, else /usr/sbin/nginx)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

iterations=${BENCH_ITERATIONS:-20000}
warmup=${BENCH_WARMUP:-2000}
rounds=${BENCH_ROUNDS:-5}
tp_calls=${BENCH_TP_CALLS:-10000}
threads=${BENCH_THREADS:-1,2,8}
phase=${BENCH_PHASE:-all}
pin=${BENCH_PIN:-1}

nginx_pid=
tmp=

# shellcheck disable=SC2317  # invoked through trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $nginx_pid ]] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$nginx_pid" 2>/dev/null; then
            kill -KILL "$nginx_pid" 2>/dev/null || true
        fi
        wait "$nginx_pid" 2>/dev/null || true
    fi
    [[ -n $tmp ]] && rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- the benchmark binary ----------------------------------------------------
bin=${BENCH_BIN:-}
if [[ -z $bin ]]; then
    build=${BENCH_BUILD_DIR:-$root/build}
    # always configure: a build tree made before bench/ existed has no such target
    cmake -S "$root" -B "$build" >/dev/null
    cmake --build "$build" --target bench_clusters_get -j "$(nproc)" >&2
    bin=$build/bench/bench_clusters_get
fi
[[ -x $bin ]] || { echo "run.sh: $bin is not built" >&2; exit 1; }

# ---- nginx ----------------------------------------------------------------------
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
if [[ ! -x $nginx ]]; then
    echo "run.sh: nginx not found (Debian: apt-get install nginx-light)" >&2
    exit 1
fi

# Pinning: both processes on one core, so that the numbers are the client's
# CPU cost rather than cross-core wake-ups (~100 us per round trip on small VMs).
pin_cmd=()
if [[ $pin != 0 ]]; then
    if command -v taskset >/dev/null; then
        cpu=${BENCH_CPU:-$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')}
        pin_cmd=(taskset -c "$cpu")
    else
        echo "run.sh: taskset not found: running unpinned" >&2
    fi
fi

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
            2>/dev/null && return
    fi
    echo $((20000 + RANDOM % 30000))
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-bench.XXXXXX")
chmod 755 "$tmp"
port=
for _ in 1 2 3 4 5; do
    port=$(free_port)
    sed -e "s|@PORT@|$port|g" -e "s|@TMP@|$tmp|g" "$here/nginx.conf.in" >"$tmp/nginx.conf"
    : >"$tmp/error.log"
    # shellcheck disable=SC2094  # nginx's own stderr goes to its error log too
    "${pin_cmd[@]}" "$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
    nginx_pid=$!
    ready=0
    for _ in $(seq 100); do
        if ! kill -0 "$nginx_pid" 2>/dev/null; then
            break
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            ready=1
            break
        fi
        sleep 0.05
    done
    [[ $ready == 1 ]] && break
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
    if ! grep -q "Address already in use" "$tmp/error.log"; then
        echo "run.sh: nginx did not start:" >&2
        cat "$tmp/error.log" >&2
        exit 1
    fi
done
if [[ -z $nginx_pid ]]; then
    echo "run.sh: no free port for nginx after 5 attempts" >&2
    exit 1
fi

# ---- run ---------------------------------------------------------------------------
echo "nproc: $(nproc); pinned: ${pin_cmd[*]:-no}; $("$nginx" -v 2>&1) on 127.0.0.1:$port (pid $nginx_pid)"
if command -v curl-config >/dev/null; then
    echo "libcurl (headers): $(curl-config --version)"
fi
set +e
"${pin_cmd[@]}" "$bin" --phase="$phase" --rounds="$rounds" --threads="$threads" --tp-calls="$tp_calls" \
    "$@" "http://127.0.0.1:$port" "$iterations" "$warmup"
rc=$?
set -e
if [[ $rc != 0 ]]; then
    echo "run.sh: bench_clusters_get failed (exit $rc); nginx error log:" >&2
    tail -n 20 "$tmp/error.log" >&2
fi
exit "$rc"
