#!/usr/bin/env bash
# libdbx against raw libcurl, side by side in one run, on a local nginx
# (Debian package nginx-light): wall-time ratios, instructions and heap
# allocations per call, throughput with threads sharing one client, peak
# memory for a 100 MB list page, and what gzip does. Ends with one summary
# table. See bench/README.md for what each figure means.
#
#   bash bench/run.sh [extra bench_clusters_get options for the timed run]
#
# Environment (all optional):
#   BENCH_PHASE           what to run, comma-separated (all):
#                           phases  raw parse dbx (clusters/get), list-raw
#                                   list-parse list-dbx list-gzip (the 48 KB
#                                   clusters/list page); get, list: groups
#                           figures wall (latency and ratios), tp (threads),
#                                   insn (callgrind), alloc (heap), peak
#                                   (100 MB page)
#                         Phases alone give their wall figure (BENCH_PHASE=dbx);
#                         figures alone cover every phase (BENCH_PHASE=insn).
#   BENCH_ITERATIONS      clusters/get calls per phase, all rounds together (20000)
#   BENCH_LIST_ITERATIONS clusters/list calls per phase (5000; list-parse a tenth)
#   BENCH_WARMUP          warm-up calls per get phase (2000; list phases a quarter)
#   BENCH_ROUNDS          alternating rounds of the latency phases (40)
#   BENCH_TP_CALLS        calls per throughput run (4000)
#   BENCH_TP_ROUNDS       alternating rounds of the throughput figure (15)
#   BENCH_THREADS         thread counts of the throughput figure (1,2,8)
#   BENCH_LIST_CLUSTERS   clusters on the list page (21: about 48 KB)
#   BENCH_BIG_MB          size of the peak-memory page in MB (100)
#   BENCH_CG_SCALE        multiplies the callgrind call counts (1)
#   BENCH_ALLOC_CALLS     calls per phase for the allocation counts (1000)
#   BENCH_PROFILE         1: also print libdbx's top functions per call (callgrind)
#   BENCH_KEEP_CALLGRIND  a directory to copy the callgrind.out files to (cg.PHASE.CALLS)
#   BENCH_CPU             the CPU nginx and the benchmark are pinned to (first allowed CPU)
#   BENCH_PIN             0: do not pin (measures the cross-core round trip too)
#   BENCH_BIN             a built bench_clusters_get (else built in BENCH_BUILD_DIR)
#   BENCH_STATIC_BIN      bench_clusters_get_static (default: beside BENCH_BIN, else
#                         in BENCH_BUILD_DIR); also runs what is not timed when
#                         BENCH_BIN is a wrapper script
#   BENCH_MALLOC_SHIM     libbench_malloc_count.so (default: as BENCH_STATIC_BIN)
#   BENCH_BUILD_DIR       build directory (build/ at the repository root)
#   NGINX                 the nginx binary (nginx on PATH, else /usr/sbin/nginx)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

iterations=${BENCH_ITERATIONS:-20000}
list_iterations=${BENCH_LIST_ITERATIONS:-5000}
warmup=${BENCH_WARMUP:-2000}
rounds=${BENCH_ROUNDS:-40}
tp_calls=${BENCH_TP_CALLS:-4000}
tp_rounds=${BENCH_TP_ROUNDS:-15}
threads=${BENCH_THREADS:-1,2,8}
list_clusters=${BENCH_LIST_CLUSTERS:-21}
big_mb=${BENCH_BIG_MB:-100}
cg_scale=${BENCH_CG_SCALE:-1}
alloc_calls=${BENCH_ALLOC_CALLS:-1000}
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

die() { echo "run.sh: $*" >&2; exit 1; }

# ---- what to run ---------------------------------------------------------------
all_phases=(raw parse dbx list-raw list-parse list-dbx list-gzip)
declare -A want_phase=() want=()
IFS=, read -ra items <<<"${BENCH_PHASE:-all}"
for t in "${items[@]}"; do
    case $t in
        all) for p in "${all_phases[@]}"; do want_phase[$p]=1; done
             for f in wall tp insn alloc peak; do want[$f]=1; done ;;
        get) for p in raw parse dbx; do want_phase[$p]=1; done ;;
        list) for p in list-raw list-parse list-dbx list-gzip; do want_phase[$p]=1; done ;;
        raw|parse|dbx|list-raw|list-parse|list-dbx|list-gzip) want_phase[$t]=1 ;;
        wall|tp|insn|alloc|peak) want[$t]=1 ;;
        *) echo "run.sh: unknown BENCH_PHASE item '$t' (see the top of bench/run.sh)" >&2; exit 2 ;;
    esac
