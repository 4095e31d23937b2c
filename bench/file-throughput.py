#!/usr/bin/env python3
"""Copies one file over loopback three ways in one run, alternating (the order rotates from run to
run so none always goes first): (a) securechat (/send, then the receiver's file-done), (b) a plain
TCP copy between two processes with no cryptography at all (sender: os.sendfile of the file;
receiver: recv_into a 1 MiB buffer, then write to a file), (c) OpenSSL TLS 1.3 (openssl s_server /
s_client, TLS_AES_256_GCM_SHA384). Prints the MB/s of each (best, median, every run) and the ratios
securechat / plain and securechat / openssl; the last line is JSON.

    python3 bench/file-throughput.py [--size-mb 1000] [--runs 3] [--dir /dev/shm] [--dll securechat.dll]

--dir is where the source and received files live (default /dev/shm: memory, so the disk does not
bound either side; pass a disk directory to include it). MB = 10^6 bytes.
securechat figures: "securechat" = from typing /send to the receiver's file-done (the sender's
SHA-256 pass before its offer, FILE_ACCEPT, every FILE_DATA frame, the receiver's SHA-256 and
rename); "securechat transfer" = from the receiver's file-offer to its file-done. Plain TCP: from
the connected sender's first sendfile to the receiver having written and closed its copy (process
start and connect not counted). OpenSSL: from starting s_client to the server having written every
byte (handshake included; no hashing). Every received copy is checked with SHA-256 afterwards.
Ratios: of the best runs, and the median of each run's own ratio (its methods ran back to back).
"""
import argparse, hashlib, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from securechat_events import Proc, free_port  # noqa: E402


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def run_securechat(dll, source, downloads):
    for name in os.listdir(downloads):
        os.remove(os.path.join(downloads, name))
    listener = Proc(["dotnet", dll, "listen", "--bind", "127.0.0.1", "--port", "0", "--ephemeral", "--json", "--accept-files", downloads])
    port = listener.wait("listening")[1]["port"]
    client = Proc(["dotnet", dll, "connect", f"127.0.0.1:{port}", "--ephemeral", "--json"])
    try:
        client.wait("handshake")
        start = time.perf_counter()
        client.send(f"/send {source}")
        offered, _ = listener.wait("file-offer")
        done, ev = listener.wait("file-done")
        assert ev["verified"], ev
        return start, offered, done, ev["path"]
    finally:
        client.stop()
        listener.p.kill()


PLAIN_RECEIVER = r"""
import os, socket, sys
out, buffer = sys.argv[1], bytearray(1 << 20)
view = memoryview(buffer)
with socket.create_server(("127.0.0.1", 0)) as server:
    print(server.getsockname()[1], flush=True)
    conn, _ = server.accept()
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with conn:
        while n := conn.recv_into(buffer):
            os.write(fd, view[:n])  # os.write on a tmpfs/disk file writes it all
    os.close(fd)
print("done", flush=True)
"""

PLAIN_SENDER = r"""
import os, socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
with socket.create_connection(("127.0.0.1", port)) as conn, open(path, "rb") as f:
    print("connected", flush=True)
    sys.stdin.readline()
    size, offset = os.fstat(f.fileno()).st_size, 0
    while offset < size:
        offset += os.sendfile(conn.fileno(), f.fileno(), offset, size - offset)
"""


