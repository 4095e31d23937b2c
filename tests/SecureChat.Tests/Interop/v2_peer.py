#!/usr/bin/env python3
"""SecureChat wire protocol v2: an independent peer in Python, for interop tests.

Written from issue 12, "Wire protocol v2 - exact" (cited as "spec §N"), the Noise Protocol Framework
revision 34 ("Noise §N"), the Noise "Hybrid Forward Secrecy" extension (tokens f/ff) and
draft-irtf-cfrg-cpace (CPace-RISTR255-SHA512).  `cryptography` (>= 46, for ML-KEM-768) supplies
X25519, ML-KEM-768, AES-GCM, SHA-2 and HMAC; ristretto255 comes from the system libsodium (ctypes).
It shares no code with the C# implementation.

Command lines
  python3 v2_peer.py --self-test
      Noise core against cacophony (XX, XXpsk3 over 25519) and the two hybrid vectors (ML-KEM key
      pair from init_kem_seed via cryptography's from_seed_bytes; cryptography has no deterministic
      Encaps, so the responder takes the vector's ciphertext and cryptography's Decaps gives the
      shared secret: its message 2 must still match byte for byte), CPace against the draft's ristretto255 vectors (vectors/ beside this
      script), X25519 rules against Wycheproof (../Vectors/data/wycheproof/x25519_test.json).
      One JSON line with the counts; exit 0 only if everything passed.
  python3 v2_peer.py --role responder [--host 127.0.0.1] [--port 0] [--mode xx|psk] [--channel DIGITS]
                     [--identity-seed HEX] [--refuse-code N] [--refuse-after-msg3 N]
  python3 v2_peer.py --role initiator --host H --port P [--mode xx|psk] [--channel DIGITS]
                     [--identity-seed HEX] [--send-v1-hello] [--hello-version N]
  In psk mode the passphrase comes from $SECURECHAT_PASSPHRASE only (never from argv).

Manual two-peer test (run from this folder; the responder prints the port in its "listening" event):
  python3 v2_peer.py --role responder --port 0 &            # -> {"event":"listening","port":P}
  echo '{"cmd":"send","text":"hi"}' | python3 v2_peer.py --role initiator --host 127.0.0.1 --port P
  SECURECHAT_PASSPHRASE=pw python3 v2_peer.py --role responder --mode psk --port 0 &
  echo '{"cmd":"close"}' | SECURECHAT_PASSPHRASE=pw python3 v2_peer.py --role initiator --mode psk --port P
  Wrong passphrase: the responder sends REFUSE 5, both sides print {"event":"refused","code":5,...}
  and exit 3.  `python3 v2_peer.py --smoke` runs exactly these pairs (and v1 hello, refusals)
  on loopback and prints one JSON line with the results.

Wire layout implemented (frame = u16 BE length || kind || payload; "||" is concatenation):
  HELLO     kind 0x01: "SCHAT" 0x02 mode (mode 0x01 XX, 0x02 PSK); these 7 bytes are the prologue
  msg1      kind 0x02: e (32) || EncryptAndHash(ek 1184) || EncryptAndHash(P1)
            P1 = XX: commit (32);  PSK: sid (16) || Ya (32) || commit (32)
            commit = SHA-256("SecureChat/2 SAS commit" || n_i)
            XX: ek and P1 in clear (no key yet): 32+1184+32 = 1248 bytes
            PSK: e also MixKey(e), so ek and P1 are sealed: 32+1200+96 = 1328 bytes
  msg2      kind 0x02: e (32) || EncryptAndHash(ct 1088) || [ee, ff=MixKey(ss)] || EncryptAndHash(s) (48)
            || [es] || EncryptAndHash(P2);  P2 = XX: n_r (16) || JSON;  PSK: Yb (32) || n_r (16) || JSON
            (ct in clear in XX, sealed (1104) in PSK)
  msg3      kind 0x02: EncryptAndHash(s) (48) || [se] || [PSK: MixKeyAndHash(psk)] || EncryptAndHash(n_i (16) || JSON)
  REFUSE    kind 0x04: code (1) || UTF-8 reason (<= 200 bytes)
  TRANSPORT kind 0x03: AESGCM(k, n, ad="", type || body), then Rekey() of that direction (n not reset);
            the responder's first one is READY (type 0x05, empty body)
  The `f` tokens never call MixKey (also not in PSK mode): only EncryptAndHash; `ff` = MixKey(ss).
  SAS = first 8 bytes of SHA-256("SecureChat/2 SAS" || e_i || e_r || n_i || n_r), BE, mod 10^12.
  psk = SHA-256("SecureChat/2 psk" || ISK); CI = lv_cat("SecureChat/2", channel); ADa = ADb = "".

stdout: one JSON event per line
  {"event":"listening","port":P}
  {"event":"established","sas":"dddd dddd dddd","peer_static":hex,"static":hex,"handshake_hash":hex,
   "peer_payload":{...},"fingerprint":"SHA256:...","peer_fingerprint":"SHA256:...","protocol":name}
  {"event":"text","text":...}
  {"event":"file-message","type":N,"body_hex":hex}          (types 0x10-0x1F, reported raw)
  {"event":"closed","reason":...}                            (peer's CLOSE; exit 0)
  {"event":"refused","code":N,"reason":...,"by":"peer"|"self"}   (exit 3)
  {"event":"v1-reply","hex":hex,"scerr_code":N,"reason":...}     (--send-v1-hello; exit 3)
  {"event":"error","kind":"protocol"|"integrity"|"connection-lost"|"setup","message":...}  (exit 1)
stdin: one JSON command per line (after "established"; end of input = CLOSE with empty reason)
  {"cmd":"send","text":...}               TEXT 0x01
  {"cmd":"send_type","type":N,"body_hex":hex}
  {"cmd":"close","reason":...}            CLOSE 0x02 (reason optional)
  {"cmd":"refuse","code":N,"reason":...}  hostile: a REFUSE frame after READY (must be a protocol error)
  {"cmd":"raw","hex":hex}                 hostile: one frame body (kind || payload) as given
  v1's forms {"send":text}, {"send_type":N,"body_hex":hex}, {"close":reason} are accepted too.
Exit codes: 0 closed normally / self-test passed, 1 error, 2 setup (usage, ML-KEM-768 or libsodium
missing), 3 refused (REFUSE sent or received, v1 SCERR received).
"""

from __future__ import annotations

import argparse, contextlib, ctypes, ctypes.util, hashlib, hmac as std_hmac, json, os, socket, subprocess
import sys, threading, time, unicodedata, base64

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives import serialization
except ImportError as _exc:     # pragma: no cover
    sys.stderr.write(f"v2_peer.py: the Python package 'cryptography' is missing ({_exc})\n")
    print(json.dumps({"event": "error", "kind": "setup", "message": f"cryptography missing: {_exc}"}), flush=True)
    sys.exit(2)

try:
    from cryptography.hazmat.primitives.asymmetric import mlkem as _mlkem
    MLKEM768PrivateKey, MLKEM768PublicKey = _mlkem.MLKEM768PrivateKey, _mlkem.MLKEM768PublicKey
except (ImportError, AttributeError):
    import cryptography as _c
    _MSG = (f"ML-KEM-768 is missing: this Python ({sys.executable}, cryptography {_c.__version__}) has no "
            "cryptography.hazmat.primitives.asymmetric.mlkem; run v2_peer.py with a Python whose "
            "'cryptography' is >= 46 (python3 on PATH, not /usr/bin/python3 with Debian's cryptography 38)")
    sys.stderr.write("v2_peer.py: " + _MSG + "\n")
    print(json.dumps({"event": "error", "kind": "setup", "message": _MSG}), flush=True)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))