done
if ((${#want_phase[@]} == 0)); then
    for p in "${all_phases[@]}"; do want_phase[$p]=1; done
elif [[ -z ${want[wall]:-}${want[insn]:-}${want[alloc]:-}${want[peak]:-} ]]; then
    want[wall]=1 # phases alone (and tp): their wall-time figure, as BENCH_PHASE always meant
fi
phases=()
for p in "${all_phases[@]}"; do [[ -n ${want_phase[$p]:-} ]] && phases+=("$p"); done
joined() { local IFS=,; echo "$*"; }

# ---- binaries --------------------------------------------------------------------
bin=${BENCH_BIN:-}
if [[ -z $bin ]]; then
    build=${BENCH_BUILD_DIR:-$root/build}
    # always configure: a build tree made before bench/ existed has no such target
    cmake -S "$root" -B "$build" >/dev/null
    cmake --build "$build" --target bench_clusters_get bench_clusters_get_static bench_malloc_count \
        -j "$(nproc)" >&2
    bin=$build/bench/bench_clusters_get
fi
[[ -x $bin ]] || die "$bin is not built"
bindir=$(cd "$(dirname "$bin")" && pwd)
# the static variant and the shim: beside BENCH_BIN, else in the build tree
beside() { if [[ -e $bindir/$1 ]]; then echo "$bindir/$1"; else echo "${BENCH_BUILD_DIR:-$root/build}/bench/$1"; fi; }
static_bin=${BENCH_STATIC_BIN:-$(beside bench_clusters_get_static)}
shim=${BENCH_MALLOC_SHIM:-$(beside libbench_malloc_count.so)}
# BENCH_BIN may be a wrapper script (valgrind, perf) for the timed run; what
# is not timed (pages, checks, callgrind, peak memory) runs the program itself.
plain_bin=$bin
if ! head -c 4 "$bin" | grep -q ELF; then
    plain_bin=$static_bin
    [[ -x $plain_bin ]] || die "$bin is a wrapper and there is no $plain_bin (set BENCH_STATIC_BIN)"
fi

# ---- fixtures and nginx ------------------------------------------------------------
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $nginx ]] || die "nginx not found (Debian: apt-get install nginx-light)"

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-bench.XXXXXX")
chmod 755 "$tmp"
results=$tmp/results
: >"$results"

# The list pages: the benchmark writes them (and regenerates the small one to
# check every byte it receives). The big one is made only for the peak figure.
"$plain_bin" --write-list="$tmp/list.json" --list-clusters="$list_clusters" >/dev/null
: >"$tmp/big.json"
big_n=0 big_bytes=0
if [[ -n ${want[peak]:-} ]] && ((big_mb > 0)); then
    read -r big_n big_bytes < <("$plain_bin" --write-list="$tmp/big.json" --list-bytes=$((big_mb * 1000000)))
fi

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
            2>/dev/null && return
    fi
    echo $((20000 + RANDOM % 30000))
}

port='' gzip_port='' big_port=''
for _ in 1 2 3 4 5; do
    port=$(free_port) gzip_port=$(free_port) big_port=$(free_port)
    [[ $port != "$gzip_port" && $port != "$big_port" && $gzip_port != "$big_port" ]] || continue
    sed -e "s|@PORT@|$port|g" -e "s|@GZIP_PORT@|$gzip_port|g" -e "s|@BIG_PORT@|$big_port|g" \
        -e "s|@TMP@|$tmp|g" "$here/nginx.conf.in" >"$tmp/nginx.conf"
    : >"$tmp/error.log"
    # shellcheck disable=SC2094  # nginx's own stderr goes to its error log too
    "${pin_cmd[@]}" "$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
    nginx_pid=$!
    ready=0
    for _ in $(seq 100); do
        if ! kill -0 "$nginx_pid" 2>/dev/null; then
            break
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$big_port") 2>/dev/null; then
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
[[ -n $nginx_pid ]] || die "no free ports for nginx after 5 attempts"
url=http://127.0.0.1:$port
gzip_url=http://127.0.0.1:$gzip_port
big_url=http://127.0.0.1:$big_port

