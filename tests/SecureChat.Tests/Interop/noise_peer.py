#!/usr/bin/env python3
"""SecureChat protocol v1: an independent reference peer, written in Python.

Written from the SecureChat wire-protocol specification (issue 2, "Wire protocol" 1-5)
and the Noise Protocol Framework, revision 34 (cited below as "Noise §N"), and used
as an interop peer and as the protocol code behind make_vectors.py.  Only the
`cryptography` package provides primitives (P-256 ECDH, AES-256-GCM, SHA-256, HMAC,
PBKDF2); everything above the primitives is here.

Usage:
  python3 noise_peer.py --role initiator --host 127.0.0.1 --port N [--psk]
  python3 noise_peer.py --role responder [--host 127.0.0.1] [--port 0] [--psk]
Options: --static-key-hex HEX (32-byte P-256 scalar; default: a fresh random key),
         --payload JSON (msg2/msg3 handshake payload object),
         --handshake-timeout SECONDS (default 30).
The passphrase for --psk (XXpsk3) is read from $SECURECHAT_PASSPHRASE only.

stdout: one JSON object per line (listening / handshake / received / closed / error).
stdin, after the handshake: {"send": text} | {"send_type": N, "body_hex": hex}
                            | {"close": reason}; end of input sends CLOSE and exits 0.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import threading
import time
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

# --------------------------------------------------------------------------- constants

HELLO_MAGIC = b"SCHAT"
SCERR_MAGIC = b"SCERR"
VERSION = 0x01
PATTERN_BY_CODE = {0x01: "XX", 0x02: "XXpsk3"}
CODE_BY_PATTERN = {v: k for k, v in PATTERN_BY_CODE.items()}
SCERR_UNSUPPORTED_VERSION, SCERR_PASSPHRASE_REQUIRED = 1, 2
SCERR_NO_PASSPHRASE_EXPECTED, SCERR_BUSY, SCERR_AUTH_FAILED = 3, 4, 5

PSK_SALT_LABEL = b"SecureChat PSK v1"
PSK_ITERATIONS = 600_000
SAS_LABEL = b"SecureChat SAS"

HASHLEN = 32                # SHA-256 (Noise §12.5)
PUBLEN = 65                 # uncompressed SEC1 point 0x04 || X || Y
TAGLEN = 16                 # AES-GCM tag (Noise §12.3)
MAX_NONCE = 2**64 - 1       # reserved nonce value, used by REKEY (Noise §4.2, §5.1)
MAX_MESSAGE = 65535         # Noise §3; also the largest frame
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

T_TEXT, T_CLOSE, T_PING, T_PONG = 0x01, 0x02, 0x03, 0x04
MAX_BODY = MAX_MESSAGE - TAGLEN - 1     # 65,518: largest body after the type byte

DEFAULT_PAYLOAD = {"software": "python-peer/1"}

# Handshake patterns: XX (Noise §7.5) and its psk3 variant (Noise §9.4: "psk" appended
# to the third message pattern).  No pre-messages.
PATTERNS = {
    "XX": (("e",), ("e", "ee", "s", "es"), ("s", "se")),
    "XXpsk3": (("e",), ("e", "ee", "s", "es"), ("s", "se", "psk")),
}


def protocol_name(pattern: str) -> bytes:
    """Noise §8: Noise_<pattern>_<DH>_<cipher>_<hash>."""
    return f"Noise_{pattern}_P256_AESGCM_SHA256".encode("ascii")


class PeerError(Exception):
    """A failure reported as {"event":"error","code":code,"scerr":scerr,...}."""

    def __init__(self, code: str, message: str, scerr: int | None = None):
        super().__init__(message)
        self.code, self.message, self.scerr = code, message, scerr


class DecryptError(Exception):
    """AEAD authentication failure (Noise §4.2 DECRYPT signals an error)."""


# --------------------------------------------------------------------------- crypto functions

def sha256(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SHA256())
    h.update(data)
    return h.finalize()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-HASH (Noise §4.3, RFC 2104)."""
    m = hmac.HMAC(key, hashes.SHA256())
    m.update(data)
    return m.finalize()


