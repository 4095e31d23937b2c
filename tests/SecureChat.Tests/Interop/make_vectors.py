#!/usr/bin/env python3
"""Deterministic SecureChat/Noise test vectors from fixed keys.

Reuses the protocol code of noise_peer.py (the independent Python peer), runs both
sides of each handshake in memory, checks that they agree, and writes
../Vectors/data/securechat_noise_vectors.json (or the path given as argv[1]).
Two runs give byte-identical output: every key is fixed and AES-GCM is deterministic.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noise_peer as npr  # noqa: E402

OUT_DEFAULT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "Vectors", "data", "securechat_noise_vectors.json")
SCALAR_LABEL = "SecureChat test vector v1: "
PASSPHRASE = "correct horse battery staple Ünïcödé"
MSG2_PAYLOAD = b'{"software":"securechat-vectors/1","role":"responder"}'
MSG3_PAYLOAD = b'{"software":"securechat-vectors/1","role":"initiator","x-unknown":[1,2]}'
PING_BODY = bytes.fromhex("0011223344556677")

# (sender, type, body): three from the initiator in a row, two from the responder, one more
# from the initiator, so that consecutive rekeys in both directions are covered.
TRANSPORT = [
    ("initiator", npr.T_TEXT, "Hello, responder".encode("utf-8")),
    ("initiator", npr.T_TEXT, "Grüße aus Zürich: ☕ 日本語 🔐".encode("utf-8")),
    ("initiator", npr.T_PING, PING_BODY),
    ("responder", npr.T_PONG, PING_BODY),
    ("responder", npr.T_TEXT, "Ça va? 👍".encode("utf-8")),
    ("initiator", npr.T_CLOSE, "bye".encode("utf-8")),
]


def fixed_scalar(name: str) -> bytes:
    """SHA-256(label) reduced into [1, n-1], as 32 big-endian bytes."""
    digest = npr.sha256((SCALAR_LABEL + name).encode("ascii"))
    return ((int.from_bytes(digest, "big") % (npr.P256_ORDER - 1)) + 1).to_bytes(32, "big")


def make_case(pattern: str, passphrase: str | None) -> dict:
    keys = {name: fixed_scalar(name) for name in
            ("init_static", "init_ephemeral", "resp_static", "resp_ephemeral")}
    pairs = {name: npr.KeyPair.from_scalar(value) for name, value in keys.items()}
    prologue = npr.hello_bytes(pattern)
    psks = []

    def psk_fn(init_e: bytes, resp_e: bytes) -> bytes:
        psk = npr.derive_psk(passphrase, init_e, resp_e)
        psks.append(psk)
        return psk

    use_psk = passphrase is not None
    init = npr.HandshakeState(pattern, True, prologue, pairs["init_static"],
                              e=pairs["init_ephemeral"], psk_fn=psk_fn if use_psk else None)
    resp = npr.HandshakeState(pattern, False, prologue, pairs["resp_static"],
                              e=pairs["resp_ephemeral"], psk_fn=psk_fn if use_psk else None)

    msg1 = init.write_message(b"")
    assert resp.read_message(msg1) == b""
    msg2 = resp.write_message(MSG2_PAYLOAD)
    assert init.read_message(msg2) == MSG2_PAYLOAD
    msg3 = init.write_message(MSG3_PAYLOAD)
    assert resp.read_message(msg3) == MSG3_PAYLOAD
    # Expected sizes: msg1 65 (+16 in PSK mode, the empty payload is encrypted: Noise §9.2),
    # msg2 65 + 81 + payload+16, msg3 81 + payload+16.
    assert len(msg1) == 65 + (16 if use_psk else 0)
    assert len(msg2) == 65 + 81 + len(MSG2_PAYLOAD) + 16
    assert len(msg3) == 81 + len(MSG3_PAYLOAD) + 16
    assert init.complete and resp.complete
    assert init.handshake_hash == resp.handshake_hash
    assert init.rs == pairs["resp_static"].public_key and resp.rs == pairs["init_static"].public_key
    assert init.send_cipher.k == resp.recv_cipher.k and init.recv_cipher.k == resp.send_cipher.k
    if use_psk:
        assert len(psks) == 2 and psks[0] == psks[1]
        nfc = unicodedata.normalize("NFC", passphrase)
        assert nfc.encode("utf-8") != passphrase.encode("utf-8"), "passphrase must not already be NFC"
        assert npr.derive_psk(nfc, pairs["init_ephemeral"].public_key,
                              pairs["resp_ephemeral"].public_key) == psks[0]

    sides = {"initiator": npr.Transport(init.send_cipher, init.recv_cipher),
             "responder": npr.Transport(resp.send_cipher, resp.recv_cipher)}
    transport = []
    for sender, msg_type, body in TRANSPORT:
        receiver = "responder" if sender == "initiator" else "initiator"
        ciphertext = sides[sender].seal(msg_type, body)
        assert sides[receiver].open(ciphertext) == (msg_type, body)
        transport.append({"sender": sender, "plaintext": (bytes([msg_type]) + body).hex(),
                          "ciphertext": ciphertext.hex()})

    h = init.handshake_hash
    return {
        "name": pattern,
        "protocol_name": npr.protocol_name(pattern).decode("ascii"),
        "prologue": prologue.hex(),
        **{name: value.hex() for name, value in keys.items()},
        "init_static_public": pairs["init_static"].public_key.hex(),
        "resp_static_public": pairs["resp_static"].public_key.hex(),
        "passphrase_utf8_hex": passphrase.encode("utf-8").hex() if use_psk else None,
        "psk": psks[0].hex() if use_psk else None,
        "msg2_payload": MSG2_PAYLOAD.hex(),
        "msg3_payload": MSG3_PAYLOAD.hex(),
        "messages": [msg1.hex(), msg2.hex(), msg3.hex()],
        "handshake_hash": h.hex(),
        "sas": npr.session_code(h),
        "init_fingerprint": npr.fingerprint(pairs["init_static"].public_key),
        "resp_fingerprint": npr.fingerprint(pairs["resp_static"].public_key),
        "transport": transport,
    }


def main() -> None:
    out_path = sys.argv[1] if len(sys.argv) > 1 else OUT_DEFAULT
    passphrase_nfd = unicodedata.normalize("NFD", PASSPHRASE)
    doc = {
        "source": (
            "Generated by tests/SecureChat.Tests/Interop/make_vectors.py with the independent Python "
            "peer noise_peer.py (Python 3 + the 'cryptography' package), written from the SecureChat "
            "wire-protocol specification and Noise revision 34. Private scalars are "
            "(SHA-256(ASCII '" + SCALAR_LABEL + "' + field name) mod (n-1)) + 1, with n the P-256 order, "
            "for the field names init_static, init_ephemeral, resp_static, resp_ephemeral. "
            "All hex is lowercase. messages are the Noise handshake messages without the 2-byte frame "
            "length; msg1's payload is empty. The XXpsk3 passphrase is 'correct horse battery staple "
            "\u00dcn\u00efc\u00f6d\u00e9' stored in passphrase_utf8_hex in NFD form: implementations must "
            "NFC-normalise it before PBKDF2 (salt = 'SecureChat PSK v1' || initiator ephemeral public "
            "key || responder ephemeral public key, 600000 iterations). transport lists consecutive "
            "transport messages: the initiator encrypts with the first CipherState of Split(), the "
            "responder with the second, each with empty associated data, and every CipherState is "
            "rekeyed (Noise REKEY) after each message it encrypts or decrypts; the nonce counter n is "
            "not reset by rekeying. plaintext is type byte || body."
        ),
        "cases": [make_case("XX", None), make_case("XXpsk3", passphrase_nfd)],
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=True) + "\n")
    print(f"wrote {os.path.normpath(out_path)}")


if __name__ == "__main__":
    main()
