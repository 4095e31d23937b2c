#!/usr/bin/env python3
"""Test peer that speaks the wire protocol of the "AES chat" seed programs.

The original
------------
Seed document /work/shared/seeds/002_8b7c0893d5370d4f.txt describes two Python
programs, ``Server.py`` (listens on 0.0.0.0, port 5555 or argv[1]) and
``Client.py`` (asks for IP and port), that chat over one TCP connection using
``pyaes``, ``hashlib``, ``json`` and ``datetime``; the normative wire description
is the "--compat seed-aes" section of the project's issue 4.  In detail:

* Key: ``hashlib.sha256(passphrase.encode()).digest()`` (UTF-8), used as an
  AES-256 key with ``pyaes.AES`` block by block, i.e. AES-256-ECB.  Nothing is
  exchanged before the first message; the passphrase is never checked.
* Sending (main thread, one line of ``input()`` per message; the exact line
  ``quit()`` closes the socket instead): ``timestamp = str(datetime.now())[11:19]``
  (local ``HH:MM:SS``), ``hash = sha256(text.encode('utf-8')).hexdigest()``
  (lowercase), ``json.dumps({"timestamp": ..., "message": ..., "hash": ...})``
  with Python's defaults: that key order, separators ``", "`` / ``": "``,
  ``ensure_ascii=True`` (every character outside 0x20..0x7E as ``\\uXXXX`` with
  LOWERCASE hex, surrogate pairs above U+FFFF, short escapes ``\\" \\\\ \\n \\r \\t
  \\b \\f``, ``/`` and ``~`` not escaped).  The string is cut into 16-character
  blocks, the last one padded with ``~`` (none if the length is already a
  multiple of 16), each block AES-encrypted, and the concatenation written with a
  single ``send``.  No length prefix, no delimiter.
* Receiving (a daemon thread): ``data = recv(1024)``; if ``data`` is empty the
  loop just spins (silently, forever); otherwise the data is cut into whole
  16-byte blocks (a trailing partial block is dropped), each block decrypted,
  every decrypted byte turned into ``chr(byte)`` except ``~`` bytes, which are
  deleted (so a ``~`` typed in a message is lost too), and the result passed to
  ``json.loads``; the hash of ``str(message)`` is compared with ``hash``:
  ``☑`` when equal, ``☒`` otherwise, printed with the timestamp - but only if
  ``len("Received: " + message) < 79`` (messages of 69+ characters are never
  displayed).  Any exception (bad JSON, two objects in one read, missing key,
  ...) prints "Unrecognized Data or Broken PIPE" and the loop continues.
  ``ConnectionResetError``: the server prints "Broken PIPE!" and its receive
  thread ends; the client prints "Connection Lost!" and keeps looping.
* ``quit()`` just closes the socket: no goodbye message.

Weaknesses (why this is only for interoperability tests)
--------------------------------------------------------
* ECB mode: equal 16-byte blocks give equal ciphertext; identical messages sent
  in the same second are identical on the wire; blocks can be cut, reordered and
  spliced between messages without detection.
* No MAC: the "hash" is an unkeyed SHA-256 inside the ciphertext, it detects
  nothing an attacker who can splice blocks cannot arrange; tampering is mostly
  just "Unrecognized Data".
* Key = one unsalted SHA-256 of the passphrase, and every message starts with the
  known block ``{"timestamp": "H``: offline dictionary attacks are cheap.
* No framing: messages that arrive together in one read, or split across reads,
  or exceed 1024 bytes are lost (json.loads fails); a split that is not on a
  16-byte boundary also garbles what follows.
* No replay/reorder/drop protection; the timestamp is the sender's claim.
* ``~`` characters vanish from received text (and then the hash shows ``☒``).

This peer
---------
Bytes on the wire and receive-side parsing are those of the original; the
interface is JSON lines instead of ``input()``/``print``::

    SEED_AES_PASSPHRASE=... python3 seed_aes_peer.py --role server|client \\
        --host 127.0.0.1 --port N [--send-together-count K]

stdout (one JSON object per line, flushed, ASCII only):
    {"event":"listening","port":N}                        (server, after bind)
    {"event":"connected"}
    {"event":"sent","text":T,"timestamp":TS,"json":J,"ciphertext_b64":B}
    {"event":"sent-raw","length":N}
    {"event":"received","text":T,"timestamp":TS,"verified":bool,"displayed":bool}
         text = str(message) after the '~' deletion; verified = the original's
         ☑ (true) / ☒ (false); displayed = whether the original would print it
    {"event":"error","message":M}      e.g. "Unrecognized Data or Broken PIPE: ..."
    {"event":"closed","reason":"local-exit"|"connection-closed"}
         (the original has no exit message, so "peer-exit" never occurs)
stdin (one JSON object per line; end of stdin = quit):
    {"send":"text"}        like typing the line into the original; the exact
                           text "quit()" quits (nothing is sent), like the original
    {"send_batch":["a","b",...]}
                           build each message like the original and write them
                           all with ONE sendall (not something the original does)
    {"send_raw_b64":"..."} write these raw bytes with one sendall
    {"quit":true}          close the socket, like the original's quit()

``--send-together-count K`` (default 1): every ``send`` writes K copies of its
message with ONE sendall (each built and encrypted separately, like K lines
typed in the same second - so, ECB, usually K identical ciphertexts).  The
original always writes one message per send; this is for testing receivers that
must split what arrives together.

Deviations, all outside the bytes on the wire: the passphrase comes from the
environment; the original sends with ``send`` (this peer uses ``sendall``, the
same for messages this small); when the peer closes (recv returns b"" or the
connection is reset) this peer reports ``closed`` and exits instead of spinning
or waiting for input like the original.
"""