# ------------------------------------------------------------------ constants (spec §1-§7)

K_HELLO, K_HANDSHAKE, K_TRANSPORT, K_REFUSE = 0x01, 0x02, 0x03, 0x04
MAGIC, VERSION = b"SCHAT", 0x02
MODE_XX, MODE_PSK = 0x01, 0x02
NAMES = {MODE_XX: "Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256",
         MODE_PSK: "Noise_XXhfs+psk3_25519+MLKEM768_AESGCM_SHA256"}
R_VERSION, R_PSK_REQUIRED, R_NO_PSK, R_BUSY, R_AUTH, R_NOT_AUTHORIZED, R_KEY_MISMATCH = range(1, 8)
REFUSE_TEXT = {1: "unsupported version", 2: "passphrase required", 3: "no passphrase expected",
               4: "busy", 5: "authentication failed", 6: "not authorized", 7: "key mismatch"}
T_TEXT, T_CLOSE, T_PING, T_PONG, T_READY = 0x01, 0x02, 0x03, 0x04, 0x05
COMMIT_LABEL, SAS_LABEL, PSK_LABEL = b"SecureChat/2 SAS commit", b"SecureChat/2 SAS", b"SecureChat/2 psk"
CI_LABEL = b"SecureChat/2"
HASHLEN, DHLEN, TAGLEN = 32, 32, 16
EKLEN, CTLEN, SSLEN = 1184, 1088, 32     # ML-KEM-768 (FIPS 203)
NONCE_LEN, SID_LEN, RIST_LEN = 16, 16, 32
MAX_NONCE = 2**64 - 1
MAX_FRAME = 65535
MAX_JSON = 1024
MAX_REASON = 200
P25519 = 2**255 - 19
PAYLOAD = b'{"software":"v2_peer.py"}'
HANDSHAKE_TIMEOUT = 30.0

# Noise patterns (Noise §7.5, §9.4, hfs extension): XXhfs and XXhfs+psk3.
PATTERNS = {
    MODE_XX: (("e", "f"), ("e", "f", "ee", "ff", "s", "es"), ("s", "se")),
    MODE_PSK: (("e", "f"), ("e", "f", "ee", "ff", "s", "es"), ("s", "se", "psk")),
}


class PeerError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


class Refusal(Exception):
    """A REFUSE sent (by='self') or received (by='peer')."""

    def __init__(self, code: int, reason: str, by: str):
        super().__init__(reason)
        self.code, self.reason, self.by = code, reason, by


# ------------------------------------------------------------------ primitives (Noise §4, §12)

def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return std_hmac.new(key, data, hashlib.sha256).digest()


def hkdf(ck: bytes, ikm: bytes, n: int) -> tuple[bytes, ...]:
    temp = hmac_sha256(ck, ikm)
    o1 = hmac_sha256(temp, b"\x01")
    o2 = hmac_sha256(temp, o1 + b"\x02")
    return (o1, o2) if n == 2 else (o1, o2, hmac_sha256(temp, o2 + b"\x03"))


def aead_encrypt(k: bytes, n: int, ad: bytes, pt: bytes) -> bytes:
    return AESGCM(k).encrypt(bytes(4) + n.to_bytes(8, "big"), pt, ad)


def aead_decrypt(k: bytes, n: int, ad: bytes, ct: bytes) -> bytes:
    return AESGCM(k).decrypt(bytes(4) + n.to_bytes(8, "big"), ct, ad)


def check_x25519_public(pub: bytes, what: str) -> None:
    """Spec §3: 32 bytes, bit 255 clear, u < 2^255-19."""
    if len(pub) != DHLEN:
        raise PeerError("protocol", f"{what} is not 32 bytes")
    if pub[31] & 0x80 or int.from_bytes(pub, "little") >= P25519:
        raise PeerError("protocol", f"{what} is not a canonical X25519 public key")


class DHKey:
    def __init__(self, private: bytes | None = None):
        self.priv = X25519PrivateKey.from_private_bytes(private) if private else X25519PrivateKey.generate()
        self.pub = self.priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def dh(key: DHKey, pub: bytes) -> bytes:
    check_x25519_public(pub, "peer public key")
    try:
        out = key.priv.exchange(X25519PublicKey.from_public_bytes(pub))
    except ValueError:
        raise PeerError("protocol", "X25519 gave an all-zero shared secret") from None
    if out == bytes(32):
        raise PeerError("protocol", "X25519 gave an all-zero shared secret")
    return out


class KemKey:
    """The initiator's ML-KEM-768 key pair (`f`)."""

    def __init__(self, seed: bytes | None = None):
        self.sk = MLKEM768PrivateKey.from_seed_bytes(seed) if seed else MLKEM768PrivateKey.generate()
        self.pub = self.sk.public_key().public_bytes_raw()


def kem_encaps(ek: bytes, hs=None) -> tuple[bytes, bytes]:
    """-> (ct, ss); ek is validated by cryptography (FIPS 203 modulus check)."""
    try:
        ss, ct = MLKEM768PublicKey.from_public_bytes(ek).encapsulate()
    except ValueError:
        raise PeerError("protocol", "the peer's ML-KEM-768 encapsulation key is invalid") from None
    return ct, ss


def kem_decaps(key: KemKey, ct: bytes) -> bytes:
    if len(ct) != CTLEN:
        raise PeerError("protocol", "ML-KEM-768 ciphertext is not 1088 bytes")
    return key.sk.decapsulate(ct)


# ------------------------------------------------------------------ Noise §5 with hfs

class CipherState:
    def __init__(self, k: bytes | None = None):
        self.k, self.n = k, 0

    def encrypt_with_ad(self, ad: bytes, pt: bytes) -> bytes:
        if self.k is None:
            return pt
        if self.n >= MAX_NONCE:
            raise PeerError("protocol", "nonce exhausted")
        ct = aead_encrypt(self.k, self.n, ad, pt)
        self.n += 1
        return ct

    def decrypt_with_ad(self, ad: bytes, ct: bytes) -> bytes:
        if self.k is None:
            return ct
        if self.n >= MAX_NONCE:
            raise PeerError("protocol", "nonce exhausted")
        pt = aead_decrypt(self.k, self.n, ad, ct)
        self.n += 1
        return pt

    def rekey(self) -> None:
        """Noise §4.2/§11.3: k = first 32 bytes of ENCRYPT(k, maxnonce, empty, zeros); n unchanged."""
        self.k = aead_encrypt(self.k, MAX_NONCE, b"", bytes(32))[:32]


class SymmetricState:
    def __init__(self, name: bytes):
        self.h = name.ljust(HASHLEN, b"\x00") if len(name) <= HASHLEN else sha256(name)
        self.ck, self.cipher = self.h, CipherState()

    def mix_key(self, ikm: bytes) -> None:
        self.ck, k = hkdf(self.ck, ikm, 2)
        self.cipher = CipherState(k)

    def mix_hash(self, data: bytes) -> None:
        self.h = sha256(self.h + data)

    def mix_key_and_hash(self, ikm: bytes) -> None:
        self.ck, th, k = hkdf(self.ck, ikm, 3)
        self.mix_hash(th)
        self.cipher = CipherState(k)

    def encrypt_and_hash(self, pt: bytes) -> bytes:
        ct = self.cipher.encrypt_with_ad(self.h, pt)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ct: bytes) -> bytes:
        pt = self.cipher.decrypt_with_ad(self.h, ct)
        self.mix_hash(ct)
        return pt

    def split(self) -> tuple[CipherState, CipherState]:
        k1, k2 = hkdf(self.ck, b"", 2)
        return CipherState(k1), CipherState(k2)


