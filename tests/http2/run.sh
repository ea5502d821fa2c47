#!/usr/bin/env bash
# The real-time scorer over HTTP/2 against nginx (the emulator speaks HTTP/1.1 only):
#   tests/http2/run.sh TEST_BINARY
# Starts nginx (TLS + HTTP/2, a throwaway certificate) on a free port and runs the test binary
# with its URL and CA. Exit 77 (skipped) without nginx, its HTTP/2 module or openssl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
nginx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$nginx" ] || { echo "SKIP: nginx not found"; exit 77; }
"$nginx" -V 2>&1 | grep -q -- --with-http_v2_module || { echo "SKIP: nginx without HTTP/2"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not found"; exit 77; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@TLSPORT@|$port|g" -e "s|@TMP@|$tmp|g" "$here/nginx.conf.in" >"$tmp/nginx.conf"
"$nginx" -p "$tmp/" -e "$tmp/error.log" -c "$tmp/nginx.conf" </dev/null >>"$tmp/error.log" 2>&1 &
pid=$!
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
"$bin" "https://127.0.0.1:$port" "$tmp/cert.pem"
