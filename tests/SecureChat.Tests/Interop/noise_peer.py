#!/usr/bin/env python3
"""SecureChat protocol v1: an independent reference peer in Python, for interop tests and vectors.

Written from the SecureChat wire-protocol specification (issue 2, "Wire protocol" 1-5) and the Noise
Protocol Framework revision 34 ("Noise §N" below); `cryptography` supplies only the primitives.
  python3 noise_peer.py --role initiator --host 127.0.0.1 --port N [--psk] [--static-key-hex HEX]
  python3 noise_peer.py --role responder [--host 127.0.0.1] [--port 0] [--psk] [--static-key-hex HEX]
The --psk passphrase comes from $SECURECHAT_PASSPHRASE only.  stdout: one JSON event per line; stdin
after the handshake: {"send": text} | {"send_type": N, "body_hex": hex} | {"close": reason}.
"""

from __future__ import annotations

import argparse, base64, contextlib, json, os, socket, sys, threading, time, unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

HELLO_MAGIC, SCERR_MAGIC, VERSION = b"SCHAT", b"SCERR", 0x01
PATTERN_BY_CODE = {0x01: "XX", 0x02: "XXpsk3"}
CODE_BY_PATTERN = {v: k for k, v in PATTERN_BY_CODE.items()}
SCERR_VERSION, SCERR_PSK_REQUIRED, SCERR_NO_PSK, SCERR_BUSY, SCERR_AUTH = 1, 2, 3, 4, 5
PSK_SALT_LABEL, PSK_ITERATIONS, SAS_LABEL = b"SecureChat PSK v1", 600_000, b"SecureChat SAS"
HASHLEN, PUBLEN, TAGLEN = 32, 65, 16    # SHA-256; uncompressed SEC1 point; AES-GCM tag
MAX_NONCE = 2**64 - 1                   # reserved nonce, used only by REKEY (Noise §5.1, §4.2)
MAX_MESSAGE = 65535                     # Noise §3; also the largest frame (spec §1)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
T_TEXT, T_CLOSE, T_PING, T_PONG = 0x01, 0x02, 0x03, 0x04
MAX_BODY = MAX_MESSAGE - TAGLEN - 1     # 65,518 bytes after the type byte
PAYLOAD = b'{"software":"python-peer/1"}'    # msg2/msg3 payload: a UTF-8 JSON object
HANDSHAKE_TIMEOUT = 30.0                # seconds, generous: PBKDF2 with 600,000 iterations is slow

# XX (Noise §7.5) and XXpsk3 (Noise §9.4: "psk" appended to the third message).  No pre-messages.
PATTERNS = {
    "XX": (("e",), ("e", "ee", "s", "es"), ("s", "se")),
    "XXpsk3": (("e",), ("e", "ee", "s", "es"), ("s", "se", "psk")),
}

def protocol_name(pattern: str) -> bytes:
    return f"Noise_{pattern}_P256_AESGCM_SHA256".encode("ascii")     # Noise §8

class PeerError(Exception):
    """A failure reported as {"event":"error","code":code,"scerr":scerr,"message":message}."""

    def __init__(self, code: str, message: str, scerr: int | None = None):
        super().__init__(message)
        self.code, self.message, self.scerr = code, message, scerr

# ------------------------------------------------------------------ crypto functions (Noise §4, §12)