class HandshakeState:
    """XXhfs / XXhfs+psk3 (also plain XX / XXpsk3 for the cacophony vectors: patterns given).

    f (initiator, writing): a fresh ML-KEM-768 key pair; EncryptAndHash(ek).
    f (responder, writing): (ct, ss) = Encaps(re_f); EncryptAndHash(ct).
    ff: MixKey(ss) on both sides.  In psk mode `e` also does MixKey(e.pub) (Noise §9.2); `f` does
    no MixKey (the hybrid vectors decide this), but is encrypted because a key is already set.
    Hooks for vectors: fixed e, fixed KEM seed, encaps override, psk given or computed by psk_fn."""

    def __init__(self, name: str, patterns, initiator: bool, prologue: bytes, s: DHKey,
                 e: DHKey | None = None, kem_seed: bytes | None = None, encaps=None, psk: bytes | None = None,
                 noncanonical_e: bool = False):
        self.initiator, self.patterns = initiator, patterns
        self.psk_mode = any("psk" in m for m in patterns)
        self.sym = SymmetricState(name.encode("ascii"))
        self.sym.mix_hash(prologue)
        self.s, self.e, self.rs, self.re = s, None, None, None
        self.fixed_e, self.kem_seed, self.encaps = e, kem_seed, encaps or kem_encaps
        self.noncanonical_e = noncanonical_e     # hostile test flag: bit 255 of our e set on the wire
        self.f = None          # our KEM key pair (initiator)
        self.rf = None         # the peer's ek (responder)
        self.ss = None         # KEM shared secret
        self.psk = psk
        self.index, self.complete = 0, False
        self.handshake_hash = self.send_cipher = self.recv_cipher = None

    def _next(self, writing: bool):
        if self.complete or ((self.index % 2 == 0) == self.initiator) != writing:
            raise RuntimeError("handshake message out of turn")
        self.index += 1
        return self.patterns[self.index - 1]

    def _mix_e(self, pub: bytes) -> None:
        self.sym.mix_hash(pub)
        if self.psk_mode:
            self.sym.mix_key(pub)

    def _token(self, t: str) -> None:
        if t == "ee":
            self.sym.mix_key(dh(self.e, self.re))
        elif t == "es":
            self.sym.mix_key(dh(self.e, self.rs) if self.initiator else dh(self.s, self.re))
        elif t == "se":
            self.sym.mix_key(dh(self.s, self.re) if self.initiator else dh(self.e, self.rs))
        elif t == "ff":
            if self.ss is None:
                raise RuntimeError("ff without a KEM shared secret")
            self.sym.mix_key(self.ss)
            self.ss = None
        elif t == "psk":
            if self.psk is None or len(self.psk) != 32:
                raise RuntimeError("the psk (32 bytes) must be set before the psk token")
            self.sym.mix_key_and_hash(self.psk)
        else:
            raise RuntimeError(f"unsupported token {t}")

    def _len(self, n: int) -> int:
        return n + (TAGLEN if self.sym.cipher.k is not None else 0)

    def write_message(self, payload: bytes) -> bytes:
        out = bytearray()
        for t in self._next(writing=True):
            if t == "e":
                self.e = self.fixed_e or DHKey()
                wire = self.e.pub if not self.noncanonical_e else self.e.pub[:31] + bytes([self.e.pub[31] | 0x80])
                out += wire
                self._mix_e(wire)
            elif t == "s":
                out += self.sym.encrypt_and_hash(self.s.pub)
            elif t == "f" and self.initiator:
                self.f = KemKey(self.kem_seed)
                out += self.sym.encrypt_and_hash(self.f.pub)
            elif t == "f":
                ct, self.ss = self.encaps(self.rf, self)
                out += self.sym.encrypt_and_hash(ct)
            else:
                self._token(t)
        out += self.sym.encrypt_and_hash(payload)
        if len(out) > MAX_FRAME - 1:
            raise ValueError("handshake message too long for a frame")
        self._finish()
        return bytes(out)

    def read_message(self, msg: bytes) -> bytes:
        """Raises InvalidTag (decryption) or PeerError (lengths, keys)."""
        pos = 0
        n = self.index + 1

        def take(k: int) -> bytes:
            nonlocal pos
            if len(msg) - pos < k:
                raise PeerError("protocol", f"handshake message {n} is too short")
            pos += k
            return msg[pos - k:pos]

        for t in self._next(writing=False):
            if t == "e":
                self.re = take(DHLEN)
                check_x25519_public(self.re, "peer ephemeral key")
                self._mix_e(self.re)
            elif t == "s":
                self.rs = self.sym.decrypt_and_hash(take(self._len(DHLEN)))
                check_x25519_public(self.rs, "peer static key")
            elif t == "f" and not self.initiator:
                self.rf = self.sym.decrypt_and_hash(take(self._len(EKLEN)))
            elif t == "f":
                self.ss = kem_decaps(self.f, self.sym.decrypt_and_hash(take(self._len(CTLEN))))
                self.f = None
            else:
                self._token(t)
        if len(msg) - pos < self._len(0):
            raise PeerError("protocol", f"handshake message {n} is too short")
        payload = self.sym.decrypt_and_hash(msg[pos:])
        self._finish()
        return payload

    def _finish(self) -> None:
        if self.index < len(self.patterns):
            return
        c1, c2 = self.sym.split()
        self.handshake_hash = self.sym.h
        self.send_cipher, self.recv_cipher = (c1, c2) if self.initiator else (c2, c1)
        self.sym, self.complete = None, True


# ------------------------------------------------------------------ CPace (draft-irtf-cfrg-cpace, ristretto255)

class Sodium:
    def __init__(self):
        name = ctypes.util.find_library("sodium")
        lib = None
        for cand in ([name] if name else []) + ["libsodium.so.23", "libsodium.so.26", "libsodium.so"]:
            with contextlib.suppress(OSError):
                lib = ctypes.CDLL(cand)
                break
        if lib is None:
            raise PeerError("setup", "libsodium (for ristretto255) was not found: install libsodium23")
        for fn in ("crypto_core_ristretto255_from_hash", "crypto_core_ristretto255_is_valid_point",
                   "crypto_core_ristretto255_scalar_random", "crypto_scalarmult_ristretto255"):
            if not hasattr(lib, fn):
                raise PeerError("setup", f"libsodium lacks {fn} (need >= 1.0.18)")
        if lib.sodium_init() < 0:
            raise PeerError("setup", "sodium_init failed")
        self.lib = lib

    def from_hash(self, h64: bytes) -> bytes:
        out = ctypes.create_string_buffer(32)
        self.lib.crypto_core_ristretto255_from_hash(out, h64)
        return out.raw

    def is_valid_point(self, p: bytes) -> bool:
        return len(p) == 32 and self.lib.crypto_core_ristretto255_is_valid_point(p) == 1

    def scalar_random(self) -> bytes:
        out = ctypes.create_string_buffer(32)
        self.lib.crypto_core_ristretto255_scalar_random(out)
        return out.raw

    def scalarmult(self, scalar: bytes, point: bytes) -> bytes | None:
        """None when the point does not decode or the result is the identity."""
        out = ctypes.create_string_buffer(32)
        if self.lib.crypto_scalarmult_ristretto255(out, scalar, point) != 0:
            return None
        return out.raw


_sodium: Sodium | None = None


def sodium() -> Sodium:
    global _sodium
    if _sodium is None:
        _sodium = Sodium()
    return _sodium


DSI = b"CPaceRistretto255"
H_S_IN_BYTES = 128      # SHA-512 block size


def leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def prepend_len(x: bytes) -> bytes:
    return leb128(len(x)) + x


def lv_cat(*xs: bytes) -> bytes:
    return b"".join(prepend_len(x) for x in xs)


