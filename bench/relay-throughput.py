#!/usr/bin/env python3
"""The relay's speed (issue 13), in one run, over loopback, alternating, best of --runs:

  raw       after "paired", one side streams --raw-mb MiB to the other through `securechat relay`,
            versus the same through magic-wormhole's transit relay (`twist3 transitrelay`, its
            "please relay <token> for side <side>" handshake); MB/s and the ratio (target >= 2)
  file      a `/send` of a --file-mb MiB file (in --dir, default /dev/shm) through the relay
            (listen --relay / connect --relay with SECURECHAT_CODE) versus direct listen/connect;
            MB/s from the receiver's file-offer to its file-done, and the ratio (target >= 0.7)
  latency   --claims claims, one after another: from sending {"op":"claim"} to reading "paired"
            at the joiner; p50 and p99 (target p50 <= 2 ms)

The raw runs also print each relay process's CPU time per GB forwarded (user + system, from
/proc), and so does the relayed file transfer (whole session, per GB of file): unlike MB/s, it
hardly depends on how busy the rest of the machine is.

    python3 bench/relay-throughput.py [--raw-mb 2000] [--file-mb 500] [--runs 3] [--claims 500]
                                      [--no-file] [--baseline-cli PATH] [--baseline-env K=V ...]

--no-file skips the file transfers. --baseline-cli runs a second `securechat relay` from another
build (say, the commit before a change; `dotnet build src/SecureChat.Cli -c Release -o DIR`, then
DIR/securechat) in the same rotation, so before and after are measured in the same run;
--baseline-env sets environment variables for that second relay only (it defaults to this build,
so `--baseline-env DOTNET_SOME_KNOB=0` alone compares a runtime setting).

Uses the Release build of the CLI (built first). MB = 10^6 bytes. Prints a table and a JSON line.
"""
import argparse, json, os, secrets, shutil, socket, statistics, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from securechat_events import Proc, free_port  # noqa: E402
CLI = os.path.join(ROOT, "src", "SecureChat.Cli", "bin", "Release", "net10.0", "securechat")
CHUNK = 1 << 20


def load():
    return os.getloadavg()[0]


def cpu_seconds(pid):
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the relay's control frames: u16 BE length, kind 0x10, one JSON object -------------------

def send_control(sock, obj):
    body = json.dumps(obj, separators=(",", ":")).encode()
    sock.sendall(struct.pack(">HB", len(body) + 1, 0x10) + body)


def read_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("relay closed")
        data += chunk
    return bytes(data)


def read_control(sock):
    (n,) = struct.unpack(">H", read_exactly(sock, 2))
    frame = read_exactly(sock, n)
    assert frame[0] == 0x10, frame
    return json.loads(frame[1:])


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def securechat_pair(port):
    """A waiter and a joiner through `securechat relay`, both past "paired"; and the claim's latency."""
    waiter = connect(port)
    send_control(waiter, {"op": "allocate"})
    allocated = read_control(waiter)
    assert allocated["status"] == "allocated", allocated
    joiner = connect(port)
    start = time.perf_counter()
    send_control(joiner, {"op": "claim", "nameplate": allocated["nameplate"]})
    reply = read_control(joiner)
    elapsed = time.perf_counter() - start
    assert reply["status"] == "paired", reply
    assert read_control(waiter)["status"] == "paired"
    return waiter, joiner, elapsed


def transit_pair(port):
    """Two sides through magic-wormhole's transit relay, both past "ok"."""
    token = secrets.token_hex(32)
    sides = []
    for _ in range(2):
        s = connect(port)
        s.sendall(f"please relay {token} for side {secrets.token_hex(8)}\n".encode())
        sides.append(s)
    for s in sides:
        assert read_exactly(s, 3) == b"ok\n"
    return sides


def stream(sender, receiver, size):
    """Sends size bytes one way from a forked child (no GIL shared with the reader); returns MB/s
    from the first byte sent to the last byte received."""
    start = time.perf_counter()
    child = os.fork()
    if child == 0:
        payload = memoryview(os.urandom(CHUNK))
        left = size
        while left:
            n = min(left, CHUNK)
            sender.sendall(payload[:n])
            left -= n
        sender.shutdown(socket.SHUT_WR)
        os._exit(0)
    buffer = bytearray(4 * CHUNK)
    received = 0
    while received < size:
        n = receiver.recv_into(buffer)
        if not n:
            sys.exit(f"stream ended after {received} of {size} bytes")
        received += n
    elapsed = time.perf_counter() - start
    os.waitpid(child, 0)
    return size / 1e6 / elapsed