def hkdf(chaining_key: bytes, ikm: bytes, num_outputs: int) -> tuple[bytes, ...]:
    """HKDF(chaining_key, input_key_material, num_outputs), Noise §4.3."""
    temp_key = hmac_sha256(chaining_key, ikm)
    output1 = hmac_sha256(temp_key, b"\x01")
    output2 = hmac_sha256(temp_key, output1 + b"\x02")
    if num_outputs == 2:
        return output1, output2
    output3 = hmac_sha256(temp_key, output2 + b"\x03")
    return output1, output2, output3


class KeyPair:
    """A P-256 key pair; public_key is the 65-byte uncompressed SEC1 encoding."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey):
        self.private_key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    @classmethod
    def generate(cls) -> "KeyPair":
        """GENERATE_KEYPAIR() (Noise §4.1)."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_scalar(cls, scalar: bytes) -> "KeyPair":
        value = int.from_bytes(scalar, "big")
        if len(scalar) != 32 or not 1 <= value < P256_ORDER:
            raise ValueError("a P-256 private key is a 32-byte scalar in [1, n-1]")
        return cls(ec.derive_private_key(value, ec.SECP256R1()))


def parse_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """Spec §3: a key that is not a valid uncompressed P-256 point aborts the handshake."""
    if len(data) != PUBLEN or data[0] != 0x04:
        raise PeerError("protocol", "peer public key is not an uncompressed P-256 point")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError:
        raise PeerError("protocol", "peer public key is not a point on P-256") from None


def dh(key_pair: KeyPair, public_key: bytes) -> bytes:
    """DH(key_pair, public_key) (Noise §4.1): the 32-byte X coordinate of the shared point."""
    return key_pair.private_key.exchange(ec.ECDH(), parse_public_key(public_key))


def _nonce(n: int) -> bytes:
    """Noise §12.3 AESGCM: 32 bits of zeros, then the 64-bit big-endian counter n."""
    return b"\x00" * 4 + n.to_bytes(8, "big")


def encrypt(k: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
    """ENCRYPT(k, n, ad, plaintext) (Noise §4.2, §12.3): ciphertext || 16-byte tag."""
    return AESGCM(k).encrypt(_nonce(n), plaintext, ad)


def decrypt(k: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:
    """DECRYPT(k, n, ad, ciphertext) (Noise §4.2)."""
    try:
        return AESGCM(k).decrypt(_nonce(n), ciphertext, ad)
    except InvalidTag:
        raise DecryptError("authentication tag mismatch") from None


def rekey(k: bytes) -> bytes:
    """REKEY(k), the default of Noise §4.2: first 32 bytes of ENCRYPT(k, maxnonce, zerolen, zeros)."""
    return encrypt(k, MAX_NONCE, b"", bytes(32))[:32]


# --------------------------------------------------------------------------- Noise §5 objects

class CipherState:
    """Noise §5.1."""

    def __init__(self, key: bytes | None = None):
        self.initialize_key(key)

    def initialize_key(self, key: bytes | None) -> None:
        self.k, self.n = key, 0

    def has_key(self) -> bool:
        return self.k is not None

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return plaintext
        if self.n >= MAX_NONCE:
            raise PeerError("protocol", "nonce exhausted")
        ciphertext = encrypt(self.k, self.n, ad, plaintext)
        self.n += 1
        return ciphertext

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        """On an authentication failure n is not incremented (Noise §5.1)."""
        if self.k is None:
            return ciphertext
        if self.n >= MAX_NONCE:
            raise PeerError("protocol", "nonce exhausted")
        plaintext = decrypt(self.k, self.n, ad, ciphertext)
        self.n += 1
        return plaintext

    def rekey(self) -> None:
        """Rekey(): k = REKEY(k); n is left unchanged (Noise §5.1, §11.3)."""
        self.k = rekey(self.k)


class SymmetricState:
    """Noise §5.2."""

    def __init__(self, protocol: bytes):
        # InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded, else hashed.
        self.h = protocol.ljust(HASHLEN, b"\x00") if len(protocol) <= HASHLEN else sha256(protocol)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, ikm: bytes) -> None:
        self.ck, temp_k = hkdf(self.ck, ikm, 2)
        self.cipher.initialize_key(temp_k)      # HASHLEN = 32: no truncation needed

    def mix_hash(self, data: bytes) -> None:
        self.h = sha256(self.h + data)

    def mix_key_and_hash(self, ikm: bytes) -> None:
        self.ck, temp_h, temp_k = hkdf(self.ck, ikm, 3)
        self.mix_hash(temp_h)
        self.cipher.initialize_key(temp_k)

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ciphertext = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ciphertext)
        return ciphertext

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        plaintext = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return plaintext

    def split(self) -> tuple[CipherState, CipherState]:
        temp_k1, temp_k2 = hkdf(self.ck, b"", 2)
        return CipherState(temp_k1), CipherState(temp_k2)