def cpace_generator(prs: bytes, ci: bytes, sid: bytes) -> bytes:
    zpad = max(0, H_S_IN_BYTES - 1 - len(prepend_len(prs)) - len(prepend_len(DSI)))
    return sodium().from_hash(hashlib.sha512(lv_cat(DSI, prs, bytes(zpad), ci, sid)).digest())


def scalar_mult_vfy(y: bytes, x: bytes) -> bytes:
    if not sodium().is_valid_point(x):
        raise PeerError("protocol", "CPace: the peer's point is not a valid ristretto255 encoding")
    k = sodium().scalarmult(y, x)
    if k is None:
        raise PeerError("protocol", "CPace: the shared point is the identity")
    return k


def cpace_isk(sid: bytes, k: bytes, ya_pub: bytes, ada: bytes, yb_pub: bytes, adb: bytes) -> bytes:
    """Initiator-responder mode: SHA-512(lv_cat(DSI||"_ISK", sid, K) || lv_cat(Ya,ADa) || lv_cat(Yb,ADb))."""
    return hashlib.sha512(lv_cat(DSI + b"_ISK", sid, k) + lv_cat(ya_pub, ada) + lv_cat(yb_pub, adb)).digest()


def securechat_ci(channel: str) -> bytes:
    return lv_cat(CI_LABEL, channel.encode("ascii"))


