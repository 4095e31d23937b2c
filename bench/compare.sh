#!/usr/bin/env bash
# In one run on this machine: `securechat bench` (each figure next to its raw-TCP baseline, with the
# ratios), OpenSSL TLS 1.3 handshakes per second (`openssl s_time`), and one file copied three ways
# over loopback, alternating (bench/file-throughput.py: securechat /send → file-done, a plain TCP
# copy between two processes, OpenSSL s_client → s_server), then the ratios of all of them.
#
#   bash bench/compare.sh [SECONDS] [FILE_MB] [RUNS]   # defaults: 3 s per bench phase, a 500 MB file, 3 runs of each copy
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3}"
file_mb="${2:-500}"
runs="${3:-3}"
work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
load() { cut -d' ' -f1 /proc/loadavg; }


dotnet build src/SecureChat.Cli -c Release -o "$work/bin" -v q -nologo > /dev/null
load_before_bench="$(load)"
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

# The same file copied three ways, alternating (memory-backed, so no disk bounds any side).
echo
python3 bench/file-throughput.py --size-mb "$file_mb" --runs "$runs" --dll "$work/bin/securechat.dll" | tee "$work/files.txt"
files_json="$(tail -1 "$work/files.txt")"

python3 - "$securechat_json" "$openssl_hs" "$files_json" "$load_before_bench" "$seconds" <<'PY'
import json, sys
sc, hs, files, load, seconds = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
hs = None if hs == "null" else float(hs)
def ratio(a, b): return f"{a / b:.2f}" if a and b else "n/a"
def num(v): return "n/a" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"
ossl = files["openssl_tls13_MBps"]

print(f"\nsecurechat bench --seconds {seconds} (1-minute load average before it: {load})")
print(f"{'':52}{'securechat':>12}{'raw TCP':>10}{'ratio':>8}")
for name, ours, raw, key in [
    ("round trip p50, 100-byte text (µs)", sc["rtt_us_p50"], sc["tcp_rtt_us_p50"], "rtt_ratio"),
    ("one-way messages per second, 100-byte text", sc["messages_per_s"], sc["tcp_messages_per_s"], "messages_ratio"),
    ("bulk MB/s, file in memory (FILE_DATA frames)", sc["bulk_MBps"], sc["tcp_MBps"], "bulk_ratio"),
]:
    print(f"{name:52}{num(ours):>12}{num(raw):>10}{sc[key]:>8.2f}")
print(f"{'bulk MB/s, the same frames memory → memory':52}{'':>12}{num(sc['tcp_socket_MBps']):>10}")

print(f"\n{'next to OpenSSL TLS 1.3 (same run)':52}{'securechat':>12}{'openssl':>10}{'ratio':>8}")
for name, ours, theirs in [
    ("handshakes per second (new connections)", sc["handshakes_per_s"], hs),
    ("bulk MB/s: securechat bench bulk_MBps (files)", sc["bulk_MBps"], ossl),
    ("bulk MB/s: securechat bench text_bulk_MBps", sc["text_bulk_MBps"], ossl),
    ("file copy MB/s: /send → file-done (best)", files["securechat_MBps"], ossl),
]:
    print(f"{name:52}{num(ours):>12}{num(theirs):>10}{ratio(ours, theirs):>8}")

print(f"\n{'file copy, ' + str(files['size_mb']) + ' MB in memory (best of ' + str(files['runs']) + ')':52}{'MB/s':>12}{'÷ plain':>10}{'÷ openssl':>10}")
plain = files["plain_tcp_MBps"]
for name, value in [("securechat /send → file-done", files["securechat_MBps"]),
                    ("securechat file-offer → file-done", files["securechat_transfer_MBps"]),
                    ("plain TCP (sendfile → recv_into → write)", plain), ("OpenSSL TLS 1.3 s_client → s_server", ossl)]:
    print(f"{name:52}{num(value):>12}{ratio(value, plain):>10}{ratio(value, ossl):>10}")

summary = {"bench": sc, "openssl_handshakes_per_s": hs, "files": files,
           "bench_bulk_vs_openssl": round(sc["bulk_MBps"] / ossl, 3) if ossl else None,
           "bench_text_bulk_vs_openssl": round(sc["text_bulk_MBps"] / ossl, 3) if ossl else None,
           "handshakes_vs_openssl": round(sc["handshakes_per_s"] / hs, 3) if hs else None,
           "loadavg_1min_before_bench": float(load)}
print("\n" + json.dumps(summary))
PY
