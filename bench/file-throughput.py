#!/usr/bin/env python3
"""Copies one file over loopback with securechat (/send, default protocol, a fresh key per
64 KiB frame) and, in the same run, with OpenSSL TLS 1.3 (openssl s_server / s_client,
TLS_AES_256_GCM_SHA384), and prints both rates.

    python3 bench/file-throughput.py [--size-mb 1000] [--runs 3] [--dir /dev/shm]

--dir is where the source and received files live (default /dev/shm: memory, so the disk does not
bound either side; pass a disk directory to include it). MB = 10^6 bytes.
securechat figures: "transfer" = from the receiver's file-offer to its file-done (FILE_ACCEPT,
every FILE_DATA frame, the receiver's SHA-256 and rename); "end to end" adds the sender's SHA-256
pass over the file before it can offer it. OpenSSL: from starting s_client to the server having
written every byte (no hashing; the received copy is checked with sha256sum afterwards).
"""
import argparse, hashlib, json, os, queue, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class Proc:
    """A securechat process with --json: its stdout events, as they come, with their arrival time."""

    def __init__(self, dll, args):
        self.p = subprocess.Popen(["dotnet", dll] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        self.q = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            if line.startswith("{"):
                self.q.put((time.perf_counter(), json.loads(line)))

    def wait(self, name, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            t, ev = self.q.get(timeout=max(0.1, deadline - time.monotonic()))
            if ev.get("event") == "file-failed":
                sys.exit(f"transfer failed: {ev}")
            if ev.get("event") == "error":
                sys.exit(f"securechat error: {ev}")
            if ev.get("event") == name:
                return t, ev

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def stop(self):
        try:
            self.send("exit")
            self.p.wait(10)
        except Exception:
            self.p.kill()


def run_securechat(dll, source, downloads):
    for name in os.listdir(downloads):
        os.remove(os.path.join(downloads, name))
    listener = Proc(dll, ["listen", "--bind", "127.0.0.1", "--port", "0", "--ephemeral", "--json", "--accept-files", downloads])
    port = listener.wait("listening")[1]["port"]
    client = Proc(dll, ["connect", f"127.0.0.1:{port}", "--ephemeral", "--json"])
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
    time.sleep(0.5)
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
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="securechat-bench-", dir=args.dir)
    try:
        build = os.path.join(work, "bin")
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "SecureChat.Cli"), "-c", "Release", "-o", build, "-v", "q", "-nologo"],
                       check=True, capture_output=True)
        dll = os.path.join(build, "securechat.dll")
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
        print(f"file: {size / 1e6:.0f} MB in {args.dir}; {args.runs} runs each, interleaved\n")

        rates = {"securechat transfer": [], "securechat end to end": [], "openssl TLS 1.3": []}
        for run in range(args.runs):
            start, offered, done, path = run_securechat(dll, source, downloads)
            if sha256(path) != digest:
                sys.exit("securechat: the received file differs")
            rates["securechat transfer"].append(size / 1e6 / (done - offered))
            rates["securechat end to end"].append(size / 1e6 / (done - start))
            os.remove(path)
            start, end, out = run_openssl(source, work)
            if sha256(out) != digest:
                sys.exit("openssl: the received file differs")
            rates["openssl TLS 1.3"].append(size / 1e6 / (end - start))
            os.remove(out)

        print(f"{'':28}{'best MB/s':>10}{'median MB/s':>13}")
        for name, values in rates.items():
            print(f"{name:28}{max(values):10.0f}{statistics.median(values):13.0f}")
        ratio = statistics.median(rates["securechat transfer"]) / statistics.median(rates["openssl TLS 1.3"])
        print(f"\nsecurechat transfer / openssl (medians): {ratio:.2f}")
        print(json.dumps({"size_mb": round(size / 1e6), "securechat_transfer_MBps": round(statistics.median(rates["securechat transfer"])),
                          "securechat_end_to_end_MBps": round(statistics.median(rates["securechat end to end"])),
                          "openssl_tls13_MBps": round(statistics.median(rates["openssl TLS 1.3"])), "ratio": round(ratio, 2)}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
