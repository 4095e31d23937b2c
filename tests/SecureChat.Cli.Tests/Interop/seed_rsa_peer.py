#!/usr/bin/env python3
"""Test peer that speaks the wire protocol of the "RSA chat" seed programs.

The original
------------
Seed document /work/shared/seeds/000_e4896a68eec00fcc.txt describes two Python
programs, ``server1.py`` and ``Client1.py`` (library ``cryptography``), that chat
over one TCP connection (port 12345):

* Each side makes an RSA-2048 key pair (e = 65537) when it starts.
* Key exchange: the listener ``sendall``s its public key as PEM
  SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----`` ... ``-----END PUBLIC
  KEY-----`` plus a trailing newline, 451 bytes for RSA-2048) and then reads the
  connector's key with a single ``recv(2048)``; the connector reads first (one
  ``recv(2048)``) and then sends its own.  No key is authenticated.
* A message: the UTF-8 text encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256, no
  label) under the peer's key (256 bytes), then ``sendall``; then an RSA-PSS
  signature (SHA-256, MGF1-SHA-256, salt length = maximum, i.e. 222 bytes) over
  the *plaintext* with the sender's own key (256 bytes), in a second
  ``sendall``.  There is no framing.
* The receiver thread loops ``recv(4096)`` then ``recv(256)``; an empty first
  read ends the loop; it decrypts (any exception ends the loop silently),
  verifies (any exception prints "Signature verification failed!"), and stops
  after a message whose text ``.strip().lower()`` is ``"exit"``.
* The sender stops after *sending* a message whose text ``.strip().lower()`` is
  ``"exit"``, closes the socket and "erases" the keys with ``del``.

Weaknesses (why this is only for interoperability tests)
--------------------------------------------------------
* Public keys are exchanged in the clear and never authenticated: a man in the
  middle simply substitutes its own keys.
* No framing: correctness depends on every ``recv`` returning exactly one part.
  If ciphertext and signature arrive in one read, the receiver takes 512 bytes
  as "ciphertext", uses the start of the *next* message as the "signature",
  fails to decrypt and its receive loop dies silently.  A split read does the
  same.  Bytes after the PEM in the key-exchange read are silently dropped.
* The signature is over the plaintext and travels in the clear, so anyone who
  knows the sender's (public) key can confirm a guess of the message: short or
  predictable messages are not confidential.
* No sequence numbers: within a session messages can be replayed, reordered or
  dropped undetected (fresh keys per run only stop replay into a new session).
* Messages longer than 190 UTF-8 bytes make ``encrypt`` raise; the original then
  crashes.  ``del`` does not wipe key material from memory.

This peer
---------
It reproduces the original's bytes on the wire and its receive-side behaviour,
including its failure modes, but is driven by JSON lines instead of ``input()``
and prints JSON lines instead of the original's messages::

    python3 seed_rsa_peer.py --role server|client --host 127.0.0.1 --port N
                             [--send-together] [--gap-ms MS]

stdout (one JSON object per line, flushed, ASCII only):
    {"event":"listening","port":N}                      (server, after bind)
    {"event":"connected"}
    {"event":"key-exchange-done","local_public_key_pem":PEM,"peer_key_read_b64":B}
         PEM = this peer's key exactly as sent; B = the exact bytes the single
         recv(2048) returned (the peer's PEM plus anything that came with it)
    {"event":"sent","text":T,"ciphertext_b64":B,"signature_b64":S}
    {"event":"sent-raw","length":N}
    {"event":"received","text":T,"ciphertext_b64":B,"signature_valid":bool,
     "signature_max_salt":bool}
         signature_valid = what the original shows with the installed
         cryptography (which, verifying with PSS.MAX_LENGTH, accepts any salt
         length); signature_max_salt = the signature also verifies with exactly
         the maximum salt length (222), which is what the original produces and
         what older cryptography releases demand
    {"event":"warning","message":M}
    {"event":"error","message":M}
    {"event":"closed","reason":"peer-exit"|"local-exit"|"connection-closed"}
stdin (one JSON object per line; end of stdin = quit):
    {"send":"text"}        encrypt+sign+send exactly like the original; if the
                           text .strip().lower() is "exit", close afterwards
    {"send_raw_b64":"..."} write these raw bytes with one sendall
    {"quit":true}          close the socket without sending anything (what the
                           original does when it is interrupted / hits EOF)

Options: ``--send-together`` sends ciphertext and signature with ONE sendall
(not what the original does; for testing receivers that must cope).
``--gap-ms MS`` (default 50) pauses between the two sendall calls.  The original
calls them back to back; across a real network they still arrive as two reads
(Nagle holds the second segment until the first is acknowledged, and the
receiver is woken long before that), which is the only way the original works.
On 127.0.0.1 they coalesce into one read nearly always (measured: 10 out of 10),
so by default this peer waits 50 ms to reproduce the two-read arrival the
original relies on; ``--gap-ms 0`` gives the literal back-to-back calls.  The
bytes on the wire are the same in every case.

Deviations, all outside the bytes on the wire: after the receive loop ends
because the peer closed or sent "exit", this peer closes its socket and exits
(the original's input loop would keep waiting); a message too long for OAEP is
reported as an error and nothing is sent (the original crashes there).  When
the original's receive loop dies (decrypt failure), this peer reports an error
and, like the original, keeps its socket open and keeps accepting commands, but
never reads from the socket again.
"""