def securechat_prs(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def securechat_psk(isk: bytes) -> bytes:
    return sha256(PSK_LABEL + isk)


# ------------------------------------------------------------------ SecureChat specifics (spec §3, §7)

def commitment(n_i: bytes) -> bytes:
    return sha256(COMMIT_LABEL + n_i)


def sas(e_i: bytes, e_r: bytes, n_i: bytes, n_r: bytes) -> str:
    v = int.from_bytes(sha256(SAS_LABEL + e_i + e_r + n_i + n_r)[:8], "big") % 10**12
    d = f"{v:012d}"
    return f"{d[0:4]} {d[4:8]} {d[8:12]}"


def fingerprint(pub: bytes) -> str:
    return "SHA256:" + base64.b64encode(sha256(pub)).decode("ascii").rstrip("=")


def parse_payload_json(data: bytes) -> dict:
    """Spec §3: one UTF-8 JSON object, no duplicate keys, <= 1 KiB, depth <= 2."""
    if len(data) > MAX_JSON:
        raise PeerError("protocol", "handshake JSON payload longer than 1 KiB")

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise PeerError("protocol", "handshake JSON payload has a duplicate key")
        return dict(pairs)

    def bad_constant(c):
        raise PeerError("protocol", f"handshake JSON payload contains {c}")

    try:
        obj = json.loads(data.decode("utf-8"), object_pairs_hook=no_dupes, parse_constant=bad_constant)
    except (UnicodeDecodeError, ValueError):
        raise PeerError("protocol", "handshake payload is not a UTF-8 JSON object") from None
    if not isinstance(obj, dict):
        raise PeerError("protocol", "handshake payload is not a JSON object")

    def depth(v) -> int:
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        return 0

    if depth(obj) > 2:
        raise PeerError("protocol", "handshake JSON payload is nested deeper than 2")
    return obj


def sanitize(text: str) -> str:
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


# ------------------------------------------------------------------ framing (spec §1)

def send_frame(sock: socket.socket, kind: int, payload: bytes) -> None:
    body = bytes([kind]) + payload
    if len(body) > MAX_FRAME:
        raise ValueError("frame longer than 65535 bytes")
    sock.sendall(len(body).to_bytes(2, "big") + body)


def send_raw(sock: socket.socket, body: bytes) -> None:
    if not 1 <= len(body) <= MAX_FRAME:
        raise ValueError("frame length must be 1..65535")
    sock.sendall(len(body).to_bytes(2, "big") + body)


def read_body(rfile, eof: PeerError | None) -> bytes | None:
    header = rfile.read(2)
    if not header:
        if eof:
            raise eof
        return None
    if len(header) != 2:
        raise PeerError("protocol", "the stream ended inside a frame header")
    n = int.from_bytes(header, "big")
    if n == 0:
        raise PeerError("protocol", "zero-length frame")
    data = rfile.read(n)
    if len(data) != n:
        raise PeerError("protocol", "the stream ended inside a frame")
    return data


def read_frame(rfile, allowed: set[int], state: str, eof: PeerError | None) -> tuple[int, bytes] | None:
    body = read_body(rfile, eof)
    if body is None:
        return None
    kind = body[0]
    if kind not in allowed:
        raise PeerError("protocol", f"frame kind 0x{kind:02x} is not allowed {state}")
    return kind, body[1:]


def parse_refuse(payload: bytes) -> tuple[int, str]:
    if len(payload) < 1:
        raise PeerError("protocol", "REFUSE without a code")
    reason = payload[1:]
    if len(reason) > MAX_REASON:
        raise PeerError("protocol", "REFUSE reason longer than 200 bytes")
    return payload[0], sanitize(reason.decode("utf-8", errors="replace"))


def linger_close(sock: socket.socket, timeout: float = 2.0) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and sock.recv(65536):
            pass
    with contextlib.suppress(OSError):
        sock.close()


def refuse(sock: socket.socket, code: int, reason: str | None = None) -> Refusal:
    reason = REFUSE_TEXT.get(code, f"refused ({code})") if reason is None else reason
    with contextlib.suppress(OSError):
        send_frame(sock, K_REFUSE, bytes([code]) + reason.encode("utf-8")[:MAX_REASON])
    linger_close(sock)
    return Refusal(code, reason, "self")


# ------------------------------------------------------------------ output

_out_lock = threading.Lock()


def emit(event: dict | None, exit_code: int | None = None) -> None:
    _out_lock.acquire()
    if event is not None:
        sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()
    if exit_code is not None:
        os._exit(exit_code)
    _out_lock.release()


def fail(err: PeerError) -> None:
    emit({"event": "error", "kind": err.kind, "message": err.message}, 1)


def refused(r: Refusal) -> None:
    emit({"event": "refused", "code": r.code, "reason": r.reason, "by": r.by}, 3)


# ------------------------------------------------------------------ handshake over TCP

class Established:
    def __init__(self, sock, rfile, hs: HandshakeState, sas_text: str, peer_payload: dict, static: DHKey,
                 mode: int):
        self.sock, self.rfile, self.hs, self.sas = sock, rfile, hs, sas_text
        self.peer_payload, self.static, self.mode = peer_payload, static, mode


def _passphrase(args) -> str:
    p = os.environ.get("SECURECHAT_PASSPHRASE")
    if p is None:
        raise PeerError("setup", "psk mode needs the passphrase in $SECURECHAT_PASSPHRASE")
    return p


def run_initiator(args, static: DHKey) -> Established:
    mode = MODE_PSK if args.mode == "psk" else MODE_XX
    try:
        sock = socket.create_connection((args.host, args.port), timeout=HANDSHAKE_TIMEOUT)
    except OSError as exc:
        raise PeerError("connection-lost", f"cannot connect: {exc}") from None
    rfile = sock.makefile("rb")
    lost = PeerError("connection-lost", "the responder closed the connection during the handshake")
    if args.send_v1_hello:
        send_raw(sock, MAGIC + bytes([0x01, 0x01]))                   # v1 hello: no kind byte
        body = read_body(rfile, lost)
        reply = {"event": "v1-reply", "hex": body.hex()}
        if body.startswith(b"SCERR") and len(body) >= 6:
            reply.update(scerr_code=body[5], reason=sanitize(body[6:].decode("utf-8", errors="replace")))
        linger_close(sock)
        emit(reply, 3)
    hello = MAGIC + bytes([args.hello_version, mode])
    send_frame(sock, K_HELLO, hello)
    ps = _passphrase(args) if mode == MODE_PSK else None
    hs = HandshakeState(NAMES[mode], PATTERNS[mode], True, hello, static, noncanonical_e=args.noncanonical_ephemeral)
    n_i = os.urandom(NONCE_LEN)
    msg1_payload = commitment(n_i if not args.wrong_commit else os.urandom(NONCE_LEN))
    if mode == MODE_PSK:
        sid = os.urandom(SID_LEN)
        g = cpace_generator(securechat_prs(ps), securechat_ci(args.channel), sid)
        ya = sodium().scalar_random()
        ya_pub = sodium().scalarmult(ya, g)
        msg1_payload = sid + ya_pub + msg1_payload
    send_frame(sock, K_HANDSHAKE, hs.write_message(msg1_payload))

    kind, frame = read_frame(rfile, {K_HANDSHAKE, K_REFUSE}, "before message 2", lost)
    if kind == K_REFUSE:
        raise Refusal(*parse_refuse(frame), "peer")
    try:
        p2 = hs.read_message(frame)
    except InvalidTag:
        raise PeerError("integrity", "handshake message 2 failed authentication") from None
    pos = 0
    if mode == MODE_PSK:
        if len(p2) < RIST_LEN + NONCE_LEN:
            raise PeerError("protocol", "message 2 payload too short")
        yb_pub, pos = p2[:RIST_LEN], RIST_LEN
        k = scalar_mult_vfy(ya, yb_pub)
        hs.psk = securechat_psk(cpace_isk(sid, k, ya_pub, b"", yb_pub, b""))
    if len(p2) < pos + NONCE_LEN:
        raise PeerError("protocol", "message 2 payload too short")
    n_r = p2[pos:pos + NONCE_LEN]
    peer_payload = parse_payload_json(p2[pos + NONCE_LEN:])
    if hs.rs == static.pub:
        raise refuse(sock, R_KEY_MISMATCH, "reflected static key")
    send_frame(sock, K_HANDSHAKE, hs.write_message(n_i + args.payload))

    kind, frame = read_frame(rfile, {K_TRANSPORT, K_REFUSE}, "before READY", lost)
    if kind == K_REFUSE:
        code, reason = parse_refuse(frame)
        if code <= R_BUSY:
            raise PeerError("protocol", f"REFUSE code {code} after message 2 is a protocol error "
                                        f"(the peer says, unauthenticated: {reason})")
        raise Refusal(code, reason, "peer")
    try:
        pt = hs.recv_cipher.decrypt_with_ad(b"", frame)
        hs.recv_cipher.rekey()
    except InvalidTag:
        raise PeerError("integrity", "the first transport message (READY) failed authentication") from None
    if pt != bytes([T_READY]):
        raise PeerError("protocol", "the first transport message is not an empty READY")
    return Established(sock, rfile, hs, sas(hs.e.pub, hs.re, n_i, n_r), peer_payload, static, mode)


def run_responder(args, static: DHKey, listener: socket.socket) -> Established:
    sock, _ = listener.accept()
    listener.close()
    sock.settimeout(HANDSHAKE_TIMEOUT)
    rfile = sock.makefile("rb")
    lost = PeerError("connection-lost", "the initiator closed the connection during the handshake")
    body = read_body(rfile, lost)
    if body.startswith(MAGIC + b"\x01"):                  # a v1 hello: v1's SCERR code 1, then close
        with contextlib.suppress(OSError):
            send_raw(sock, b"SCERR\x01" + b"unsupported protocol version 1: this peer speaks v2")
        linger_close(sock)
        raise Refusal(R_VERSION, "v1 hello answered with SCERR 1", "self")
    if body[0] != K_HELLO:
        raise PeerError("protocol", f"frame kind 0x{body[0]:02x} is not allowed before HELLO")
    hello = body[1:]
    if len(hello) < 6 or not hello.startswith(MAGIC):
        raise PeerError("protocol", "HELLO does not start with SCHAT and a version")
    if hello[5] != VERSION:
        raise refuse(sock, R_VERSION, f"unsupported protocol version {hello[5]}")
    if len(hello) != 7:
        raise PeerError("protocol", "HELLO payload is not 7 bytes")
    mode = hello[6]
    if mode not in NAMES:
        raise refuse(sock, R_VERSION, f"unsupported mode {mode}")
    if args.refuse_code is not None:
        raise refuse(sock, args.refuse_code)
    want_psk = args.mode == "psk"
    if want_psk and mode != MODE_PSK:
        raise refuse(sock, R_PSK_REQUIRED)
    if not want_psk and mode == MODE_PSK:
        raise refuse(sock, R_NO_PSK)
    ps = _passphrase(args) if mode == MODE_PSK else None
    hs = HandshakeState(NAMES[mode], PATTERNS[mode], False, hello, static, noncanonical_e=args.noncanonical_ephemeral)

    kind, frame = read_frame(rfile, {K_HANDSHAKE}, "before message 1", lost)
    try:
        p1 = hs.read_message(frame)
    except InvalidTag:
        raise PeerError("integrity", "handshake message 1 failed authentication") from None
    want = (SID_LEN + RIST_LEN + HASHLEN) if mode == MODE_PSK else HASHLEN
    if len(p1) != want:
        raise PeerError("protocol", f"message 1 payload is {len(p1)} bytes, not {want}")
    commit = p1[-HASHLEN:]
    msg2_prefix = b""
    if mode == MODE_PSK:
        sid, ya_pub = p1[:SID_LEN], p1[SID_LEN:SID_LEN + RIST_LEN]
        g = cpace_generator(securechat_prs(ps), securechat_ci(args.channel), sid)
        yb = sodium().scalar_random()
        yb_pub = sodium().scalarmult(yb, g)
        k = scalar_mult_vfy(yb, ya_pub)
        hs.psk = securechat_psk(cpace_isk(sid, k, ya_pub, b"", yb_pub, b""))
        msg2_prefix = yb_pub
    n_r = os.urandom(NONCE_LEN)
    send_frame(sock, K_HANDSHAKE, hs.write_message(msg2_prefix + n_r + args.payload))

    kind, frame = read_frame(rfile, {K_HANDSHAKE, K_REFUSE}, "before message 3", lost)
    if kind == K_REFUSE:
        code, reason = parse_refuse(frame)
        if code != R_KEY_MISMATCH:
            raise PeerError("protocol", f"REFUSE code {code} from the initiator (only 7 is allowed here)")
        raise Refusal(code, reason, "peer")
    try:
        p3 = hs.read_message(frame)
    except InvalidTag:
        # A guessing responder (--refuse-after-msg3) has had its one online test of the guess when
        # msg3 arrives, whatever the outcome: it answers with its chosen code either way.
        code = args.refuse_after_msg3 if args.refuse_after_msg3 is not None else R_AUTH
        raise refuse(sock, code) from None
    if len(p3) < NONCE_LEN:
        raise PeerError("protocol", "message 3 payload shorter than n_i")
    n_i = p3[:NONCE_LEN]
    if commitment(n_i) != commit:
        raise refuse(sock, R_AUTH, "authentication failed (commitment mismatch)")
    peer_payload = parse_payload_json(p3[NONCE_LEN:])
    if hs.rs == static.pub:
        raise refuse(sock, R_NOT_AUTHORIZED, "reflected static key")
    if args.refuse_after_msg3 is not None:
        raise refuse(sock, args.refuse_after_msg3)
    send_frame(sock, K_TRANSPORT, hs.send_cipher.encrypt_with_ad(b"", bytes([T_READY])))
    hs.send_cipher.rekey()
    return Established(sock, rfile, hs, sas(hs.re, hs.e.pub, n_i, n_r), peer_payload, static, mode)


# ------------------------------------------------------------------ transport phase (spec §6)

class Session:
    def __init__(self, est: Established):
        self.sock, self.rfile = est.sock, est.rfile
        self.send_cipher, self.recv_cipher = est.hs.send_cipher, est.hs.recv_cipher
        self.lock = threading.Lock()
        self.closing = False

    def send(self, msg_type: int, body: bytes) -> None:
        with self.lock:
            if self.closing:
                return
            self.closing = msg_type == T_CLOSE
            ct = self.send_cipher.encrypt_with_ad(b"", bytes([msg_type]) + body)
            self.send_cipher.rekey()
            send_frame(self.sock, K_TRANSPORT, ct)
            if self.closing:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_WR)

    def send_raw(self, body: bytes) -> None:
        with self.lock:
            send_raw(self.sock, body)

    def abort(self, err: PeerError) -> None:
        with contextlib.suppress(OSError, PeerError, ValueError):
            self.send(T_CLOSE, err.kind.encode("ascii"))
        linger_close(self.sock, 1.0)
        fail(err)

    def receive_loop(self) -> None:
        lost = PeerError("connection-lost", "the connection closed without a CLOSE message")
        while True:
            try:
                kind, frame = read_frame(self.rfile, {K_TRANSPORT}, "after READY", lost)
                pt = self.recv_cipher.decrypt_with_ad(b"", frame)
                self.recv_cipher.rekey()
            except InvalidTag:
                self.abort(PeerError("integrity", "a transport message failed authentication"))
            except PeerError as err:
                if self.closing:
                    emit(None, 0)
                if err.kind == "protocol":
                    self.abort(err)
                raise
            except OSError:
                if self.closing:
                    emit(None, 0)
                raise
            if not pt:
                self.abort(PeerError("protocol", "transport message without a type byte"))
            t, body = pt[0], pt[1:]
            if t == T_TEXT:
                try:
                    emit({"event": "text", "text": body.decode("utf-8")})
                except UnicodeDecodeError:
                    self.abort(PeerError("protocol", "TEXT is not valid UTF-8"))
            elif t == T_CLOSE:
                emit({"event": "closed", "reason": body.decode("utf-8", errors="replace")}, 0)
            elif t == T_PING:
                if len(body) != 8:
                    self.abort(PeerError("protocol", "PING body is not 8 bytes"))
                self.send(T_PONG, body)
            elif t == T_READY:
                self.abort(PeerError("protocol", "READY after the session was established"))
            elif 0x10 <= t <= 0x1F:
                emit({"event": "file-message", "type": t, "body_hex": body.hex()})
            # PONG and unknown types are ignored.