def sha256(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()

def hmac_sha256(key: bytes, data: bytes) -> bytes:                  # HMAC-HASH, Noise §4.3
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()

def hkdf(chaining_key: bytes, ikm: bytes, num_outputs: int) -> tuple[bytes, ...]:
    """HKDF(chaining_key, input_key_material, num_outputs), Noise §4.3."""
    temp_key = hmac_sha256(chaining_key, ikm)
    output1 = hmac_sha256(temp_key, b"\x01")
    output2 = hmac_sha256(temp_key, output1 + b"\x02")
    if num_outputs == 2:
        return output1, output2
    return output1, output2, hmac_sha256(temp_key, output2 + b"\x03")

class KeyPair:
    """A P-256 key pair; public_key is the 65-byte uncompressed SEC1 point 0x04 || X || Y."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey):
        self.private_key = private_key
        self.public_key = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    @classmethod
    def generate(cls) -> "KeyPair":                                 # GENERATE_KEYPAIR(), Noise §4.1
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_scalar(cls, scalar: bytes) -> "KeyPair":
        value = int.from_bytes(scalar, "big")
        if len(scalar) != 32 or not 1 <= value < P256_ORDER:
            raise ValueError("a P-256 private key is a 32-byte scalar in [1, n-1]")
        return cls(ec.derive_private_key(value, ec.SECP256R1()))

def parse_public_key(data: bytes) -> ec.EllipticCurvePublicKey:
    """Spec §3: a public key that is not a valid uncompressed P-256 point aborts the handshake."""
    try:
        if len(data) != PUBLEN or data[0] != 0x04:
            raise ValueError
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError:
        raise PeerError("protocol", "peer public key is not a valid uncompressed P-256 point") from None

def dh(key_pair: KeyPair, public_key: bytes) -> bytes:
    """DH() (Noise §4.1): the 32-byte big-endian X coordinate of the shared point."""
    return key_pair.private_key.exchange(ec.ECDH(), parse_public_key(public_key))

def encrypt(k: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
    """ENCRYPT() for AESGCM (Noise §12.3): nonce = 4 zero bytes || 64-bit big-endian n."""
    return AESGCM(k).encrypt(bytes(4) + n.to_bytes(8, "big"), plaintext, ad)

def decrypt(k: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:    # raises InvalidTag
    return AESGCM(k).decrypt(bytes(4) + n.to_bytes(8, "big"), ciphertext, ad)

def rekey(k: bytes) -> bytes:
    """Default REKEY(k) (Noise §4.2): the first 32 bytes of ENCRYPT(k, maxnonce, zerolen, zeros)."""
    return encrypt(k, MAX_NONCE, b"", bytes(32))[:32]

# ------------------------------------------------------------------ Noise §5 processing rules

class CipherState:
    """Noise §5.1: key k (None when empty) and nonce n; CipherState(key) is InitializeKey(key)."""

    def __init__(self, key: bytes | None = None):
        self.k, self.n = key, 0

    def _nonce(self) -> int:
        if self.n >= MAX_NONCE:
            raise PeerError("protocol", "nonce exhausted")
        return self.n

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return plaintext
        ciphertext = encrypt(self.k, self._nonce(), ad, plaintext)
        self.n += 1
        return ciphertext

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        if self.k is None:
            return ciphertext
        plaintext = decrypt(self.k, self._nonce(), ad, ciphertext)  # InvalidTag: n is unchanged
        self.n += 1
        return plaintext

    def rekey(self) -> None:
        """Rekey() (Noise §5.1, §11.3): k = REKEY(k); n is left as it is."""
        self.k = rekey(self.k)

class SymmetricState:
    """Noise §5.2: a CipherState plus the chaining key ck and the handshake hash h."""

    def __init__(self, protocol: bytes):                          # InitializeSymmetric()
        self.h = protocol.ljust(HASHLEN, b"\x00") if len(protocol) <= HASHLEN else sha256(protocol)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, ikm: bytes) -> None:
        self.ck, temp_k = hkdf(self.ck, ikm, 2)
        self.cipher = CipherState(temp_k)                          # HASHLEN 32: no truncation

    def mix_hash(self, data: bytes) -> None:
        self.h = sha256(self.h + data)

    def mix_key_and_hash(self, ikm: bytes) -> None:
        self.ck, temp_h, temp_k = hkdf(self.ck, ikm, 3)
        self.mix_hash(temp_h)
        self.cipher = CipherState(temp_k)

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
    """Noise §5.3 with the PSK rules of Noise §9.  `e` fixes the ephemeral key (test vectors only);
    psk_fn(init_e_pub, resp_e_pub) gives the psk when the "psk" token comes, when both are known."""

    def __init__(self, pattern: str, initiator: bool, prologue: bytes, s: KeyPair,
                 e: KeyPair | None = None, psk_fn=None):
        self.initiator, self.message_patterns = initiator, PATTERNS[pattern]
        self.psk_mode = any("psk" in m for m in self.message_patterns)
        self.symmetric = SymmetricState(protocol_name(pattern))
        self.symmetric.mix_hash(prologue)
        self.s, self.e, self.rs, self.re = s, None, None, None
        self.fixed_e, self.psk_fn, self.psk = e, psk_fn, None
        self.index, self.complete = 0, False
        self.handshake_hash = self.send_cipher = self.recv_cipher = None

    def _next_pattern(self, writing: bool) -> tuple[str, ...]:
        if self.complete or ((self.index % 2 == 0) == self.initiator) != writing:
            raise RuntimeError("handshake message out of turn")
        self.index += 1
        return self.message_patterns[self.index - 1]

    def _mix_e(self, public_key: bytes) -> None:
        self.symmetric.mix_hash(public_key)
        if self.psk_mode:                       # Noise §9.2: in PSK mode "e" also MixKey(e.public_key)
            self.symmetric.mix_key(public_key)

    def _token(self, token: str) -> None:
        """The DH tokens (Noise §5.3) and "psk" (Noise §9.2: MixKeyAndHash(psk))."""
        if token == "ee":
            self.symmetric.mix_key(dh(self.e, self.re))
        elif token == "es":                     # initiator DH(e, rs), responder DH(s, re)
            self.symmetric.mix_key(dh(self.e, self.rs) if self.initiator else dh(self.s, self.re))
        elif token == "se":                     # initiator DH(s, re), responder DH(e, rs)
            self.symmetric.mix_key(dh(self.s, self.re) if self.initiator else dh(self.e, self.rs))
        elif token == "psk":
            mine, theirs = self.e.public_key, self.re
            self.psk = self.psk_fn(*((mine, theirs) if self.initiator else (theirs, mine)))
            if len(self.psk) != 32:
                raise ValueError("a psk is 32 bytes (Noise §9.1)")
            self.symmetric.mix_key_and_hash(self.psk)
        else:
            raise RuntimeError(f"unsupported token {token}")

    def write_message(self, payload: bytes) -> bytes:
        """WriteMessage(payload) (Noise §5.3)."""
        out = bytearray()
        for token in self._next_pattern(writing=True):
            if token == "e":
                self.e = self.fixed_e or KeyPair.generate()
                out += self.e.public_key
                self._mix_e(self.e.public_key)
            elif token == "s":
                out += self.symmetric.encrypt_and_hash(self.s.public_key)
            else:
                self._token(token)
        out += self.symmetric.encrypt_and_hash(payload)
        if len(out) > MAX_MESSAGE:
            raise ValueError("handshake message longer than 65535 bytes")
        self._finish()
        return bytes(out)

    def read_message(self, message: bytes) -> bytes:
        """ReadMessage(message) (Noise §5.3); raises InvalidTag or PeerError."""
        pos = 0

        def take(n: int) -> bytes:
            nonlocal pos
            if len(message) - pos < n:
                raise PeerError("protocol", f"handshake message {self.index} is too short")
            pos += n
            return message[pos - n:pos]

        for token in self._next_pattern(writing=False):
            if token == "e":
                self.re = take(PUBLEN)
                parse_public_key(self.re)       # reject a bad point before using it
                self._mix_e(self.re)
            elif token == "s":
                self.rs = self.symmetric.decrypt_and_hash(
                    take(PUBLEN + (TAGLEN if self.symmetric.cipher.k else 0)))
                parse_public_key(self.rs)
            else:
                self._token(token)
        if self.symmetric.cipher.k and len(message) - pos < TAGLEN:
            raise PeerError("protocol", f"handshake message {self.index} is too short")
        payload = self.symmetric.decrypt_and_hash(message[pos:])
        self._finish()
        return payload

    def _finish(self) -> None:
        """After the last message, Split(): the initiator sends with the first CipherState."""
        if self.index < len(self.message_patterns):
            return
        c1, c2 = self.symmetric.split()
        self.handshake_hash = self.symmetric.h
        self.send_cipher, self.recv_cipher = (c1, c2) if self.initiator else (c2, c1)
        self.symmetric, self.e, self.complete = None, None, True   # drop ck, h, k and e

class Transport:
    """Spec §4: a transport message is AES-GCM (empty ad) of type || body; the CipherState just
    used is rekeyed after every message (Noise §11.3), by the sender and by the receiver."""

    def __init__(self, send_cipher: CipherState, recv_cipher: CipherState):
        self.send_cipher, self.recv_cipher = send_cipher, recv_cipher

    def seal(self, msg_type: int, body: bytes) -> bytes:
        ciphertext = self.send_cipher.encrypt_with_ad(b"", bytes([msg_type]) + body)
        self.send_cipher.rekey()
        return ciphertext

    def open(self, ciphertext: bytes) -> tuple[int, bytes]:
        plaintext = self.recv_cipher.decrypt_with_ad(b"", ciphertext)     # InvalidTag
        self.recv_cipher.rekey()
        if not plaintext:
            raise PeerError("protocol", "transport message without a type byte")
        return plaintext[0], plaintext[1:]

# ------------------------------------------------------------------ SecureChat specifics (spec §2, §3, §5)

def derive_psk(passphrase: str, init_e_pub: bytes, resp_e_pub: bytes) -> bytes:
    """PBKDF2-HMAC-SHA256(UTF-8 of NFC(passphrase), "SecureChat PSK v1" || ei || er, 600000, 32)."""
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return PBKDF2HMAC(hashes.SHA256(), 32, PSK_SALT_LABEL + init_e_pub + resp_e_pub,
                      PSK_ITERATIONS).derive(secret)

def fingerprint(public_key: bytes) -> str:
    return "SHA256:" + base64.b64encode(sha256(public_key)).decode("ascii").rstrip("=")

def session_code(handshake_hash: bytes) -> str:
    v = int.from_bytes(sha256(SAS_LABEL + handshake_hash)[:5], "big") % 10**12
    digits = f"{v:012d}"
    return f"{digits[0:4]} {digits[4:8]} {digits[8:12]}"

def hello_bytes(pattern: str) -> bytes:
    """The hello frame, which is also the Noise prologue."""
    return HELLO_MAGIC + bytes([VERSION, CODE_BY_PATTERN[pattern]])

SCERR_MEANING = {
    SCERR_VERSION: ("refused", "the server does not support protocol version 1"),
    SCERR_PSK_REQUIRED: ("refused", "the server requires a passphrase: use --psk"),
    SCERR_NO_PSK: ("refused", "the server does not expect a passphrase: run without --psk"),
    SCERR_BUSY: ("refused", "the server is busy"),
    SCERR_AUTH: ("auth-failed", "authentication failed: wrong passphrase?"),
}

def scerr_error(frame: bytes) -> PeerError:
    if len(frame) < 6:
        return PeerError("protocol", "truncated SCERR frame")
    code = frame[5]
    kind, meaning = SCERR_MEANING.get(code, ("refused", f"the server refused (code {code})"))
    reason = frame[6:].decode("utf-8", errors="replace")
    return PeerError(kind, f"{meaning} (server said: {reason!r})", scerr=code)

def parse_payload(payload: bytes) -> dict:
    """msg2/msg3 payloads are UTF-8 JSON objects; unknown fields are ignored."""
    with contextlib.suppress(ValueError):       # includes UnicodeDecodeError
        obj = json.loads(payload.decode("utf-8"))
        if isinstance(obj, dict):
            return obj
    raise PeerError("protocol", "handshake payload is not a UTF-8 JSON object")

# ------------------------------------------------------------------ framing (spec §1)

def send_frame(sock: socket.socket, data: bytes) -> None:
    if not 1 <= len(data) <= MAX_MESSAGE:
        raise ValueError("frame length must be 1..65535")
    sock.sendall(len(data).to_bytes(2, "big") + data)

def read_frame(rfile, eof_error: PeerError | None = None) -> bytes | None:
    """The next frame from a buffered socket reader; at a clean end of stream between frames,
    raise eof_error or return None.  Socket errors and timeouts propagate as OSError."""
    header = rfile.read(2)
    if not header:
        if eof_error:
            raise eof_error
        return None
    length = int.from_bytes(header, "big") if len(header) == 2 else -1
    if length == 0:
        raise PeerError("protocol", "zero-length frame")
    data = rfile.read(length) if length > 0 else b""
    if len(data) != length:
        raise PeerError("protocol", "the stream ended inside a frame")
    return data

def linger_close(sock: socket.socket, timeout: float = 2.0) -> None:
    """Half-close, then drain until the peer closes, so that our last frame is not lost to a RST."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and sock.recv(65536):
            pass
    sock.close()

# ------------------------------------------------------------------ output

_out_lock = threading.Lock()

def emit(event: dict | None, exit_code: int | None = None) -> None:
    """Print one event line; with exit_code, end the process (any thread; the first exit wins)."""
    _out_lock.acquire()
    if event is not None:
        sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()
    if exit_code is not None:
        os._exit(exit_code)                     # the lock stays held: nothing is printed after this
    _out_lock.release()

def fail(err: PeerError) -> None:
    emit({"event": "error", "code": err.code, "scerr": err.scerr, "message": err.message}, 1)

# ------------------------------------------------------------------ handshake over TCP (spec §2, §3)

def _psk_fn(args):
    return (lambda ei, er: derive_psk(args.passphrase, ei, er)) if args.psk else None

def run_initiator(args, static: KeyPair, payload: bytes):
    pattern = "XXpsk3" if args.psk else "XX"
    try:
        sock = socket.create_connection((args.host, args.port), timeout=HANDSHAKE_TIMEOUT)
    except OSError as exc:
        raise PeerError("connection-lost", f"cannot connect: {exc}") from None
    rfile, hello = sock.makefile("rb"), hello_bytes(pattern)
    hs = HandshakeState(pattern, True, hello, static, psk_fn=_psk_fn(args))
    send_frame(sock, hello)                                 # the hello, then msg1 without waiting
    send_frame(sock, hs.write_message(b""))                 # msg1 -> e (empty payload)
    frame = read_frame(rfile, PeerError("connection-lost", "the server closed the connection"))
    if frame.startswith(SCERR_MAGIC):
        raise scerr_error(frame)
    try:
        peer_payload = parse_payload(hs.read_message(frame))    # msg2 <- e, ee, s, es
    except InvalidTag:
        raise PeerError("integrity", "handshake message 2 failed authentication") from None
    send_frame(sock, hs.write_message(payload))             # msg3 -> s, se [, psk]
    return sock, rfile, hs, peer_payload

def refuse(sock: socket.socket, code: int, reason: str) -> PeerError:
    """One plaintext frame "SCERR" || code || UTF-8 reason, then close."""
    with contextlib.suppress(OSError):
        send_frame(sock, SCERR_MAGIC + bytes([code]) + reason.encode("utf-8"))
    linger_close(sock)
    return PeerError("auth-failed" if code == SCERR_AUTH else "refused",
                     f"refused the initiator: {reason}", scerr=code)

def run_responder(args, static: KeyPair, payload: bytes):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(1)
    emit({"event": "listening", "port": listener.getsockname()[1]})
    sock, _ = listener.accept()
    listener.close()
    sock.settimeout(HANDSHAKE_TIMEOUT)
    rfile = sock.makefile("rb")
    lost = PeerError("connection-lost", "the initiator closed the connection during the handshake")
    hello = read_frame(rfile, lost)
    if not hello.startswith(HELLO_MAGIC) or len(hello) < 6:
        raise PeerError("protocol", "the first frame is not a SecureChat hello")
    if hello[5] != VERSION:
        raise refuse(sock, SCERR_VERSION, f"unsupported protocol version {hello[5]}")
    if len(hello) != 7:
        raise PeerError("protocol", "the hello frame is not 7 bytes long")
    pattern = PATTERN_BY_CODE.get(hello[6])
    if pattern is None:
        raise refuse(sock, SCERR_VERSION, f"unsupported handshake pattern {hello[6]}")
    if args.psk and pattern != "XXpsk3":
        raise refuse(sock, SCERR_PSK_REQUIRED, "passphrase required")
    if not args.psk and pattern == "XXpsk3":
        raise refuse(sock, SCERR_NO_PSK, "no passphrase expected")
    hs = HandshakeState(pattern, False, hello, static, psk_fn=_psk_fn(args))
    frame = read_frame(rfile, lost)
    try:
        if hs.read_message(frame) != b"":                    # msg1: its payload is empty
            raise PeerError("protocol", "handshake message 1 has a non-empty payload")
    except InvalidTag:
        raise PeerError("integrity", "handshake message 1 failed authentication") from None
    send_frame(sock, hs.write_message(payload))             # msg2
    frame = read_frame(rfile, lost)
    try:
        peer_payload = parse_payload(hs.read_message(frame))    # msg3
    except InvalidTag:
        if args.psk:                                        # wrong passphrase: SCERR 5
            raise refuse(sock, SCERR_AUTH, "authentication failed") from None
        raise PeerError("integrity", "handshake message 3 failed authentication") from None
    return sock, rfile, hs, peer_payload

# ------------------------------------------------------------------ transport phase (spec §4)

class Session:
    def __init__(self, sock: socket.socket, rfile, transport: Transport):
        self.sock, self.rfile, self.transport = sock, rfile, transport
        self.send_lock = threading.Lock()
        self.closing = False                                # we have sent CLOSE

    def send(self, msg_type: int, body: bytes) -> None:
        with self.send_lock:
            if self.closing:
                return
            # Mark the close before the frame leaves: the peer may hang up before the next line runs,
            # and the receive loop must then see a clean end, not a lost connection.
            self.closing = msg_type == T_CLOSE
            send_frame(self.sock, self.transport.seal(msg_type, body))
            if msg_type == T_CLOSE:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_WR)

    def abort(self, err: PeerError) -> None:
        """After a peer fault: try to tell the peer with an encrypted CLOSE, then fail."""
        with contextlib.suppress(OSError, PeerError):
            self.send(T_CLOSE, err.code.encode("ascii"))
        linger_close(self.sock, timeout=1.0)
        fail(err)

    def receive_loop(self) -> None:
        first, lost = True, PeerError("connection-lost", "the connection closed without a CLOSE message")
        while True:
            frame = b""
            try:
                frame = read_frame(self.rfile, lost)
                msg_type, body = self.transport.open(frame)
            except (PeerError, OSError, InvalidTag) as exc:
                if first and isinstance(exc, InvalidTag) and frame.startswith(SCERR_MAGIC):
                    raise scerr_error(frame) from None      # e.g. SCERR 5 after a wrong passphrase
                if self.closing:
                    emit(None, 0)                           # after our CLOSE, any end is a clean end
                if isinstance(exc, InvalidTag):
                    self.abort(PeerError("integrity", "a transport message failed authentication"))
                raise
            first = False
            if msg_type == T_TEXT:
                try:
                    emit({"event": "received", "text": body.decode("utf-8")})
                except UnicodeDecodeError:
                    self.abort(PeerError("protocol", "TEXT is not valid UTF-8"))
            elif msg_type == T_CLOSE:
                emit({"event": "closed", "reason": body.decode("utf-8", errors="replace")}, 0)
            elif msg_type == T_PING:
                if len(body) != 8:
                    self.abort(PeerError("protocol", "PING body is not 8 bytes"))
                self.send(T_PONG, body)
            elif 0x10 <= msg_type <= 0x1F:                  # file transfer (PROTOCOL.md §4.1): reported raw
                emit({"event": "file-message", "type": msg_type, "body_hex": body.hex()})
            # PONG and unknown authenticated types are ignored.