import argparse
import base64
import json
import os
import socket
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PEM_END = b"-----END PUBLIC KEY-----"

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


def oaep():
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=None,
    )


def pss():
    return padding.PSS(
        mgf=padding.MGF1(hashes.SHA256()),
        salt_length=padding.PSS.MAX_LENGTH,
    )


class Session:
    def __init__(self, sock, private_key, peer_public_key, args):
        self.sock = sock
        self.private_key = private_key
        self.peer_public_key = peer_public_key
        self.args = args
        self._finish_lock = threading.Lock()
        self._finished = False
        self._send_lock = threading.Lock()

    # -- ending -------------------------------------------------------------
    def finish(self, reason, code=0):
        """Report `closed` once, close the socket, end the process."""
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
        # "Erase" the keys like the original (del); Python cannot wipe memory.
        self.private_key = None
        self.peer_public_key = None
        emit({"event": "closed", "reason": reason})
        os._exit(code)

    def is_finished(self):
        with self._finish_lock:
            return self._finished

    # -- receiving (the original's receive_messages) ------------------------
    def receive_loop(self):
        while True:
            try:
                encrypted_message = self.sock.recv(4096)
                signature = self.sock.recv(256)
            except OSError as e:
                if self.is_finished():
                    return
                emit({"event": "error", "message": "receive failed: %s" % e})
                self.finish("connection-closed")
                return

            if not encrypted_message:
                # The original's loop just breaks here.
                self.finish("connection-closed")
                return

            try:
                decrypted_message = self.private_key.decrypt(encrypted_message, oaep())
            except Exception as e:  # the original: bare except -> break, silently
                emit({
                    "event": "error",
                    "message": (
                        "decrypt failed (first read %d bytes, second read %d bytes): %s; "
                        "the original's receive loop stops here, so this peer no longer reads"
                        % (len(encrypted_message), len(signature), e or type(e).__name__)
                    ),
                })
                return

            signature_valid = True
            try:
                self.peer_public_key.verify(signature, decrypted_message, pss(), hashes.SHA256())
                # The original decodes inside the same try when printing; a decode
                # failure there is reported as a failed signature.
                decrypted_message.decode()
            except Exception:
                signature_valid = False
            # Stricter check: does the signature use exactly the maximum salt
            # length (222 bytes for RSA-2048/SHA-256), as the original produces?
            # The installed cryptography accepts any salt length under
            # PSS.MAX_LENGTH when verifying; older releases turned MAX_LENGTH
            # into that number and then accepted only that.
            signature_max_salt = True
            try:
                max_salt = padding.calculate_max_pss_salt_length(self.peer_public_key, hashes.SHA256())
                self.peer_public_key.verify(
                    signature, decrypted_message,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=max_salt),
                    hashes.SHA256())
            except Exception:
                signature_max_salt = False

            emit({
                "event": "received",
                "text": decrypted_message.decode("utf-8", errors="replace"),
                "ciphertext_b64": base64.b64encode(encrypted_message).decode("ascii"),
                "signature_valid": signature_valid,
                "signature_max_salt": signature_max_salt,
            })

            try:
                is_exit = decrypted_message.decode().strip().lower() == "exit"
            except Exception as e:  # outer bare except of the original -> break
                emit({
                    "event": "error",
                    "message": "plaintext is not UTF-8 (%s); the original's receive loop stops here" % e,
                })
                return
            if is_exit:
                self.finish("peer-exit")
                return

    # -- sending (the original's main loop) ---------------------------------
    def send_text(self, text):
        try:
            message = text.encode()
        except UnicodeEncodeError as e:
            emit({"event": "error", "message": "text cannot be encoded as UTF-8: %s" % e})
            return
        try:
            encrypted_message = self.peer_public_key.encrypt(message, oaep())
        except ValueError as e:
            emit({
                "event": "error",
                "message": "message of %d UTF-8 bytes is too long for RSA-OAEP-SHA256 (max 190); "
                           "nothing sent (the original crashes here): %s" % (len(message), e),
            })
            return
        signature = self.private_key.sign(message, pss(), hashes.SHA256())

        with self._send_lock:
            try:
                if self.args.send_together:
                    self.sock.sendall(encrypted_message + signature)
                else:
                    self.sock.sendall(encrypted_message)
                    if self.args.gap_ms > 0:
                        time.sleep(self.args.gap_ms / 1000.0)
                    self.sock.sendall(signature)
            except OSError as e:
                emit({"event": "error", "message": "send failed: %s" % e})
                self.finish("connection-closed", 1)
                return

        emit({
            "event": "sent",
            "text": text,
            "ciphertext_b64": base64.b64encode(encrypted_message).decode("ascii"),
            "signature_b64": base64.b64encode(signature).decode("ascii"),
        })

        if message.decode().strip().lower() == "exit":
            self.finish("local-exit")

    def send_raw(self, data):
        with self._send_lock:
            try:
                self.sock.sendall(data)
            except OSError as e:
                emit({"event": "error", "message": "send failed: %s" % e})
                self.finish("connection-closed", 1)
                return
        emit({"event": "sent-raw", "length": len(data)})

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
            elif "send_raw_b64" in cmd and isinstance(cmd["send_raw_b64"], str):
                try:
                    data = base64.b64decode(cmd["send_raw_b64"], validate=True)
                except ValueError as e:
                    emit({"event": "error", "message": "bad base64: %s" % e})
                    continue
                self.send_raw(data)
            elif cmd.get("quit"):
                self.finish("local-exit")
            else:
                emit({"event": "error", "message": "unknown command: %s" % line})
        # End of stdin = quit.
        self.finish("local-exit")