# --- securechat processes (--json events) --------------------------------------------------

def file_transfer(source, downloads, home, relay_port=None):
    """MB/s of one /send, from the receiver's file-offer to its file-done; direct or through the relay."""
    for name in os.listdir(downloads):
        os.remove(os.path.join(downloads, name))
    env = {"SECURECHAT_HOME": home}
    if relay_port:
        relay = f"127.0.0.1:{relay_port}"
        listener = Proc([CLI, "listen", "--relay", relay, "--json", "--accept-files", downloads], env)
        code = listener.wait("listening")[1]["code"]
        client = Proc([CLI, "connect", "--relay", relay, "--json"], {**env, "SECURECHAT_CODE": code})
    else:
        listener = Proc([CLI, "listen", "--bind", "127.0.0.1", "--port", "0", "--ephemeral", "--json", "--accept-files", downloads], env)
        port = listener.wait("listening")[1]["port"]
        client = Proc([CLI, "connect", f"127.0.0.1:{port}", "--ephemeral", "--json"], env)
    try:
        client.wait("handshake")
        client.send(f"/send {source}")
        offered, _ = listener.wait("file-offer")
        done, ev = listener.wait("file-done")
        assert ev["verified"], ev
        assert os.path.getsize(ev["path"]) == os.path.getsize(source)
        return os.path.getsize(source) / 1e6 / (done - offered)
    finally:
        client.stop()
        listener.stop()