class HandshakeState:
    """Noise §5.3, with the PSK rules of Noise §9.2.

    `e` fixes the ephemeral key (test vectors only).  `psk_fn(init_e_pub, resp_e_pub)`
    returns the 32-byte psk; it is called when the "psk" token is processed, by which
    time both ephemeral keys are known (the SecureChat salt needs both).
    """

    def __init__(self, pattern: str, initiator: bool, prologue: bytes, s: KeyPair,
                 e: KeyPair | None = None, psk_fn=None):
        self.pattern, self.initiator = pattern, initiator
        self.message_patterns = PATTERNS[pattern]
        self.psk_mode = any("psk" in m for m in self.message_patterns)
        self.symmetric = SymmetricState(protocol_name(pattern))
        self.symmetric.mix_hash(prologue)
        self.s, self.e, self.rs, self.re = s, None, None, None
        self.fixed_e, self.psk_fn, self.psk = e, psk_fn, None
        self.index = 0
        self.complete = False
        self.handshake_hash = None
        self.send_cipher = self.recv_cipher = None

    def _check_turn(self, writing: bool) -> tuple[str, ...]:
        if self.complete:
            raise RuntimeError("handshake already complete")
        if ((self.index % 2 == 0) == self.initiator) != writing:
            raise RuntimeError("not this side's turn")
        tokens = self.message_patterns[self.index]
        self.index += 1
        return tokens

    def _mix_ephemeral(self, public_key: bytes) -> None:
        self.symmetric.mix_hash(public_key)
        if self.psk_mode:                       # Noise §9.2: "e" also calls MixKey(e.public_key)
            self.symmetric.mix_key(public_key)

    def _dh_token(self, token: str) -> None:
        # Noise §5.3: "ee" DH(e, re); "es" initiator DH(e, rs), responder DH(s, re);
        # "se" initiator DH(s, re), responder DH(e, rs).
        if token == "ee":
            out = dh(self.e, self.re)
        elif token == "es":
            out = dh(self.e, self.rs) if self.initiator else dh(self.s, self.re)
        elif token == "se":
            out = dh(self.s, self.re) if self.initiator else dh(self.e, self.rs)
        else:
            raise RuntimeError(f"unsupported token {token}")
        self.symmetric.mix_key(out)

    def _psk_token(self) -> None:
        init_e, resp_e = (self.e.public_key, self.re) if self.initiator else (self.re, self.e.public_key)
        self.psk = self.psk_fn(init_e, resp_e)
        if len(self.psk) != 32:                 # Noise §9.1: a psk is 32 bytes
            raise ValueError("psk must be 32 bytes")
        self.symmetric.mix_key_and_hash(self.psk)   # Noise §9.2

    def write_message(self, payload: bytes) -> bytes:
        """WriteMessage (Noise §5.3)."""
        out = bytearray()
        for token in self._check_turn(writing=True):
            if token == "e":
                self.e = self.fixed_e or KeyPair.generate()
                out += self.e.public_key
                self._mix_ephemeral(self.e.public_key)
            elif token == "s":
                out += self.symmetric.encrypt_and_hash(self.s.public_key)
            elif token == "psk":
                self._psk_token()
            else:
                self._dh_token(token)
        out += self.symmetric.encrypt_and_hash(payload)
        if len(out) > MAX_MESSAGE:
            raise ValueError("handshake message longer than 65535 bytes")
        self._maybe_split()
        return bytes(out)

    def read_message(self, message: bytes) -> bytes:
        """ReadMessage (Noise §5.3).  Raises DecryptError or PeerError."""
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            if len(message) - pos < n:
                raise PeerError("protocol", f"handshake message {self.index} is too short")
            pos += n
            return message[pos - n:pos]

        for token in self._check_turn(writing=False):
            if token == "e":
                self.re = take(PUBLEN)
                parse_public_key(self.re)       # validate before use: abort on a bad point
                self._mix_ephemeral(self.re)
            elif token == "s":
                length = PUBLEN + (TAGLEN if self.symmetric.cipher.has_key() else 0)
                self.rs = self.symmetric.decrypt_and_hash(take(length))
                parse_public_key(self.rs)
            elif token == "psk":
                self._psk_token()
            else:
                self._dh_token(token)
        if self.symmetric.cipher.has_key() and len(message) - pos < TAGLEN:
            raise PeerError("protocol", f"handshake message {self.index} is too short")
        payload = self.symmetric.decrypt_and_hash(message[pos:])
        self._maybe_split()
        return payload

    def _maybe_split(self) -> None:
        """After the last message: Split(); the initiator sends with the first CipherState."""
        if self.index < len(self.message_patterns):
            return
        c1, c2 = self.symmetric.split()
        self.handshake_hash = self.symmetric.h
        self.send_cipher, self.recv_cipher = (c1, c2) if self.initiator else (c2, c1)
        self.symmetric = None                   # drop ck, h and the handshake key
        self.e = None
        self.complete = True