# ---- the machine ---------------------------------------------------------------------
cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
cpu_model=${cpu_model:-unknown}
{
    echo "info.date $(date -u +%Y-%m-%d)"
    echo "info.cpu $cpu_model"
    echo "info.nproc $(nproc)"
    echo "info.list_clusters $list_clusters"
} >>"$results"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $cpu_model; nproc: $(nproc); pinned: ${pin_cmd[*]:-no}"
echo "$("$nginx" -v 2>&1) on 127.0.0.1:$port (gzip on :$gzip_port, big page on :$big_port; pid $nginx_pid)"
if command -v curl-config >/dev/null; then
    echo "libcurl (headers): $(curl-config --version)"
fi
figures=()
for f in wall tp insn alloc peak; do [[ -n ${want[$f]:-} ]] && figures+=("$f"); done
echo "phases: $(joined "${phases[@]}"); figures: $(joined "${figures[@]}")"

bench_failed() {
    echo "run.sh: $1 failed; nginx error log:" >&2
    tail -n 20 "$tmp/error.log" >&2
    exit 1
}

# One untimed look at every response first (and the versions and sizes for
# the summary).
"$plain_bin" --count=raw --list-clusters="$list_clusters" --gzip-url="$gzip_url" --results="$results" \
    "$url" 0 0 >/dev/null || bench_failed "checking the responses"

# ---- wall time and throughput (the only timed part) -------------------------------------
run_phases=()
[[ -n ${want[wall]:-} ]] && run_phases=("${phases[@]}")
[[ -n ${want[tp]:-} ]] && run_phases+=(tp)
if ((${#run_phases[@]})); then
    echo
    echo "== Wall time: alternating rounds, pinned to one core =="
    "${pin_cmd[@]}" "$bin" --phase="$(joined "${run_phases[@]}")" --rounds="$rounds" --threads="$threads" \
        --tp-calls="$tp_calls" --tp-rounds="$tp_rounds" --list-iterations="$list_iterations" --list-clusters="$list_clusters" \
        --gzip-url="$gzip_url" --results="$results" "$@" "$url" "$iterations" "$warmup" ||
        bench_failed "bench_clusters_get"
fi

# ---- instructions per call (callgrind) ----------------------------------------------------
# Two runs per phase, N1 < N2 calls after the same warm-up; the difference of
# the totals over N2 - N1 is the cost of one call without the start-up.
# Counts per phase (N1 N2), for runs of a few seconds each under callgrind:
cg_calls() {
    local n1 n2
    case $1 in
        list-parse) n1=4 n2=20 ;;
        parse | list-dbx | list-gzip) n1=20 n2=100 ;;
        *) n1=50 n2=250 ;;
    esac
    awk -v a="$n1" -v b="$n2" -v s="$cg_scale" 'BEGIN { a = int(a * s); b = int(b * s); if (a < 1) a = 1; if (b <= a) b = a + 1; print a, b }'
}
cg_total() { sed -n 's/^summary: *//p; s/^totals: *//p' "$1" | head -n 1 | cut -d' ' -f1; }

