#!/usr/bin/env python3
"""Runs one command on a pseudo-terminal, as a user at a terminal would (PtyProcess.cs drives it).

The child is a session leader whose controlling terminal is the pty's slave side (so it can open
/dev/tty), with stdin on the slave and stdout/stderr on the slave unless --stdout/--stderr name a
file to redirect them to. The window is 80x24.

Commands, one JSON object per line on this driver's stdin:
  {"op": "type", "text": "..."}   write the text to the terminal, as keystrokes
  {"op": "termios"}               report the terminal's mode now
End of stdin kills the child's process group.

Events, one JSON object per line on stdout:
  {"event": "started", "pid": N}
  {"event": "output", "text": "..."}          what the child wrote to the terminal (UTF-8, as it came)
  {"event": "termios", "mode": {...}}         the mode, and whether it equals the mode at the start
  {"event": "exited", "code": N, "mode": {...}}  after the child exited and its output was drained
A child killed by signal S exits with code -S.
"""

import argparse
import codecs
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios

ROWS, COLS = 24, 80


def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def mode(fd, initial):
    """The flags that make a terminal 'cooked' or 'raw', and whether everything is as it was at the start."""
    attributes = termios.tcgetattr(fd)
    iflag, oflag, _cflag, lflag = attributes[0], attributes[1], attributes[2], attributes[3]
    return {
        "icanon": bool(lflag & termios.ICANON),
        "echo": bool(lflag & termios.ECHO),
        "isig": bool(lflag & termios.ISIG),
        "iexten": bool(lflag & termios.IEXTEN),
        "icrnl": bool(iflag & termios.ICRNL),
        "opost": bool(oflag & termios.OPOST),
        "as_at_start": attributes == initial,
    }


def make_controlling_terminal():
    # Runs in the child after setsid (start_new_session) and after stdin became the slave.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # A program started from a terminal has the default Ctrl+C and Ctrl+\ handling, however this
    # driver was started: a test runner launched in the background (`cmd &` without job control,
    # nohup in a script) passes SIGINT and SIGQUIT down IGNORED, and Ctrl+C would then do nothing.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stdout", help="redirect the child's stdout to this file")
    parser.add_argument("--stderr", help="redirect the child's stderr to this file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    initial = termios.tcgetattr(slave)
    out = open(args.stdout, "wb") if args.stdout else slave
    err = open(args.stderr, "wb") if args.stderr else slave
    files = [f for f in (out, err) if f is not slave]
    child = subprocess.Popen(
        command,
        stdin=slave,
        stdout=out,
        stderr=err,
        close_fds=True,
        start_new_session=True,
        preexec_fn=make_controlling_terminal,
    )
    for f in files:
        f.close()
    emit({"event": "started", "pid": child.pid})

    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    stdin = sys.stdin.fileno()
    pending = b""
    commands_open = True

    def pump_output(timeout):
        """Reads what the terminal has: "data", "idle" (nothing within the timeout), or "end" (EIO once no slave is open)."""
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return "idle"
        try:
            data = os.read(master, 65536)
        except OSError:
            return "end"
        if not data:
            return "end"
        text = decoder.decode(data)
        if text:
            emit({"event": "output", "text": text})
        return "data"

    while child.poll() is None:
        watched = [master] + ([stdin] if commands_open else [])
        ready, _, _ = select.select(watched, [], [], 0.1)
        if master in ready:
            pump_output(0)
        if stdin in ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                commands_open = False
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                continue
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.strip():
                    continue
                request = json.loads(line)
                if request["op"] == "type":
                    os.write(master, request["text"].encode("utf-8"))
                elif request["op"] == "termios":
                    emit({"event": "termios", "mode": mode(slave, initial)})

    # The child is gone: its mode is what it left behind. Then close the last slave descriptor, so
    # the master reads what is still buffered and then EIO.
    final = mode(slave, initial)
    os.close(slave)
    while pump_output(5) == "data":
        pass
    tail = decoder.decode(b"", final=True)
    if tail:
        emit({"event": "output", "text": tail})
    emit({"event": "exited", "code": child.returncode, "mode": final})
    os.close(master)


if __name__ == "__main__":
    main()