class Transport:
    """Spec §4: each transport message is AES-GCM (empty ad) of type || body, and the
    CipherState just used is rekeyed after every message (Noise §11.3 Rekey())."""

    def __init__(self, send_cipher: CipherState, recv_cipher: CipherState):
        self.send_cipher, self.recv_cipher = send_cipher, recv_cipher

    def seal(self, msg_type: int, body: bytes) -> bytes:
        ciphertext = self.send_cipher.encrypt_with_ad(b"", bytes([msg_type]) + body)
        self.send_cipher.rekey()
        return ciphertext

    def open(self, ciphertext: bytes) -> tuple[int, bytes]:
        plaintext = self.recv_cipher.decrypt_with_ad(b"", ciphertext)   # DecryptError
        self.recv_cipher.rekey()
        if not plaintext:
            raise PeerError("protocol", "transport message without a type byte")
        return plaintext[0], plaintext[1:]


# --------------------------------------------------------------------------- SecureChat helpers

def derive_psk(passphrase: str, init_e_pub: bytes, resp_e_pub: bytes) -> bytes:
    """Spec §3: PBKDF2-HMAC-SHA256(NFC(passphrase) as UTF-8, salt, 600000, 32)."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    salt = PSK_SALT_LABEL + init_e_pub + resp_e_pub
    return PBKDF2HMAC(hashes.SHA256(), 32, salt, PSK_ITERATIONS).derive(secret)


def fingerprint(public_key: bytes) -> str:
    """Spec §5: "SHA256:" + unpadded base64 of SHA-256(65-byte public key)."""
    return "SHA256:" + base64.b64encode(sha256(public_key)).decode("ascii").rstrip("=")


def session_code(handshake_hash: bytes) -> str:
    """Spec §5: first 5 bytes of SHA-256("SecureChat SAS" || h), big-endian, mod 10^12."""
    v = int.from_bytes(sha256(SAS_LABEL + handshake_hash)[:5], "big") % 10**12
    digits = f"{v:012d}"
    return f"{digits[0:4]} {digits[4:8]} {digits[8:12]}"


def hello_bytes(pattern: str) -> bytes:
    """Spec §2: "SCHAT", version 0x01, pattern code.  Also the Noise prologue (spec §3)."""
    return HELLO_MAGIC + bytes([VERSION, CODE_BY_PATTERN[pattern]])


def scerr_meaning(code: int) -> tuple[str, str]:
    """Spec §2: what an SCERR code means to the initiator's user."""
    return {
        SCERR_UNSUPPORTED_VERSION: ("refused", "the server does not support protocol version 1"),
        SCERR_PASSPHRASE_REQUIRED: ("refused", "the server requires a passphrase: use --psk"),
        SCERR_NO_PASSPHRASE_EXPECTED: ("refused", "the server does not expect a passphrase: run without --psk"),
        SCERR_BUSY: ("refused", "the server is busy"),
        SCERR_AUTH_FAILED: ("auth-failed", "authentication failed: wrong passphrase?"),
    }.get(code, ("refused", f"the server refused the session (code {code})"))