# A callgrind profile: each libdbx function's inclusive instructions per call
# (the N2 run minus the N1 run, over N2 - N1), the top ones, and libcurl's
# curl_easy_perform for scale.
profile() {
    local p=$1 n1=$2 n2=$3
    echo "  $p: instructions per call, inclusive (libdbx functions; curl_easy_perform for scale)"
    for n in "$n1" "$n2"; do
        callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$tmp/cg.$p.$n" 2>/dev/null |
            awk -v n="$n" '/libdbx\.so|curl_easy_perform/ && $1 ~ /^[0-9,]+$/ {
                v = $1; gsub(",", "", v); fn = $0; sub(/^ *[0-9,]+ *(\([^)]*\))? */, "", fn);
                sub(/ \[.*$/, "", fn); sub(/^.*\/lib\//, "lib/", fn); print fn "\t" n "\t" v }'
    done | awk -F'\t' -v n1="$n1" -v n2="$n2" '
        { v[$1, $2] = $3; fn[$1] = 1 }
        END { for (f in fn) { d = (v[f, n2] - v[f, n1]) / (n2 - n1); if (d >= 500) printf "%12.0f  %s\n", d, f } }' |
        sort -rn | head -n 18
}

if [[ -n ${want[insn]:-} ]]; then
    echo
    echo "== Instructions per call (valgrind --tool=callgrind; (I(N2) - I(N1)) / (N2 - N1)) =="
    if ! command -v valgrind >/dev/null; then
        echo "  skipped: valgrind is not installed"
    else
        [[ $plain_bin == "$bin" ]] || echo "  (BENCH_BIN is a wrapper: counting $plain_bin)"
        for p in "${phases[@]}"; do
            read -r n1 n2 < <(cg_calls "$p")
            declare -A pid_of=()
            for n in "$n1" "$n2"; do
                valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$p.$n" "$plain_bin" --count="$p" \
                    --list-clusters="$list_clusters" --gzip-url="$gzip_url" "$url" "$n" 10 \
                    >"$tmp/cg.$p.$n.log" 2>&1 &
                pid_of[$n]=$!
            done
            for n in "$n1" "$n2"; do
                wait "${pid_of[$n]}" || { tail -n 5 "$tmp/cg.$p.$n.log" >&2; bench_failed "callgrind ($p, $n calls)"; }
            done
            i1=$(cg_total "$tmp/cg.$p.$n1") i2=$(cg_total "$tmp/cg.$p.$n2")
            per=$(((i2 - i1) / (n2 - n1)))
            echo "insn.$p $per" >>"$results"
            printf '  %-12s %12s instructions per call   (%s calls: %s, %s calls: %s)\n' \
                "$p" "$per" "$n1" "$i1" "$n2" "$i2"
        done
        if [[ -n ${BENCH_KEEP_CALLGRIND:-} ]]; then
            mkdir -p "$BENCH_KEEP_CALLGRIND" && cp "$tmp"/cg.*[0-9] "$BENCH_KEEP_CALLGRIND"/
            echo "  callgrind outputs copied to $BENCH_KEEP_CALLGRIND"
        fi
        if [[ ${BENCH_PROFILE:-0} != 0 ]]; then
            echo
            for p in "${phases[@]}"; do
                case $p in dbx | list-dbx | list-gzip) read -r n1 n2 < <(cg_calls "$p"); profile "$p" "$n1" "$n2" ;; esac
            done
        fi
    fi
fi

# ---- heap allocations per call ---------------------------------------------------------------
if [[ -n ${want[alloc]:-} ]]; then
    echo
    echo "== Heap allocations per call, over $alloc_calls calls after 100 warm-up calls =="
    alloc_bin=$static_bin
    [[ -x $alloc_bin ]] || alloc_bin=$plain_bin
    preload=()
    [[ -f $shim ]] && preload=(env "LD_PRELOAD=$shim")
    [[ -x $static_bin ]] || echo "  (no $static_bin: libdbx's own allocations are not counted)"
    [[ -f $shim ]] || echo "  (no $shim: the process's allocations are not counted)"
    for p in "${phases[@]}"; do
        "${preload[@]}" "$alloc_bin" --count="$p" --list-clusters="$list_clusters" --gzip-url="$gzip_url" \
            --results="$results" "$url" "$alloc_calls" 100 | sed 's/^/  /' ||
            bench_failed "allocation count ($p)"
    done
fi

# ---- peak memory for a big list page -----------------------------------------------------------
if [[ -n ${want[peak]:-} ]] && ((big_n > 0)); then
    echo
    echo "== Peak memory: one clusters/list page of $big_bytes bytes ($big_n clusters), one process each =="
    for kind in dbx jansson; do
        "${pin_cmd[@]}" "$plain_bin" --peak="$kind" --list-clusters="$big_n" --page-bytes="$big_bytes" \
            --results="$results" "$big_url" | sed 's/^/  /' || bench_failed "peak memory ($kind)"
    done
    echo "info.big_clusters $big_n" >>"$results"
fi

# ---- one table -------------------------------------------------------------------------------------
echo
awk -f "$here/summary.awk" "$results"