def parse_command(raw: bytes):
    cmd = json.loads(raw)
    if not isinstance(cmd, dict):
        raise ValueError("not a JSON object")
    name = cmd.get("cmd")
    if name == "send" or (name is None and "send" in cmd):
        return "msg", T_TEXT, str(cmd["text"] if name else cmd["send"]).encode("utf-8")
    if name == "send_type" or (name is None and "send_type" in cmd):
        t = int(cmd["type"] if name else cmd["send_type"])
        if not 0 <= t <= 255:
            raise ValueError("type must be 0..255")
        return "msg", t, bytes.fromhex(cmd.get("body_hex", ""))
    if name == "close" or (name is None and "close" in cmd):
        return "msg", T_CLOSE, str(cmd.get("reason", "") if name else cmd["close"]).encode("utf-8")
    if name == "refuse":
        code = int(cmd["code"])
        return "raw", None, bytes([K_REFUSE, code]) + str(cmd.get("reason", REFUSE_TEXT.get(code, ""))).encode()
    if name == "raw":
        return "raw", None, bytes.fromhex(cmd["hex"])
    raise ValueError("unknown command")


def stdin_loop(session: Session) -> None:
    while not session.closing:
        raw = sys.stdin.buffer.readline()
        if not raw:
            what, t, body = "msg", T_CLOSE, b""
        elif not raw.strip():
            continue
        else:
            try:
                what, t, body = parse_command(raw)
            except (ValueError, TypeError, KeyError, UnicodeError) as exc:
                print(f"v2_peer: ignoring stdin line {raw[:80]!r}: {exc}", file=sys.stderr, flush=True)
                continue
        try:
            if what == "raw":
                session.send_raw(body)
            else:
                session.send(t, body)
        except (OSError, ValueError) as exc:
            fail(PeerError("connection-lost", f"cannot send: {exc}"))
    time.sleep(5)
    emit(None, 0)


def run_peer(args) -> None:
    try:
        static = DHKey(bytes.fromhex(args.identity_seed)) if args.identity_seed else DHKey()
    except ValueError as exc:
        emit({"event": "error", "kind": "setup", "message": f"--identity-seed: {exc}"}, 2)
    try:
        if args.mode == "psk" or args.role == "responder":
            sodium()                                  # fail early (setup) if libsodium is missing
        if args.mode == "psk":
            _passphrase(args)
        if args.role == "initiator":
            est = run_initiator(args, static)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((args.host, args.port))
            listener.listen(1)
            emit({"event": "listening", "port": listener.getsockname()[1]})
            est = run_responder(args, static, listener)
        est.sock.settimeout(None)
        emit({"event": "established", "sas": est.sas, "peer_static": est.hs.rs.hex(),
              "static": static.pub.hex(), "handshake_hash": est.hs.handshake_hash.hex(),
              "peer_payload": est.peer_payload, "fingerprint": fingerprint(static.pub),
              "peer_fingerprint": fingerprint(est.hs.rs), "protocol": NAMES[est.mode]})
        session = Session(est)
        threading.Thread(target=stdin_loop, args=(session,), daemon=True).start()
        session.receive_loop()
    except Refusal as r:
        refused(r)
    except PeerError as err:
        if err.kind == "setup":
            emit({"event": "error", "kind": "setup", "message": err.message}, 2)
        fail(err)
    except OSError as exc:
        fail(PeerError("connection-lost", f"connection error: {exc}"))
    except Exception as exc:    # noqa: BLE001 - a bug or an unexpected input: still one JSON event
        fail(PeerError("internal", f"{type(exc).__name__}: {exc}"))


# ------------------------------------------------------------------ self-test against the vectors

def _vec(path: str):
    with open(os.path.join(HERE, "vectors", path), encoding="utf-8") as f:
        return json.load(f)