def wait_for_port(port, proc, what):
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not listen on {port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-mb", type=int, default=2000, help="MiB streamed per raw forwarding run")
    parser.add_argument("--file-mb", type=int, default=500, help="MiB of the file sent per transfer")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--no-file", action="store_true", help="skip the file transfers")
    parser.add_argument("--baseline-cli", help="a second securechat build whose relay is measured in the same rotation")
    parser.add_argument("--baseline-env", action="append", default=[], metavar="K=V", help="environment for the baseline relay (repeatable)")
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    args = parser.parse_args()
    if not shutil.which("twist3"):
        sys.exit("twist3 not found: apt-get install magic-wormhole-transit-relay")

    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "SecureChat.Cli"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, capture_output=True)
    work = tempfile.mkdtemp(prefix="securechat-relaybench-", dir=args.dir)
    relay_port, transit_port = free_port(), free_port()
    relay = subprocess.Popen([CLI, "relay", "--bind", "127.0.0.1", "--port", str(relay_port), "--exempt", "127.0.0.0/8", "--json"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "SECURECHAT_HOME": work})
    baseline = None
    if args.baseline_cli or args.baseline_env:
        baseline_port = free_port()
        baseline_env = dict(kv.split("=", 1) for kv in args.baseline_env)
        baseline = subprocess.Popen([args.baseline_cli or CLI, "relay", "--bind", "127.0.0.1", "--port", str(baseline_port), "--exempt", "127.0.0.0/8", "--json"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "SECURECHAT_HOME": work, **baseline_env})
    transit = subprocess.Popen(["twist3", "--log-file", os.path.join(work, "transit.log"), "transitrelay",
                                "--port", f"tcp:{transit_port}:interface=127.0.0.1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
    try:
        wait_for_port(relay_port, relay, "securechat relay")
        wait_for_port(transit_port, transit, "twist3 transitrelay")
        if baseline:
            wait_for_port(baseline_port, baseline, "baseline securechat relay")
        source = os.path.join(work, "source.bin")
        with open(source, "wb") as f:
            for _ in range(0 if args.no_file else args.file_mb):
                f.write(os.urandom(1 << 20))
        downloads = os.path.join(work, "downloads")
        os.mkdir(downloads)
        home = os.path.join(work, "home")
        os.mkdir(home)
        print(f"machine: {os.cpu_count()} cores; dotnet {subprocess.run(['dotnet', '--version'], capture_output=True, text=True).stdout.strip()}; "
              f"raw {args.raw_mb} MiB, file {'skipped' if args.no_file else f'{args.file_mb} MiB in {args.dir}'}; {args.runs} runs each, alternating"
              + (f"; baseline relay {args.baseline_cli or CLI} {' '.join(args.baseline_env)}" if baseline else ""))

        rates = {k: [] for k in ("raw securechat relay", "raw wormhole transit", "file through relay", "file direct")}
        cpu = {"raw securechat relay": [], "raw wormhole transit": [], "file through relay": []}  # relay CPU s per GB of payload
        if baseline:
            rates["raw baseline relay"] = []
            cpu["raw baseline relay"] = []
        if args.no_file:
            for k in ("file through relay", "file direct"):
                rates.pop(k)
            cpu.pop("file through relay")
        loads = []
        size = args.raw_mb << 20
        for run in range(args.runs):
            waiter, joiner, _ = securechat_pair(relay_port)
            before = cpu_seconds(relay.pid)
            rates["raw securechat relay"].append(stream(joiner, waiter, size))
            cpu["raw securechat relay"].append((cpu_seconds(relay.pid) - before) / (size / 1e9))
            waiter.close(); joiner.close()
            a, b = transit_pair(transit_port)
            before = cpu_seconds(transit.pid)
            rates["raw wormhole transit"].append(stream(a, b, size))
            cpu["raw wormhole transit"].append((cpu_seconds(transit.pid) - before) / (size / 1e9))
            a.close(); b.close()
            if baseline:
                waiter, joiner, _ = securechat_pair(baseline_port)
                before = cpu_seconds(baseline.pid)
                rates["raw baseline relay"].append(stream(joiner, waiter, size))
                cpu["raw baseline relay"].append((cpu_seconds(baseline.pid) - before) / (size / 1e9))
                waiter.close(); joiner.close()
            if not args.no_file:
                before = cpu_seconds(relay.pid)
                rates["file through relay"].append(file_transfer(source, downloads, home, relay_port))
                cpu["file through relay"].append((cpu_seconds(relay.pid) - before) / (os.path.getsize(source) / 1e9))
                rates["file direct"].append(file_transfer(source, downloads, home))
            loads.append(load())
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in rates.items()) + f" MB/s; load {loads[-1]:.2f}", flush=True)

        latencies = []
        for _ in range(args.claims):
            waiter, joiner, elapsed = securechat_pair(relay_port)
            latencies.append(elapsed * 1000)
            waiter.close(); joiner.close()
        loads.append(load())
        latencies.sort()
        if not latencies:
            latencies.append(float("nan"))
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]

        best = {k: max(v) for k, v in rates.items()}
        raw_ratio = best["raw securechat relay"] / best["raw wormhole transit"]
        file_ratio = float("nan") if args.no_file else best["file through relay"] / best["file direct"]
        print(f"\n{'measurement':36}{'best':>10}{'runs':>24}{'target':>16}")
        for k, v in rates.items():
            print(f"{k:36}{best[k]:>6.0f} MB/s{' / '.join(f'{x:.0f}' for x in v):>24}")
        for k, v in cpu.items():
            print(f"{k + ', relay CPU':36}{min(v):>6.2f} s/GB{' / '.join(f'{x:.2f}' for x in v):>24}")
        print(f"{'raw: securechat / wormhole':36}{raw_ratio:>10.2f}{'':>24}{'>= 2':>16}  {'met' if raw_ratio >= 2 else 'MISSED'}")
        if baseline:
            print(f"{'raw: baseline / wormhole':36}{best['raw baseline relay'] / best['raw wormhole transit']:>10.2f}")
            print(f"{'raw: securechat / baseline':36}{best['raw securechat relay'] / best['raw baseline relay']:>10.2f}")
        if not args.no_file:
            print(f"{'file: relayed / direct':36}{file_ratio:>10.2f}{'':>24}{'>= 0.7':>16}  {'met' if file_ratio >= 0.7 else 'MISSED'}")
        print(f"{'claim -> paired p50':36}{p50:>8.3f} ms{'':>24}{'<= 2 ms':>14}  {'met' if p50 <= 2 else 'MISSED'}")
        print(f"{'claim -> paired p99':36}{p99:>8.3f} ms")
        print(f"load average (1 min) after each run: {', '.join(f'{x:.2f}' for x in loads)}")
        print(json.dumps({"raw_securechat_MBps": round(best["raw securechat relay"]), "raw_wormhole_MBps": round(best["raw wormhole transit"]),
                          "raw_ratio": round(raw_ratio, 2),
                          **({"raw_baseline_MBps": round(best["raw baseline relay"])} if baseline else {}),
                          "relay_cpu_s_per_GB": {k: round(min(v), 3) for k, v in cpu.items()}, "file_relayed_MBps": (round(best["file through relay"]) if not args.no_file else None),
                          "file_direct_MBps": (round(best["file direct"]) if not args.no_file else None), "file_ratio": None if args.no_file else round(file_ratio, 2),
                          "claim_p50_ms": round(p50, 3) if args.claims else None, "claim_p99_ms": round(p99, 3) if args.claims else None, "claims": args.claims,
                          "load": [round(x, 2) for x in loads]}))
    finally:
        for p in (relay, transit, baseline):
            if p is None:
                continue
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