import argparse
import base64
import hashlib
import json
import os
import socket
import sys
import threading
from datetime import datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_out_lock = threading.Lock()


def emit(obj):
    """Write one JSON event line (ASCII) and flush."""
    line = json.dumps(obj, separators=(",", ":"))
    with _out_lock:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):
            pass


class AesEcb:
    """pyaes.AES(key).encrypt/decrypt on 16-byte blocks == AES-ECB without padding."""

    def __init__(self, key):
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())

    def encrypt_block(self, block):
        enc = self._cipher.encryptor()
        return enc.update(block) + enc.finalize()

    def decrypt_block(self, block):
        dec = self._cipher.decryptor()
        return dec.update(block) + dec.finalize()


def process_text(data):
    """The original's process_text: 16-char blocks, the last padded with '~'."""
    streams = []
    while len(data) > 0:
        if len(data) >= 16:
            stream = data[:16]
            data = data[16:]
        else:
            stream = data + ("~" * (16 - len(data)))
            data = ""
        # json.dumps output is ASCII, so ord(c) < 128 and bytes() cannot fail.
        streams.append(bytes(ord(c) for c in stream))
    return streams


def process_bytes(data):
    """The original's process_bytes: whole 16-byte blocks only; the rest is dropped."""
    return [data[i:i + 16] for i in range(0, len(data) - len(data) % 16, 16)]


