#!/usr/bin/env bash
# SQL results through libdbx's row iterator against a bare libcurl +
# json_loadb loop over the same chunks, on a local nginx serving the
# statement, its chunks and links as static files. Every figure is a
# separate process, so peak RSS is that run's own. See bench/README.md.
#
#   bash bench/run_sql.sh
#
# Environment: BENCH_SQL_ROWS (100000,1000000), BENCH_SQL_CHUNK_ROWS (20000),
# BENCH_SQL_ROUNDS (3), BENCH_BUILD_DIR (build/), NGINX.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=${BENCH_SQL_ROWS:-100000,1000000}
chunk_rows=${BENCH_SQL_CHUNK_ROWS:-20000}
rounds=${BENCH_SQL_ROUNDS:-3}
build=${BENCH_BUILD_DIR:-$root/build}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[[ -x $nginx ]] || { echo "run_sql.sh: nginx not found" >&2; exit 1; }

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target bench_sql_rows -j 2 >&2
bin=$build/bench/bench_sql_rows

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-bench-sql.XXXXXX")
mkdir -p "$tmp/data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
for n in ${sizes//,/ }; do
    "$bin" write "$tmp/data" "$n" "$chunk_rows" "$base"
done
sed -e "s|@PORT@|$port|g" -e "s|@TMP@|$tmp|g" "$here/nginx_sql.conf.in" >"$tmp/nginx.conf"
"$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1); nproc $(nproc)"
echo "10 columns, $chunk_rows rows per chunk, $rounds alternating rounds (median), $(du -sh "$tmp/data" | cut -f1) of fixtures"

: >"$tmp/res"
for r in $(seq "$rounds"); do
    for n in ${sizes//,/ }; do
        for kind in inline ext; do
            for mode in jansson dbx dbx-typed; do
                line=$("$bin" read "$mode" "$base" "${kind}_$n")
                echo "$line" >>"$tmp/res"
            done
        done
    done
done
# every mode must have read the same rows and the same text
awk '$1 != "dbx-typed" { k = $2; if (!(k in s)) s[k] = $3 " " $7; else if (s[k] != $3 " " $7) { print "MISMATCH " k; exit 1 } }' "$tmp/res"

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
printf '| %-21s | %-9s | %12s | %10s | %13s | %14s |\n' result reader "rows/s" "time (s)" "peak RSS" "vs jansson"
printf '|%s|%s|%s|%s|%s|%s|\n' ----------------------- ----------- -------------- ------------ --------------- ----------------
for n in ${sizes//,/ }; do
    for kind in inline ext; do
        id=${kind}_$n
        base_t=$(awk -v id="$id" '$1 == "jansson" && $2 == id { print $4 }' "$tmp/res" | median)
        for mode in jansson dbx dbx-typed; do
            t=$(awk -v id="$id" -v m="$mode" '$1 == m && $2 == id { print $4 }' "$tmp/res" | median)
            rss=$(awk -v id="$id" -v m="$mode" '$1 == m && $2 == id { print $6 }' "$tmp/res" | median)
            printf '| %-21s | %-9s | %12.0f | %10.3f | %10.1f MB | %13.2f x |\n' \
                "$([[ $kind == inline ]] && echo INLINE || echo EXTERNAL_LINKS) $n" "$mode" \
                "$(awk -v n="$n" -v t="$t" 'BEGIN { print n / t }')" "$t" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
                "$(awk -v t="$t" -v b="$base_t" 'BEGIN { print t / b }')"
        done
    done
done