def _noise_vector(v: dict, counts: dict, failures: list) -> None:
    """Run initiator and responder with the vector's fixed keys; every message must match byte for
    byte on the writing side and decrypt to the payload on the reading side."""
    name = v["protocol_name"]
    hfs = "hfs" in name
    psk_mode = "psk3" in name
    patterns = PATTERNS[MODE_PSK if psk_mode else MODE_XX]
    if not hfs:
        patterns = tuple(tuple(t for t in m if t not in ("f", "ff")) for m in patterns)
    psk = bytes.fromhex(v["init_psks"][0]) if psk_mode else None
    msgs = [(bytes.fromhex(m["payload"]), bytes.fromhex(m["ciphertext"])) for m in v["messages"]]
    kem_seed = bytes.fromhex(v["init_kem_seed"]) if hfs else None

    def encaps_from_vector(ek: bytes, hs: HandshakeState):
        # cryptography has no deterministic Encaps (and we write no ML-KEM of our own), so the
        # responder takes the ciphertext the vector's message 2 carries (after e; sealed under the
        # responder's current key in psk mode) and the shared secret from cryptography's (OpenSSL's)
        # Decaps with the seeded key.  The responder's message 2 must then match byte for byte,
        # which also checks that libsodium's enc_deterministic gave that ciphertext for that ek.
        if ek != KemKey(kem_seed).pub:
            raise AssertionError("ek in message 1 is not KeyGen(init_kem_seed)'s")
        sealed = msgs[1][1][32:32 + CTLEN + (16 if hs.sym.cipher.k is not None else 0)]
        ct = sealed if hs.sym.cipher.k is None else aead_decrypt(hs.sym.cipher.k, hs.sym.cipher.n, hs.sym.h, sealed)
        ss = KemKey(kem_seed).sk.decapsulate(ct)
        bad = bytes([ct[0] ^ 1]) + ct[1:]       # implicit rejection: J(z || c), so z = seed[32:]
        if KemKey(kem_seed).sk.decapsulate(bad) != hashlib.shake_256(kem_seed[32:] + bad).digest(32):
            raise AssertionError("Decaps of a modified ciphertext is not J(z || c): the seed is not d || z")
        counts["kem_encaps_checks"] += 1
        return ct, ss

    init = HandshakeState(name, patterns, True, bytes.fromhex(v["init_prologue"]),
                          DHKey(bytes.fromhex(v["init_static"])), DHKey(bytes.fromhex(v["init_ephemeral"])),
                          kem_seed=kem_seed, psk=psk)
    resp = HandshakeState(name, patterns, False, bytes.fromhex(v["resp_prologue"]),
                          DHKey(bytes.fromhex(v["resp_static"])), DHKey(bytes.fromhex(v["resp_ephemeral"])),
                          encaps=encaps_from_vector, psk=bytes.fromhex(v["resp_psks"][0]) if psk_mode else None)
    label = name
    try:
        for i, (payload, ct) in enumerate(msgs):
            # cacophony: all messages alternate (XX: message 4, the first transport one, is the
            # responder's).  securechat-v2-hfs.json: the transport messages alternate starting again
            # with the initiator (message 4 is "transport 1 from initiator"), as their payloads say.
            init_sends = i % 2 == 0 if not hfs or i < len(patterns) else (i - len(patterns)) % 2 == 0
            if b"from initiator" in payload and not init_sends or b"from responder" in payload and init_sends:
                raise AssertionError(f"message {i + 1}: direction does not match its payload's label")
            w, r = (init, resp) if init_sends else (resp, init)
            if i < len(patterns):
                out = w.write_message(payload)
                got = r.read_message(ct)
            else:
                out = w.send_cipher.encrypt_with_ad(b"", payload)
                got = r.recv_cipher.decrypt_with_ad(b"", ct)
                if hfs:         # SecureChat v2 vectors: Rekey after every transport message
                    w.send_cipher.rekey()
                    r.recv_cipher.rekey()
            if out != ct:
                raise AssertionError(f"message {i + 1}: our ciphertext differs")
            if got != payload:
                raise AssertionError(f"message {i + 1}: decrypted payload differs")
            counts["noise_messages"] += 1
        for hs in (init, resp):
            if hs.handshake_hash.hex() != v["handshake_hash"]:
                raise AssertionError("handshake hash differs")
        counts["noise_vectors"] += 1
    except Exception as exc:    # noqa: BLE001 - reported
        failures.append(f"{label}: {type(exc).__name__}: {exc}")


def _cpace(counts: dict, failures: list) -> None:
    d = _vec("ristretto255-sha512.json")
    c = d["G_Coffee25519"]
    x = {k: bytes.fromhex(v) for k, v in c.items()}
    try:
        g = cpace_generator(x["PRS"], x["CI"], x["sid"])
        checks = [
            ("g", g, x["g"]),
            ("Ya", sodium().scalarmult(x["ya"], g), x["Ya"]),
            ("Yb", sodium().scalarmult(x["yb"], g), x["Yb"]),
            ("K (initiator)", scalar_mult_vfy(x["ya"], x["Yb"]), x["K"]),
            ("K (responder)", scalar_mult_vfy(x["yb"], x["Ya"]), x["K"]),
            ("ISK_IR", cpace_isk(x["sid"], x["K"], x["Ya"], x["ADa"], x["Yb"], x["ADb"]), x["ISK_IR"]),
        ]
        p = d["G_Coffee25519_points"]
        valid = p["Valid"]
        checks.append(("scalar_mult_vfy(valid)", scalar_mult_vfy(bytes.fromhex(valid["s"]), bytes.fromhex(valid["X"])),
                       bytes.fromhex(valid["G.scalar_mult_vfy(s,X)"])))
        for what, got, want in checks:
            if got != want:
                failures.append(f"CPace {what} differs")
            else:
                counts["cpace_checks"] += 1
        for key in [k for k in p if k.startswith("Invalid")]:
            try:
                scalar_mult_vfy(bytes.fromhex(valid["s"]), bytes.fromhex(p[key]))
                failures.append(f"CPace {key} was accepted")
            except PeerError:
                counts["cpace_invalid_rejected"] += 1
    except PeerError as exc:
        failures.append(f"CPace: {exc.message}")


def _extra_checks(counts: dict, failures: list) -> None:
    """Non-vector checks of our own rules: canonical X25519 keys, SAS format, JSON strictness."""
    def expect(ok: bool, what: str):
        if ok:
            counts["rule_checks"] += 1
        else:
            failures.append(what)

    for bad in (bytes(31) + b"\x80", (P25519).to_bytes(32, "little"), b"\xff" * 32):
        try:
            check_x25519_public(bad, "k")
            expect(False, f"non-canonical X25519 key {bad.hex()} accepted")
        except PeerError:
            expect(True, "")
    try:
        dh(DHKey(), bytes(32))      # the zero point: all-zero shared secret
        expect(False, "all-zero X25519 shared secret accepted")
    except PeerError:
        expect(True, "")
    s = sas(bytes(32), bytes(32), bytes(16), bytes(16))
    v = int.from_bytes(sha256(SAS_LABEL + bytes(96))[:8], "big") % 10**12
    expect(s.replace(" ", "") == f"{v:012d}" and len(s) == 14, "SAS format")
    for bad_json in (b'{"a":1,"a":2}', b'[1]', b'{"a":{"b":{"c":1}}}', b"\xff", b'{"a":NaN}', b"{" + b" " * 1100 + b"}"):
        try:
            parse_payload_json(bad_json)
            expect(False, f"bad JSON payload {bad_json[:20]!r} accepted")
        except PeerError:
            expect(True, "")
    expect(parse_payload_json(b'{"a":{"b":1},"c":[1]}') == {"a": {"b": 1}, "c": [1]}, "depth-2 JSON rejected")


def _wycheproof_x25519(counts: dict, failures: list) -> None:
    """Our dh() against Wycheproof: a non-canonical public key (bit 255 set, u >= p) is rejected by
    our rule (spec §3, stricter than RFC 7748); otherwise an all-zero shared secret is rejected and
    every other result equals the vector's."""
    path = os.path.join(HERE, "..", "Vectors", "data", "wycheproof", "x25519_test.json")
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    for group in d["testGroups"]:
        for t in group["tests"]:
            pub, priv, shared = (bytes.fromhex(t[k]) for k in ("public", "private", "shared"))
            try:
                check_x25519_public(pub, "public")
            except PeerError:
                counts["x25519_noncanonical_rejected"] += 1
                continue
            try:
                got = dh(DHKey(priv), pub)
            except PeerError:
                got = None
            if shared == bytes(32):
                if got is None:
                    counts["x25519_zero_rejected"] += 1
                else:
                    failures.append(f"Wycheproof x25519 tcId {t['tcId']}: all-zero secret accepted")
            elif got == shared:
                counts["x25519_matches"] += 1
            else:
                failures.append(f"Wycheproof x25519 tcId {t['tcId']}: result differs")