def scerr_error(frame: bytes) -> PeerError:
    if len(frame) < 6:
        return PeerError("protocol", "truncated SCERR frame")
    code = frame[5]
    kind, meaning = scerr_meaning(code)
    reason = frame[6:].decode("utf-8", errors="replace")
    return PeerError(kind, f"{meaning} (server said: {reason!r})", scerr=code)


def parse_payload(payload: bytes) -> dict:
    """Spec §3: msg2/msg3 payloads are UTF-8 JSON objects; unknown fields are ignored."""
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PeerError("protocol", "handshake payload is not UTF-8 JSON") from None
    if not isinstance(obj, dict):
        raise PeerError("protocol", "handshake payload is not a JSON object")
    return obj


# --------------------------------------------------------------------------- framing (spec §1)

def send_frame(sock: socket.socket, data: bytes) -> None:
    if not 1 <= len(data) <= MAX_MESSAGE:
        raise ValueError("frame length must be 1..65535")
    sock.sendall(len(data).to_bytes(2, "big") + data)


def _recv_exact(sock: socket.socket, n: int, started: bool) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            raise PeerError("connection-lost", "timed out waiting for the peer") from None
        except OSError as exc:
            raise PeerError("connection-lost", f"connection error: {exc}") from None
        if not chunk:
            if not started and not buf:
                return None                     # clean end at a frame boundary
            raise PeerError("protocol", "the stream ended inside a frame")
        buf += chunk
    return bytes(buf)


def read_frame(sock: socket.socket) -> bytes | None:
    """One frame, or None when the peer closed the stream at a frame boundary."""
    header = _recv_exact(sock, 2, started=False)
    if header is None:
        return None
    length = int.from_bytes(header, "big")
    if length == 0:
        raise PeerError("protocol", "zero-length frame")
    return _recv_exact(sock, length, started=True)


