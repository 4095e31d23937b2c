"""Shared by the bench scripts: a securechat process run with --json, and a free loopback port."""

import json, os, queue, socket, subprocess, sys, threading, time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A securechat process with --json: its stdout events, as they come, with their arrival time."""

    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, env={**os.environ, **(env or {})})
        self.q = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.p.stdout:
            if line.startswith("{"):
                self.q.put((time.perf_counter(), json.loads(line)))

    def wait(self, name, timeout=120):
        """The arrival time and body of the next event called name; a failed transfer or an error ends the bench."""
        deadline = time.monotonic() + timeout
        while True:
            t, ev = self.q.get(timeout=max(0.1, deadline - time.monotonic()))
            if ev.get("event") in ("file-failed", "error"):
                sys.exit(f"securechat: {ev}")
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
            self.p.wait()