def load_peer_key(data):
    """The original: load_pem_public_key(recv(2048)) - trailing bytes are ignored."""
    key = serialization.load_pem_public_key(data)
    end = data.find(PEM_END)
    if end >= 0:
        rest = data[end + len(PEM_END):]
        if rest.startswith(b"\r\n"):
            rest = rest[2:]
        elif rest.startswith(b"\n"):
            rest = rest[1:]
        if rest:
            emit({
                "event": "warning",
                "message": "%d byte(s) after the PEM key in the key-exchange read were discarded "
                           "(the original drops them silently)" % len(rest),
            })
    return key


def main():
    parser = argparse.ArgumentParser(description="seed-rsa test peer (see module docstring)")
    parser.add_argument("--role", choices=["server", "client"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12345)
    parser.add_argument("--send-together", action="store_true",
                        help="send ciphertext and signature in ONE sendall (not like the original)")
    parser.add_argument("--gap-ms", type=float, default=50.0,
                        help="pause between the two sendall calls (default 50; 0 = back to back)")
    args = parser.parse_args()

    # The original makes its key pair before connecting.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_key = private_key.public_key()
    public_key_bytes = public_key.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )

    try:
        if args.role == "server":
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((args.host, args.port))
            listener.listen(1)
            emit({"event": "listening", "port": listener.getsockname()[1]})
            sock, _addr = listener.accept()
            listener.close()
            emit({"event": "connected"})
            sock.sendall(public_key_bytes)
            peer_public_key_bytes = sock.recv(2048)
            peer_public_key = load_peer_key(peer_public_key_bytes)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.connect((args.host, args.port))
            emit({"event": "connected"})
            peer_public_key_bytes = sock.recv(2048)
            peer_public_key = load_peer_key(peer_public_key_bytes)
            sock.sendall(public_key_bytes)
    except Exception as e:  # the original crashes with a traceback here
        emit({"event": "error", "message": "connection/key exchange failed: %s: %s" % (type(e).__name__, e)})
        emit({"event": "closed", "reason": "connection-closed"})
        sys.stdout.flush()
        os._exit(1)

    emit({
        "event": "key-exchange-done",
        "local_public_key_pem": public_key_bytes.decode("ascii"),
        "peer_key_read_b64": base64.b64encode(peer_public_key_bytes).decode("ascii"),
    })
    session = Session(sock, private_key, peer_public_key, args)
    receiver = threading.Thread(target=session.receive_loop, daemon=True)
    receiver.start()
    session.command_loop()


if __name__ == "__main__":
    main()