class Session:
    def __init__(self, sock, aes, args):
        self.sock = sock
        self.aes = aes
        self.args = args
        self._finish_lock = threading.Lock()
        self._finished = False

    def finish(self, reason, code=0):
        with self._finish_lock:
            if self._finished:
                return
            self._finished = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.aes = None
        emit({"event": "closed", "reason": reason})
        os._exit(code)

    def is_finished(self):
        with self._finish_lock:
            return self._finished

    # -- receiving (the original's myThread.run) ------------------------------
    def receive_loop(self):
        while True:
            try:
                data = self.sock.recv(1024)
            except ConnectionResetError:
                if self.is_finished():
                    return
                self.finish("connection-closed")
                return
            except OSError as e:
                if self.is_finished():
                    return
                emit({"event": "error", "message": "receive failed: %s" % e})
                self.finish("connection-closed")
                return
            if not data:
                # The original spins here forever; a test peer ends instead.
                self.finish("connection-closed")
                return
            self.handle_read(data)

    def handle_read(self, data):
        aes = self.aes
        if aes is None:
            return
        mess = ""
        for block in process_bytes(data):
            for ch in aes.decrypt_block(block):
                if chr(ch) != "~":
                    mess += chr(ch)
        try:
            recv_dict = json.loads(mess)
            timestamp = recv_dict["timestamp"]
            recv_hash = recv_dict["hash"]
            message = recv_dict["message"]
            mess_hash = hashlib.sha256(str(message).encode("utf-8")).hexdigest()
            text = str(message)
            displayed = (80 - len("Received: %s" % text) - 1) > 0
        except Exception as e:  # the original: bare except -> print, continue
            dropped = len(data) % 16
            emit({
                "event": "error",
                "message": "Unrecognized Data or Broken PIPE (read of %d bytes%s: %s: %s)" % (
                    len(data),
                    ", %d trailing byte(s) not a whole block were dropped" % dropped if dropped else "",
                    type(e).__name__,
                    e,
                ),
            })
            return
        emit({
            "event": "received",
            "text": text,
            "timestamp": timestamp,
            "verified": mess_hash == recv_hash,
            "displayed": displayed,
        })

    # -- sending (the original's main loop) ------------------------------------
    def build_message(self, text):
        timestamp = str(datetime.now())[11:19]
        mess_hash = hashlib.sha256(str(text).encode("utf-8")).hexdigest()
        send_data = {
            "timestamp": timestamp,
            "message": text,
            "hash": mess_hash,
        }
        send_json_string = json.dumps(send_data)
        ciphertext = b"".join(self.aes.encrypt_block(b) for b in process_text(send_json_string))
        return timestamp, send_json_string, ciphertext

    def send_text(self, text):
        if text == "quit()":
            self.quit()
            return
        self.send_batch([text] * self.args.send_together_count)

    def send_batch(self, texts):
        batch = []
        for text in texts:
            try:
                timestamp, js, ciphertext = self.build_message(text)
            except UnicodeEncodeError as e:  # lone surrogates: the original would crash
                emit({"event": "error", "message": "text cannot be encoded as UTF-8: %s" % e})
                return
            batch.append((text, timestamp, js, ciphertext))
        if not batch:
            return
        try:
            self.sock.sendall(b"".join(item[3] for item in batch))
        except OSError as e:
            emit({"event": "error", "message": "send failed: %s" % e})
            self.finish("connection-closed", 1)
            return
        for text, timestamp, js, ciphertext in batch:
            emit({
                "event": "sent",
                "text": text,
                "timestamp": timestamp,
                "json": js,
                "ciphertext_b64": base64.b64encode(ciphertext).decode("ascii"),
            })

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            emit({"event": "error", "message": "send failed: %s" % e})
            self.finish("connection-closed", 1)
            return
        emit({"event": "sent-raw", "length": len(data)})

    def quit(self):
        self.finish("local-exit")

    def command_loop(self):
        for raw in sys.stdin.buffer:
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as e:
                emit({"event": "error", "message": "stdin line is not UTF-8: %s" % e})
                continue
            if not line:
                continue
            try:
                cmd = json.loads(line)
                if not isinstance(cmd, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                emit({"event": "error", "message": "bad command: %s" % e})
                continue
            if "send" in cmd and isinstance(cmd["send"], str):
                self.send_text(cmd["send"])
            elif "send_batch" in cmd and isinstance(cmd["send_batch"], list) \
                    and all(isinstance(t, str) for t in cmd["send_batch"]):
                self.send_batch(cmd["send_batch"])
            elif "send_raw_b64" in cmd and isinstance(cmd["send_raw_b64"], str):
                try:
                    data = base64.b64decode(cmd["send_raw_b64"], validate=True)
                except ValueError as e:
                    emit({"event": "error", "message": "bad base64: %s" % e})
                    continue
                self.send_raw(data)
            elif cmd.get("quit"):
                self.quit()
            else:
                emit({"event": "error", "message": "unknown command: %s" % line})
        self.quit()


def main():
    parser = argparse.ArgumentParser(description="seed-aes test peer (see module docstring)")
    parser.add_argument("--role", choices=["server", "client"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5555)
    parser.add_argument("--send-together-count", type=int, default=1,
                        help="each send writes K copies of its message with one sendall (default 1)")
    args = parser.parse_args()
    if args.send_together_count < 1:
        parser.error("--send-together-count must be >= 1")

    # Raw bytes of the variable: the original hashes input().encode(), i.e. UTF-8.
    passphrase = os.environb.get(b"SEED_AES_PASSPHRASE")
    if passphrase is None:
        emit({"event": "error", "message": "SEED_AES_PASSPHRASE is not set"})
        sys.exit(2)

    try:
        if args.role == "server":
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((args.host, args.port))
            listener.listen(1)
            emit({"event": "listening", "port": listener.getsockname()[1]})
            sock, _addr = listener.accept()
            listener.close()
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.connect((args.host, args.port))
    except OSError as e:  # the original client prints 'Could Not Connect!'
        emit({"event": "error", "message": "could not connect: %s" % e})
        emit({"event": "closed", "reason": "connection-closed"})
        sys.stdout.flush()
        os._exit(1)
    emit({"event": "connected"})

    aes = AesEcb(hashlib.sha256(passphrase).digest())
    session = Session(sock, aes, args)
    receiver = threading.Thread(target=session.receive_loop, daemon=True)
    receiver.start()
    session.command_loop()


if __name__ == "__main__":
    main()