def linger_close(sock: socket.socket, timeout: float = 2.0) -> None:
    """Half-close, then drain until the peer closes, so that a last frame is not lost to a RST."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and sock.recv(4096):
            pass
    except OSError:
        pass
    sock.close()


# --------------------------------------------------------------------------- output

_out_lock = threading.Lock()


def emit(event: dict) -> None:
    with _out_lock:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()


def terminate(code: int, event: dict | None = None) -> None:
    """Print a last event and exit the whole process (any thread may call it)."""
    _out_lock.acquire()                         # never released: the first caller wins
    if event is not None:
        sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()
    os._exit(code)


def fail(err: PeerError) -> None:
    terminate(1, {"event": "error", "code": err.code, "scerr": err.scerr, "message": err.message})


# --------------------------------------------------------------------------- handshake drivers

def run_initiator(args, static: KeyPair, payload: bytes) -> tuple[socket.socket, HandshakeState, dict]:
    pattern = "XXpsk3" if args.psk else "XX"
    try:
        sock = socket.create_connection((args.host, args.port), timeout=args.handshake_timeout)
    except OSError as exc:
        raise PeerError("connection-lost", f"cannot connect: {exc}") from None
    hello = hello_bytes(pattern)
    hs = HandshakeState(pattern, True, hello, static,
                        psk_fn=(lambda ie, re: derive_psk(args.passphrase, ie, re)) if args.psk else None)
    try:
        send_frame(sock, hello)                             # spec §2: hello, then msg1 at once
        send_frame(sock, hs.write_message(b""))             # msg1 "-> e", empty payload
        frame = read_frame(sock)
        if frame is None:
            raise PeerError("connection-lost", "the server closed the connection during the handshake")
        if frame.startswith(SCERR_MAGIC):
            raise scerr_error(frame)
        try:
            peer_payload = parse_payload(hs.read_message(frame))   # msg2 "<- e, ee, s, es"
        except DecryptError:
            raise PeerError("integrity", "handshake message 2 failed authentication") from None
        send_frame(sock, hs.write_message(payload))         # msg3 "-> s, se[, psk]"
    except OSError as exc:
        raise PeerError("connection-lost", f"connection error: {exc}") from None
    return sock, hs, peer_payload


def refuse(sock: socket.socket, code: int, reason: str) -> PeerError:
    """Spec §2: one plaintext SCERR frame, then close."""
    try:
        send_frame(sock, SCERR_MAGIC + bytes([code]) + reason.encode("utf-8"))
    except OSError:
        pass
    linger_close(sock)
    kind = "auth-failed" if code == SCERR_AUTH_FAILED else "refused"
    return PeerError(kind, f"refused the initiator: {reason}", scerr=code)


def run_responder(args, static: KeyPair, payload: bytes) -> tuple[socket.socket, HandshakeState, dict]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(1)
    emit({"event": "listening", "port": listener.getsockname()[1]})
    sock, _ = listener.accept()
    listener.close()
    sock.settimeout(args.handshake_timeout)
    try:
        hello = read_frame(sock)
        if hello is None:
            raise PeerError("connection-lost", "the initiator closed the connection before the hello")
        if not hello.startswith(HELLO_MAGIC) or len(hello) < 6:
            raise PeerError("protocol", "the first frame is not a SecureChat hello")
        if hello[5] != VERSION:
            raise refuse(sock, SCERR_UNSUPPORTED_VERSION, f"unsupported protocol version {hello[5]}")
        if len(hello) != 7:
            raise PeerError("protocol", "the hello frame is not 7 bytes long")
        pattern = PATTERN_BY_CODE.get(hello[6])
        if pattern is None:
            raise refuse(sock, SCERR_UNSUPPORTED_VERSION, f"unsupported handshake pattern {hello[6]}")
        if args.psk and pattern != "XXpsk3":
            raise refuse(sock, SCERR_PASSPHRASE_REQUIRED, "passphrase required")
        if not args.psk and pattern == "XXpsk3":
            raise refuse(sock, SCERR_NO_PASSPHRASE_EXPECTED, "no passphrase expected")
        hs = HandshakeState(pattern, False, hello, static,
                            psk_fn=(lambda ie, re: derive_psk(args.passphrase, ie, re)) if args.psk else None)
        frame = read_frame(sock)
        if frame is None:
            raise PeerError("connection-lost", "the initiator closed the connection during the handshake")
        try:
            if hs.read_message(frame) != b"":                # msg1; payload must be empty
                raise PeerError("protocol", "handshake message 1 has a non-empty payload")
        except DecryptError:
            raise PeerError("integrity", "handshake message 1 failed authentication") from None
        send_frame(sock, hs.write_message(payload))         # msg2
        frame = read_frame(sock)
        if frame is None:
            raise PeerError("connection-lost", "the initiator closed the connection during the handshake")
        try:
            peer_payload = parse_payload(hs.read_message(frame))   # msg3
        except DecryptError:
            if args.psk:                                    # spec §3: wrong passphrase -> SCERR 5
                raise refuse(sock, SCERR_AUTH_FAILED, "authentication failed") from None
            raise PeerError("integrity", "handshake message 3 failed authentication") from None
    except OSError as exc:
        raise PeerError("connection-lost", f"connection error: {exc}") from None
    return sock, hs, peer_payload


# --------------------------------------------------------------------------- transport phase

class Session:
    def __init__(self, sock: socket.socket, transport: Transport):
        self.sock, self.transport = sock, transport
        self.send_lock = threading.Lock()
        self.closing = False                    # we have sent CLOSE

    def send(self, msg_type: int, body: bytes) -> None:
        with self.send_lock:
            if self.closing:
                return
            send_frame(self.sock, self.transport.seal(msg_type, body))
            if msg_type == T_CLOSE:
                self.closing = True
                try:
                    self.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    def receive_loop(self) -> None:
        first = True
        while True:
            try:
                frame = read_frame(self.sock)
            except PeerError:
                if self.closing:
                    terminate(0)
                raise
            if frame is None:
                if self.closing:
                    terminate(0)                # the peer hung up after our CLOSE
                raise PeerError("connection-lost", "the connection closed without a CLOSE message")
            try:
                msg_type, body = self.transport.open(frame)
            except DecryptError:
                if first and frame.startswith(SCERR_MAGIC):
                    raise scerr_error(frame) from None   # e.g. SCERR 5 after a wrong passphrase
                if self.closing:
                    terminate(0)
                self.try_close("integrity failure")
                raise PeerError("integrity", "a transport message failed authentication") from None
            first = False
            self.dispatch(msg_type, body)

    def dispatch(self, msg_type: int, body: bytes) -> None:
        if msg_type == T_TEXT:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                self.try_close("protocol error")
                raise PeerError("protocol", "TEXT is not valid UTF-8") from None
            emit({"event": "received", "text": text})
        elif msg_type == T_CLOSE:
            terminate(0, {"event": "closed", "reason": body.decode("utf-8", errors="replace")})
        elif msg_type == T_PING:
            if len(body) != 8:
                self.try_close("protocol error")
                raise PeerError("protocol", "PING body is not 8 bytes")
            try:
                self.send(T_PONG, body)
            except OSError as exc:
                raise PeerError("connection-lost", f"connection error: {exc}") from None
        # T_PONG and unknown authenticated types are ignored (spec §4).

    def try_close(self, reason: str) -> None:
        """After a peer fault, try to tell the peer with an encrypted CLOSE."""
        try:
            self.send(T_CLOSE, reason.encode("utf-8"))
        except (OSError, PeerError):
            pass
        linger_close(self.sock, timeout=1.0)


def stdin_loop(session: Session) -> None:
    while not session.closing:
        raw = sys.stdin.buffer.readline()
        if not raw:
            try:
                session.send(T_CLOSE, b"")      # end of input: CLOSE with an empty reason
            except OSError:
                pass
            break
        if not raw.strip():
            continue
        try:
            cmd = json.loads(raw)
            if not isinstance(cmd, dict):
                raise ValueError("not a JSON object")
            if "send" in cmd:
                msg_type, body = T_TEXT, str(cmd["send"]).encode("utf-8")
            elif "send_type" in cmd:
                msg_type, body = int(cmd["send_type"]), bytes.fromhex(cmd.get("body_hex", ""))
                if not 0 <= msg_type <= 255:
                    raise ValueError("send_type must be 0..255")
            elif "close" in cmd:
                msg_type, body = T_CLOSE, str(cmd["close"]).encode("utf-8")
            else:
                raise ValueError("unknown command")
            if len(body) > MAX_BODY:
                raise ValueError(f"body longer than {MAX_BODY} bytes")
        except (ValueError, TypeError, UnicodeError) as exc:
            print(f"noise_peer: ignoring stdin line {raw!r}: {exc}", file=sys.stderr, flush=True)
            continue
        try:
            session.send(msg_type, body)
        except OSError as exc:
            fail(PeerError("connection-lost", f"connection error: {exc}"))
    time.sleep(5)                               # the receive loop exits when the peer hangs up
    terminate(0)


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description="SecureChat protocol v1 reference peer")
    parser.add_argument("--role", choices=("initiator", "responder"), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--psk", action="store_true", help="XXpsk3; passphrase from $SECURECHAT_PASSPHRASE")
    parser.add_argument("--static-key-hex", help="32-byte P-256 private scalar (default: fresh random key)")
    parser.add_argument("--payload", help="JSON object sent as the msg2/msg3 handshake payload")
    parser.add_argument("--handshake-timeout", type=float, default=30.0)
    args = parser.parse_args()
    if args.port is None:
        if args.role == "initiator":
            parser.error("--port is required for the initiator")
        args.port = 0
    args.passphrase = os.environ.get("SECURECHAT_PASSPHRASE")
    if args.psk and args.passphrase is None:
        parser.error("--psk needs the passphrase in $SECURECHAT_PASSPHRASE")
    try:
        static = KeyPair.from_scalar(bytes.fromhex(args.static_key_hex)) if args.static_key_hex \
            else KeyPair.generate()
        payload_obj = json.loads(args.payload) if args.payload else DEFAULT_PAYLOAD
        if not isinstance(payload_obj, dict):
            raise ValueError("--payload must be a JSON object")
    except ValueError as exc:
        parser.error(str(exc))
    payload = json.dumps(payload_obj, separators=(",", ":")).encode("utf-8")

    try:
        driver = run_initiator if args.role == "initiator" else run_responder
        sock, hs, peer_payload = driver(args, static, payload)
        sock.settimeout(None)
        emit({"event": "handshake", "h": hs.handshake_hash.hex(), "sas": session_code(hs.handshake_hash),
              "fingerprint": fingerprint(static.public_key), "peer_fingerprint": fingerprint(hs.rs),
              "peer_payload": peer_payload})
        session = Session(sock, Transport(hs.send_cipher, hs.recv_cipher))
        threading.Thread(target=stdin_loop, args=(session,), daemon=True).start()
        session.receive_loop()
    except PeerError as err:
        fail(err)


if __name__ == "__main__":
    main()
