#!/usr/bin/env python3
"""An independent relay client in Python (issue 13, docs/RELAY.md), written from the protocol text:
it lets v2_peer.py meet securechat through a relay.

  --role waiter --host RELAY --port RELAYPORT --local-port P
      allocate, print {"event":"allocated","nameplate":N}, wait for paired, then connect to
      127.0.0.1:P (a v2_peer.py responder) and forward bytes both ways.
  --role joiner --host RELAY --port RELAYPORT --nameplate N
      listen on 127.0.0.1, print {"event":"listening","port":P}, accept one connection (a
      v2_peer.py initiator), claim N, expect paired, then forward bytes both ways.
Errors: {"event":"relay-error","code":C} and exit 5.
"""
import argparse, json, socket, struct, sys, threading


def send_frame(sock, obj):
    body = b"\x10" + json.dumps(obj, separators=(",", ":")).encode()
    sock.sendall(struct.pack(">H", len(body)) + body)


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("relay closed")
        data += chunk
    return data


def read_frame(sock):
    (n,) = struct.unpack(">H", read_exact(sock, 2))
    if n == 0 or n > 1025:
        raise ValueError("not a control frame")
    body = read_exact(sock, n)
    if body[0] != 0x10:
        raise ValueError("not kind 0x10")
    return json.loads(body[1:].decode("utf-8"))


def emit(obj):
    print(json.dumps(obj), flush=True)


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def splice(a, b):
    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join()


def expect(answer, status):
    if answer.get("status") != status:
        emit({"event": "relay-error", "code": answer.get("code", answer.get("status"))})
        sys.exit(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=("waiter", "joiner"), required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--local-port", type=int)
    ap.add_argument("--nameplate")
    args = ap.parse_args()
    if args.role == "waiter":
        relay = socket.create_connection((args.host, args.port))
        send_frame(relay, {"op": "allocate"})
        answer = read_frame(relay)
        expect(answer, "allocated")
        emit({"event": "allocated", "nameplate": answer["nameplate"]})
        expect(read_frame(relay), "paired")
        local = socket.create_connection(("127.0.0.1", args.local_port))
        splice(relay, local)
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        emit({"event": "listening", "port": listener.getsockname()[1]})
        local, _ = listener.accept()
        relay = socket.create_connection((args.host, args.port))
        send_frame(relay, {"op": "claim", "nameplate": args.nameplate})
        expect(read_frame(relay), "paired")
        splice(local, relay)


if __name__ == "__main__":
    main()