def parse_command(raw: bytes) -> tuple[int, bytes]:
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
    return msg_type, body

def stdin_loop(session: Session) -> None:
    while not session.closing:
        raw = sys.stdin.buffer.readline()
        if not raw:
            msg_type, body = T_CLOSE, b""                   # end of input: CLOSE, empty reason
        elif not raw.strip():
            continue
        else:
            try:
                msg_type, body = parse_command(raw)
            except (ValueError, TypeError, UnicodeError) as exc:
                print(f"noise_peer: ignoring stdin line {raw[:80]!r}: {exc}", file=sys.stderr, flush=True)
                continue
        try:
            session.send(msg_type, body)
        except OSError as exc:
            fail(PeerError("connection-lost", f"connection error: {exc}"))
    time.sleep(5)                               # receive_loop exits as soon as the peer hangs up
    emit(None, 0)

def main() -> None:
    parser = argparse.ArgumentParser(description="SecureChat protocol v1 reference peer")
    parser.add_argument("--role", choices=("initiator", "responder"), required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--psk", action="store_true", help="XXpsk3; passphrase in $SECURECHAT_PASSPHRASE")
    parser.add_argument("--static-key-hex", help="32-byte P-256 private scalar (default: fresh key)")
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
    except ValueError as exc:
        parser.error(f"--static-key-hex: {exc}")
    try:
        driver = run_initiator if args.role == "initiator" else run_responder
        sock, rfile, hs, peer_payload = driver(args, static, PAYLOAD)
        sock.settimeout(None)
        emit({"event": "handshake", "h": hs.handshake_hash.hex(), "sas": session_code(hs.handshake_hash),
              "fingerprint": fingerprint(static.public_key), "peer_fingerprint": fingerprint(hs.rs),
              "peer_payload": peer_payload})
        session = Session(sock, rfile, Transport(hs.send_cipher, hs.recv_cipher))
        threading.Thread(target=stdin_loop, args=(session,), daemon=True).start()
        session.receive_loop()
    except PeerError as err:
        fail(err)
    except OSError as exc:                      # includes timeouts
        fail(PeerError("connection-lost", f"connection error: {exc}"))

if __name__ == "__main__":
    main()