def run_plain(source, workdir):
    """Plain TCP between two processes: returns the start and end times and the received copy's path."""
    out = os.path.join(workdir, "plain.out")
    receiver = subprocess.Popen([sys.executable, "-c", PLAIN_RECEIVER, out], stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline())
    sender = subprocess.Popen([sys.executable, "-c", PLAIN_SENDER, str(port), source], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        if sender.stdout.readline().strip() != "connected":
            sys.exit("plain copy: the sender did not connect")
        start = time.perf_counter()
        sender.stdin.write("go\n")
        sender.stdin.flush()
        if receiver.stdout.readline().strip() != "done":
            sys.exit("plain copy: the receiver failed")
        end = time.perf_counter()
        if sender.wait(30) != 0 or receiver.wait(30) != 0:
            sys.exit("plain copy: a process failed")
        return start, end, out
    finally:
        for p in (sender, receiver):
            if p.poll() is None:
                p.kill()
                p.wait()


def wait_listening(port, timeout=30):
    """Waits until something listens on the port (without connecting: s_server accepts only one)."""
    if not os.path.exists("/proc/net/tcp"):
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                rows = open(table).read().splitlines()[1:]
            except OSError:
                continue
            if any(r.split()[1].endswith(f":{port:04X}") and r.split()[3] == "0A" for r in rows):
                return
        time.sleep(0.01)
    sys.exit(f"nothing listens on port {port} after {timeout} s")


def run_openssl(source, workdir):
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-keyout", key, "-out", cert], check=True, capture_output=True)
    out = os.path.join(workdir, "openssl.out")
    port = free_port()
    suite = ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"]
    # s_server stops at the end of its own stdin: give it one that stays open.
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", cert, "-key", key, "-quiet", "-naccept", "1"] + suite,
                              stdin=subprocess.PIPE, stdout=open(out, "wb"), stderr=subprocess.DEVNULL)
    wait_listening(port)
    size = os.path.getsize(source)
    start = time.perf_counter()
    client = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-quiet", "-nocommands"] + suite,
                              stdin=open(source, "rb"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while os.path.getsize(out) < size:
        if time.perf_counter() - start > 120:
            sys.exit("openssl did not deliver the file within 120 s")
        time.sleep(0.002)
    end = time.perf_counter()
    client.kill(); server.kill(); client.wait(); server.wait()
    return start, end, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    parser.add_argument("--dll", help="a securechat.dll already built in Release (default: build one)")
    args = parser.parse_args()
    if args.runs < 1 or args.size_mb < 1:
        parser.error("--runs and --size-mb must be at least 1")

    work = tempfile.mkdtemp(prefix="securechat-bench-", dir=args.dir)
    try:
        dll = os.path.abspath(args.dll) if args.dll else os.path.join(work, "bin", "securechat.dll")
        if not args.dll:
            subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "SecureChat.Cli"), "-c", "Release", "-o", os.path.dirname(dll), "-v", "q", "-nologo"],
                           check=True, capture_output=True)
        source = os.path.join(work, "source.bin")
        with open(source, "wb") as f:
            for _ in range(args.size_mb):
                f.write(os.urandom(1_000_000))
        size = os.path.getsize(source)
        digest = sha256(source)
        downloads = os.path.join(work, "downloads")
        os.mkdir(downloads)

        cpu = open("/proc/cpuinfo").read()
        model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("model name")), "?")
        print(f"machine: {os.cpu_count()} cores, {model}; {subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()}; "
              f"dotnet {subprocess.run(['dotnet', '--version'], capture_output=True, text=True).stdout.strip()}")
        print(f"file: {size / 1e6:.0f} MB in {args.dir}; {args.runs} runs of each, alternating; load average (1 min) {os.getloadavg()[0]:.2f}\n")

        rates = {"securechat": [], "securechat transfer": [], "plain TCP": [], "openssl TLS 1.3": []}

        def securechat():
            start, offered, done, path = run_securechat(dll, source, downloads)
            check(path, "securechat")
            rates["securechat"].append(size / 1e6 / (done - start))
            rates["securechat transfer"].append(size / 1e6 / (done - offered))

        def plain():
            start, end, out = run_plain(source, work)
            check(out, "plain TCP copy")
            rates["plain TCP"].append(size / 1e6 / (end - start))

        def openssl():
            start, end, out = run_openssl(source, work)
            check(out, "openssl")
            rates["openssl TLS 1.3"].append(size / 1e6 / (end - start))

        def check(path, name):
            if sha256(path) != digest:
                sys.exit(f"{name}: the received file differs")
            os.remove(path)

        methods = [securechat, plain, openssl]
        for run in range(args.runs):
            for method in methods[run % 3:] + methods[:run % 3]:
                method()

        print(f"{'':22}{'best MB/s':>10}{'median':>9}   every run (MB/s, in run order)")
        for name, values in rates.items():
            print(f"{name:22}{max(values):10.0f}{statistics.median(values):9.0f}   {' '.join(f'{v:.0f}' for v in values)}")

        def ratios(ours, theirs):
            best = max(rates[ours]) / max(rates[theirs])
            paired = statistics.median(a / b for a, b in zip(rates[ours], rates[theirs]))
            return round(best, 3), round(paired, 3)

        vs_plain, vs_openssl = ratios("securechat", "plain TCP"), ratios("securechat", "openssl TLS 1.3")
        transfer_vs_plain, transfer_vs_openssl = ratios("securechat transfer", "plain TCP"), ratios("securechat transfer", "openssl TLS 1.3")
        print(f"\n{'ratio':36}{'of the bests':>14}{'median of runs':>16}")
        for name, (best, paired) in [("securechat / plain TCP", vs_plain), ("securechat / openssl", vs_openssl),
                                     ("securechat transfer / plain TCP", transfer_vs_plain), ("securechat transfer / openssl", transfer_vs_openssl)]:
            print(f"{name:36}{best:14.2f}{paired:16.2f}")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
        best = {name: round(max(values), 1) for name, values in rates.items()}
        print(json.dumps({
            "size_mb": round(size / 1e6), "runs": args.runs,
            "securechat_MBps": best["securechat"], "securechat_transfer_MBps": best["securechat transfer"],
            "securechat_end_to_end_MBps": best["securechat"],
            "plain_tcp_MBps": best["plain TCP"], "openssl_tls13_MBps": best["openssl TLS 1.3"],
            "securechat_vs_plain": vs_plain[0], "securechat_vs_openssl": vs_openssl[0],
            "transfer_vs_plain": transfer_vs_plain[0], "transfer_vs_openssl": transfer_vs_openssl[0],
            "securechat_vs_plain_median_of_runs": vs_plain[1], "securechat_vs_openssl_median_of_runs": vs_openssl[1],
            "all_runs_MBps": {name.replace(" ", "_").replace(".", ""): [round(v, 1) for v in values] for name, values in rates.items()},
            "loadavg_1min": round(os.getloadavg()[0], 2),
        }))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
