#!/usr/bin/env bash
# In one run on this machine: `securechat bench` next to OpenSSL TLS 1.3 over loopback
# (handshakes per second with `openssl s_time`, bulk with s_server/s_client through
# bench/file-throughput.py), and the ratios.
#
#   bash bench/compare.sh [SECONDS]        # SECONDS per securechat bench phase (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(openssl version); dotnet $(dotnet --version)"

dotnet build src/SecureChat.Cli -c Release -o "$work/bin" -v q -nologo > /dev/null
securechat_json="$(dotnet "$work/bin/securechat.dll" bench --seconds "$seconds" --json 2>/dev/null | tail -1)"

# OpenSSL TLS 1.3 handshakes per second: new connections to s_server, one after another.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/key.pem" -out "$work/cert.pem" > /dev/null 2>&1
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
openssl s_server -accept "$port" -cert "$work/cert.pem" -key "$work/key.pem" -tls1_3 \
  -ciphersuites TLS_AES_256_GCM_SHA384 -www -quiet > /dev/null 2>&1 < /dev/null &
server_pid=$!
sleep 0.5
s_time_out="$(openssl s_time -connect "127.0.0.1:$port" -new -time "$seconds" -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 2>/dev/null || true)"
kill "$server_pid" 2>/dev/null || true
server_pid=""
openssl_hs="$(printf '%s\n' "$s_time_out" | python3 -c '
import re, sys
m = re.search(r"(\d+) connections in ([\d.]+) real seconds", sys.stdin.read())
print(f"{int(m.group(1)) / float(m.group(2)):.1f}" if m else "null")')"

# Bulk: the same file copied both ways in one run (memory-backed, so no disk bounds either side).
bulk_json="$(python3 bench/file-throughput.py --size-mb 500 --runs 1 | tail -1)"

python3 - "$securechat_json" "$openssl_hs" "$bulk_json" <<'PY'
import json, sys
sc, hs, bulk = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
hs = None if hs == "null" else float(hs)
def ratio(a, b): return f"{a / b:.2f}" if a and b else "n/a"
rows = [
    ("handshakes per second (new connections)", sc["handshakes_per_s"], hs),
    ("bulk MB/s: securechat bench (65,518-byte texts)", sc["bulk_MBps"], bulk["openssl_tls13_MBps"]),
    ("bulk MB/s: file transfer (FILE_DATA frames)", bulk["securechat_transfer_MBps"], bulk["openssl_tls13_MBps"]),
]
print(f"\n{'':52}{'securechat':>12}{'openssl':>10}{'ratio':>8}")
for name, ours, theirs in rows:
    print(f"{name:52}{ours:>12}{theirs if theirs is not None else 'n/a':>10}{ratio(ours, theirs):>8}")
print("\nsecurechat bench:", json.dumps(sc))
PY
