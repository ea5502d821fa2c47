#!/usr/bin/env bash
# Upload and download of a 200 MB file through libdbx's Files API against
# the curl command line doing the same transfers (PUT -T, GET -o), on a
# local nginx (dav module for PUT, static files for GET). Alternating
# rounds; medians of throughput (MB/s, 1 MB = 10^6 bytes) and of each
# process's peak RSS. See bench/README.md.
#
#   bash bench/run_transfer.sh
# Environment: BENCH_TRANSFER_MB (200), BENCH_TRANSFER_ROUNDS (5),
#   BENCH_BUILD_DIR (build/), NGINX, CURL (curl on PATH).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
mb=${BENCH_TRANSFER_MB:-200}
rounds=${BENCH_TRANSFER_ROUNDS:-5}
build=${BENCH_BUILD_DIR:-$root/build}
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
curl_bin=${CURL:-$(command -v curl)}
[[ -x $nginx ]] || { echo "run_transfer.sh: nginx not found" >&2; exit 1; }
"$nginx" -V 2>&1 | grep -q http_dav_module || { echo "run_transfer.sh: nginx lacks the dav module" >&2; exit 1; }

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target bench_transfer -j 2 >&2
bin=$build/bench/bench_transfer

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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dbx-bench-transfer.XXXXXX")
mkdir -p "$tmp/data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g" -e "s|@TMP@|$tmp|g" "$here/nginx_transfer.conf.in" >"$tmp/nginx.conf"
"$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
done
base=http://127.0.0.1:$port
bytes=$((mb * 1000000))
"$bin" mkfile "$tmp/src.bin" "$bytes"
remote=/Volumes/bench/s/v/file.bin
url=$base/api/2.0/fs/files$remote
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1); nproc $(nproc)"
echo "$("$nginx" -v 2>&1); $("$curl_bin" --version | head -n 1)"
echo "$mb MB file, $rounds alternating rounds"

: >"$tmp/res"
for r in $(seq "$rounds"); do
    read -r t k < <("$bin" measure "$bin" upload "$base" "$tmp/src.bin" "$remote")
    echo "dbx.up $t $k" >>"$tmp/res"
    cmp -s "$tmp/src.bin" "$tmp/data/api/2.0/fs/files$remote" || { echo "libdbx upload differs" >&2; exit 1; }
    read -r t k < <("$bin" measure "$curl_bin" -sS -f -o /dev/null -T "$tmp/src.bin" -H "Authorization: Bearer dapi-bench" \
        -H "Content-Type: application/octet-stream" "$url")
    echo "curl.up $t $k" >>"$tmp/res"
    read -r t k < <("$bin" measure "$bin" download "$base" "$remote" "$tmp/dbx.out")
    echo "dbx.down $t $k" >>"$tmp/res"
    read -r t k < <("$bin" measure "$curl_bin" -sS -f -o "$tmp/curl.out" -H "Authorization: Bearer dapi-bench" "$url")
    echo "curl.down $t $k" >>"$tmp/res"
    if ((r == 1)); then
        cmp -s "$tmp/src.bin" "$tmp/dbx.out" || { echo "libdbx download differs" >&2; exit 1; }
        cmp -s "$tmp/src.bin" "$tmp/curl.out" || { echo "curl download differs" >&2; exit 1; }
    fi
    rm -f "$tmp/dbx.out" "$tmp/curl.out"
done

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
printf '| %-9s | %-8s | %14s | %14s | %20s |\n' transfer client "median MB/s" "median peak RSS" "MB/s range"
printf '|%s|%s|%s|%s|%s|\n' ----------- ---------- ---------------- ----------------- ----------------------
for dir in up down; do
    for who in dbx curl; do
        t=$(awk -v k="$who.$dir" '$1 == k { print $2 }' "$tmp/res" | median)
        rss=$(awk -v k="$who.$dir" '$1 == k { print $3 }' "$tmp/res" | median)
        range=$(awk -v k="$who.$dir" -v b="$bytes" '$1 == k { v = b / $2 / 1e6; if (min == "" || v < min) min = v; if (v > max) max = v }
            END { printf "%.0f-%.0f", min, max }' "$tmp/res")
        printf '| %-9s | %-8s | %14.0f | %12.1f MB | %20s |\n' "$([[ $dir == up ]] && echo upload || echo download)" \
            "$([[ $who == dbx ]] && echo libdbx || echo curl)" "$(awk -v b="$bytes" -v t="$t" 'BEGIN { print b / t / 1e6 }')" \
            "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$range"
    done
done