def self_test() -> int:
    counts = {"noise_vectors": 0, "noise_messages": 0, "hybrid_vectors": 0, "kem_encaps_checks": 0, "cpace_checks": 0,
              "x25519_matches": 0, "x25519_zero_rejected": 0, "x25519_noncanonical_rejected": 0,
              "cpace_invalid_rejected": 0, "rule_checks": 0}
    failures: list[str] = []
    try:
        for v in _vec("cacophony-25519-aesgcm-sha256.json")["vectors"]:
            _noise_vector(v, counts, failures)
        before = counts["noise_vectors"]
        hybrid = _vec("securechat-v2-hfs.json")["vectors"]
        for v in hybrid:
            _noise_vector(v, counts, failures)
        counts["hybrid_vectors"] = counts["noise_vectors"] - before
        _cpace(counts, failures)
        _wycheproof_x25519(counts, failures)
        _extra_checks(counts, failures)
    except (OSError, ValueError, KeyError) as exc:
        failures.append(f"{type(exc).__name__}: {exc}")
    ok = not failures and counts["noise_vectors"] == 4 and counts["hybrid_vectors"] == 2 \
        and counts["kem_encaps_checks"] == 2 and counts["cpace_checks"] == 7 and counts["cpace_invalid_rejected"] >= 2 \
        and counts["x25519_matches"] + counts["x25519_zero_rejected"] + counts["x25519_noncanonical_rejected"] == 518
    counts.update(ok=ok, failures=failures)
    print(json.dumps(counts), flush=True)
    return 0 if ok else 1


# ------------------------------------------------------------------ smoke: two peers against each other

def smoke() -> int:
    """Runs pairs of this script on loopback; prints one JSON line; exit 0 if all behaved."""
    me = os.path.abspath(__file__)
    results: dict[str, object] = {}

    def start(args, passphrase=None):
        env = dict(os.environ)
        env.pop("SECURECHAT_PASSPHRASE", None)
        if passphrase is not None:
            env["SECURECHAT_PASSPHRASE"] = passphrase
        return subprocess.Popen([sys.executable, me, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)

    def events(p, stdin_lines=b""):
        out, err = p.communicate(stdin_lines, timeout=60)
        return [json.loads(x) for x in out.decode().splitlines() if x.strip()], p.returncode

    def pair(name, rargs, iargs, rpass=None, ipass=None, iin=b'{"cmd":"send","text":"hi \\u00e9"}\n{"cmd":"close","reason":"bye"}\n'):
        r = start(["--role", "responder", "--port", "0", *rargs], rpass)
        first = json.loads(r.stdout.readline())
        port = str(first["port"])
        i = start(["--role", "initiator", "--host", "127.0.0.1", "--port", port, *iargs], ipass)
        ie, ic = events(i, iin)
        re_, rc = events(r)
        re_ = [first] + re_
        results[name] = {"initiator": ie, "initiator_exit": ic, "responder": re_, "responder_exit": rc}
        return ie, ic, re_, rc

    ok = True
    for mode, pw in (("xx", None), ("psk", "caf\u00e9")):
        ie, ic, re_, rc = pair(mode, ["--mode", mode], ["--mode", mode], pw,
                               "cafe\u0301" if pw else None)      # NFC: both spell the same passphrase
        est = [e for e in ie + re_ if e["event"] == "established"]
        ok &= (ic == 0 and rc == 0 and len(est) == 2 and est[0]["sas"] == est[1]["sas"]
               and est[0]["handshake_hash"] == est[1]["handshake_hash"]
               and est[0]["peer_payload"] == {"software": "v2_peer.py"}
               and {"event": "text", "text": "hi \u00e9"} in re_
               and {"event": "closed", "reason": "bye"} in re_)
    ie, ic, re_, rc = pair("wrong-passphrase", ["--mode", "psk"], ["--mode", "psk"], "right", "wrong")
    ok &= ic == 3 and rc == 3 and any(e.get("code") == 5 for e in ie) and not any(e["event"] == "established" for e in ie)
    ie, ic, re_, rc = pair("v1-hello", [], ["--send-v1-hello"])
    ok &= ic == 3 and ie[-1].get("scerr_code") == 1
    ie, ic, re_, rc = pair("busy-after-msg3", ["--mode", "psk", "--refuse-after-msg3", "4"], ["--mode", "psk"], "x", "x")
    ok &= ic == 1 and rc == 3 and not any(e["event"] == "established" for e in ie)
    ie, ic, re_, rc = pair("auth-refused-after-msg3", ["--refuse-after-msg3", "6"], [])
    ok &= ic == 3 and ie[-1].get("code") == 6
    ie, ic, re_, rc = pair("mode-mismatch", ["--mode", "psk"], [], "x")
    ok &= ic == 3 and ie[-1].get("code") == 2
    ie, ic, re_, rc = pair("refuse-code", ["--refuse-code", "4"], [])
    ok &= ic == 3 and ie[-1].get("code") == 4
    ie, ic, re_, rc = pair("bad-version", [], ["--hello-version", "3"])
    ok &= ic == 3 and ie[-1].get("code") == 1
    ie, ic, re_, rc = pair("wrong-commit", [], ["--wrong-commit"])
    ok &= ic == 3 and rc == 3 and ie[-1].get("code") == 5
    ie, ic, re_, rc = pair("noncanonical-ephemeral", [], ["--noncanonical-ephemeral"])
    ok &= rc == 1 and "canonical" in re_[-1].get("message", "") and ic == 1
    ie, ic, re_, rc = pair("refuse-after-ready", [], [], iin=b'{"cmd":"refuse","code":5,"reason":"late"}\n')
    ok &= rc == 1 and re_[-1].get("kind") == "protocol"
    results["ok"] = bool(ok)
    print(json.dumps(results), flush=True)
    return 0 if ok else 1


def main() -> None:
    ap = argparse.ArgumentParser(description="SecureChat protocol v2 independent peer")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--role", choices=("initiator", "responder"))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--mode", choices=("xx", "psk"), default="xx")
    ap.add_argument("--channel", default="", help="CPace channel (relay nameplate, ASCII digits)")
    ap.add_argument("--identity-seed", help="32-byte X25519 private key, hex (default: fresh)")
    ap.add_argument("--payload", default=PAYLOAD.decode(), help="msg2/msg3 JSON object")
    ap.add_argument("--refuse-code", type=int, help="responder: REFUSE with this code right after HELLO")
    ap.add_argument("--refuse-after-msg3", type=int, help="responder: read msg3, then REFUSE with this code")
    ap.add_argument("--send-v1-hello", action="store_true", help="initiator: send a v1 hello, report the reply")
    ap.add_argument("--hello-version", type=int, default=VERSION, help="initiator: HELLO version byte")
    ap.add_argument("--wrong-commit", action="store_true",
                    help="initiator: msg1's commit is not SHA-256(label || n_i) (the responder must REFUSE 5)")
    ap.add_argument("--noncanonical-ephemeral", action="store_true",
                    help="send our ephemeral key with bit 255 set (the peer must reject it)")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if args.smoke:
        sys.exit(smoke())
    if args.role is None:
        ap.error("--role is required (or --self-test / --smoke)")
    if args.port is None:
        if args.role == "initiator":
            ap.error("--port is required for the initiator")
        args.port = 0
    if args.channel and not args.channel.isdigit() or not args.channel.isascii():
        ap.error("--channel: ASCII digits")
    args.payload = args.payload.encode("utf-8")
    run_peer(args)


if __name__ == "__main__":
    main()
