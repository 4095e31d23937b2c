#!/usr/bin/env python3
"""The relay's memory per idle connection (issue 13): one `securechat relay --exempt 127.0.0.0/8`,
first --waiters waiting nameplates, then --pairs idle pairs (paired, no byte sent) besides them;
the relay's resident memory (VmRSS) before, after the waiters and after the pairs, and the growth
per waiter and per idle pair (targets <= 10 KiB per waiter, <= 20 KiB per idle pair).

    python3 bench/relay-capacity.py [--waiters 9000] [--pairs 4500] [--workers 4]

The load generator is split over --workers processes (asyncio each; every client socket is one
descriptor, and the open-file hard limit is ~20,000 per process), each holding its share of the
waiters and of both ends of its pairs. At most --window connections per worker are opening at once
(the relay refuses more than 2,000 connections without a first frame). Before the baseline, a
warm-up of 200 pairs opened and closed runs every path once. KiB = 1024 bytes.
"""
import argparse, asyncio, json, multiprocessing, os, resource, struct, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src", "SecureChat.Cli", "bin", "Release", "net10.0", "securechat")


async def control(reader, writer, obj):
    """Sends one control frame (u16 BE length, kind 0x10, JSON) and reads the answer."""
    body = json.dumps(obj, separators=(",", ":")).encode()
    writer.write(struct.pack(">HB", len(body) + 1, 0x10) + body)
    await writer.drain()
    return await read_control(reader)


async def read_control(reader):
    (n,) = struct.unpack(">H", await reader.readexactly(2))
    return json.loads((await reader.readexactly(n))[1:])


async def allocate(port, held):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    held.append((reader, writer))
    reply = await control(reader, writer, {"op": "allocate"})
    if reply.get("status") != "allocated":
        raise RuntimeError(f"allocate: {reply}")
    return reader, reply["nameplate"]


async def waiter(port, held, gate):
    async with gate:
        await allocate(port, held)


async def pair(port, held, gate):
    async with gate:  # the whole pair, so that waiters do not pile up ahead of their joiners
        w_reader, nameplate = await allocate(port, held)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        held.append((reader, writer))
        reply = await control(reader, writer, {"op": "claim", "nameplate": nameplate})
        if reply.get("status") != "paired" or (await read_control(w_reader)).get("status") != "paired":
            raise RuntimeError(f"claim: {reply}")


def worker(port, window, conn):
    """Runs the commands the coordinator sends: ("waiters", n), ("pairs", n), ("close",), ("exit",)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def run():
        held = []
        gate = asyncio.Semaphore(window)
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, conn.recv)
            try:
                if command[0] == "waiters":
                    await asyncio.gather(*(waiter(port, held, gate) for _ in range(command[1])))
                elif command[0] == "pairs":
                    await asyncio.gather(*(pair(port, held, gate) for _ in range(command[1])))
                elif command[0] == "close":
                    for _, writer in held:
                        writer.close()
                    held.clear()
                else:
                    return
                conn.send("ok")
            except Exception as e:  # report, do not hang the coordinator
                conn.send(f"error: {e!r}")

    asyncio.run(run())


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waiters", type=int, default=9000)
    parser.add_argument("--pairs", type=int, default=4500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before reading RSS")
    args = parser.parse_args()

    subprocess.run(["dotnet", "build", os.path.join(ROOT, "src", "SecureChat.Cli"), "-c", "Release", "-v", "q", "-nologo"],
                   check=True, capture_output=True)
    home = tempfile.mkdtemp(prefix="securechat-capacity-")
    relay = subprocess.Popen([CLI, "relay", "--bind", "127.0.0.1", "--port", "0", "--exempt", "127.0.0.0/8", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "SECURECHAT_HOME": home})
    started = json.loads(relay.stdout.readline())
    assert started["event"] == "relay_started", started
    # Drain the relay's events so its stdout never blocks it.
    threading.Thread(target=lambda: [None for _ in relay.stdout], daemon=True).start()
    port = started["port"]

    pipes, procs = [], []
    for _ in range(args.workers):
        here, there = multiprocessing.Pipe()
        p = multiprocessing.Process(target=worker, args=(port, args.window, there), daemon=True)
        p.start()
        pipes.append(here)
        procs.append(p)

    def everyone(command, total):
        shares = [total // args.workers + (1 if i < total % args.workers else 0) for i in range(args.workers)]
        start = time.monotonic()
        for pipe, share in zip(pipes, shares):
            pipe.send((command, share))
        for pipe in pipes:
            answer = pipe.recv()
            if answer != "ok":
                sys.exit(f"{command}: {answer}")
        return time.monotonic() - start

    def settled_rss():
        time.sleep(args.settle)
        return rss_kib(relay.pid)

    try:
        print(f"relay: connection_cap {started['connection_cap']}, max_waiting {started['max_waiting']}, max_pairs {started['max_pairs']}; "
              f"{args.workers} load processes; load average {os.getloadavg()[0]:.2f}")
        everyone("pairs", 200)
        everyone("close", 0)
        base = settled_rss()
        t_waiters = everyone("waiters", args.waiters)
        after_waiters = settled_rss()
        t_pairs = everyone("pairs", args.pairs)
        after_pairs = settled_rss()
        per_waiter = (after_waiters - base) / args.waiters if args.waiters else 0
        per_pair = (after_pairs - after_waiters) / args.pairs if args.pairs else 0
        load = os.getloadavg()[0]
        print(f"\n{'relay RSS':40}{'MiB':>10}")
        print(f"{'baseline (after warm-up)':40}{base / 1024:>10.1f}")
        print(f"{f'+ {args.waiters} waiters ({t_waiters:.1f} s to open)':40}{after_waiters / 1024:>10.1f}")
        print(f"{f'+ {args.pairs} idle pairs ({t_pairs:.1f} s to open)':40}{after_pairs / 1024:>10.1f}")
        print(f"\nper waiter:    {per_waiter:6.2f} KiB (target <= 10)  {'met' if per_waiter <= 10 else 'MISSED'}")
        print(f"per idle pair: {per_pair:6.2f} KiB (target <= 20)  {'met' if per_pair <= 20 else 'MISSED'}")
        print(f"load average (1 min): {load:.2f}")
        print(json.dumps({"waiters": args.waiters, "pairs": args.pairs, "rss_base_kib": base, "rss_waiters_kib": after_waiters,
                          "rss_pairs_kib": after_pairs, "kib_per_waiter": round(per_waiter, 2), "kib_per_pair": round(per_pair, 2),
                          "load": round(load, 2)}))
        everyone("close", 0)
    finally:
        for pipe in pipes:
            try:
                pipe.send(("exit",))
            except OSError:
                pass
        relay.terminate()
        try:
            relay.wait(40)
        except subprocess.TimeoutExpired:
            relay.kill()


if __name__ == "__main__":
    main()
