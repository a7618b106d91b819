#!/usr/bin/python3
"""A client not written in C++ talks to dcp's gRPC collector.

Generates Python stubs from proto/dcp.proto at test time (python3-grpc-tools), starts the
collector (grpc_collector_server from the build, port 0) and drives it with python3-grpcio:
gravity's Process RPC one message at a time, the batched RPC, GetAckedPositions and the
token check. Must run with /usr/bin/python3 (Debian's grpc modules live there).

Usage: grpc_python_client_test.py SOURCE_DIR SERVER_BINARY
"""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR, SERVER = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

GEN_DIR = tempfile.mkdtemp(prefix="dcp-grpc-py-")
atexit.register(shutil.rmtree, GEN_DIR, True)
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(SOURCE_DIR, "proto"),
                "--python_out", GEN_DIR, "--grpc_python_out", GEN_DIR,
                os.path.join(SOURCE_DIR, "proto", "dcp.proto")], check=True)
sys.path.insert(0, GEN_DIR)

import grpc  # noqa: E402
import dcp_pb2  # noqa: E402
import dcp_pb2_grpc  # noqa: E402

TOKEN = "py-secret-token"


class Server:
    """Runs grpc_collector_server; it prints 'port N' once listening and exits on stdin EOF."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([SERVER, "--tags", "src,dst", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError("server did not start: %r" % line)
        self.port = int(line.split()[1])

    def stop(self):
        """Closes stdin; the server stops, drains its queue and prints what it received."""
        out, _ = self.proc.communicate(timeout=30)
        if self.proc.returncode != 0:
            raise RuntimeError("server exit code %d" % self.proc.returncode)
        return [l for l in out.splitlines() if l]


def barrier(tag, offset, seq=0):
    return dcp_pb2.Message(id="b-%d" % offset, tag=tag, barrier=offset, seq=seq)


def payload(tag, gtid, key, content, seq=0):
    return dcp_pb2.Message(id=gtid, tag=tag, timestamp=1700000000, seq=seq,
                           payload=dcp_pb2.Payload(id=key, content=content))


class GravityProcess(unittest.TestCase):
    def test_one_message_at_a_time(self):
        server = Server()
        try:
            with grpc.insecure_channel("127.0.0.1:%d" % server.port) as channel:
                stub = dcp_pb2_grpc.DCPServiceStub(channel)
                # A gravity client: send one, read one, on one open stream.
                import queue
                outbox = queue.Queue()

                def requests():
                    while True:
                        m = outbox.get()
                        if m is None:
                            return
                        yield m

                responses = stub.Process(requests())

                def send(m):
                    outbox.put(m)
                    r = next(responses)
                    self.assertEqual(r.id, m.id)
                    return r

                r = send(payload("src", "uuid:1", "1", 'INSERT [1,"a"]'))
                self.assertEqual(r.code, dcp_pb2.CODE_BEFORE_FIRST_BARRIER)
                self.assertNotEqual(r.code, 0)
                self.assertIn("first barrier", r.msg)
                self.assertEqual(send(barrier("src", 1)).code, 0)
                r = send(barrier("nosuchtag", 1))
                self.assertEqual(r.code, dcp_pb2.CODE_UNKNOWN_TAG)
                self.assertIn("nosuchtag", r.msg)
                # The stream is still up after the rejections.
                self.assertEqual(send(payload("src", "uuid:2", "1", 'INSERT [1,"a"]')).code, 0)
                self.assertEqual(send(barrier("src", 2)).code, 0)
                outbox.put(None)
                self.assertEqual(list(responses), [])
        finally:
            got = server.stop()
        self.assertEqual(got, ["src barrier 1 b-1", "src payload 1 uuid:2", "src barrier 2 b-2"])


class Batched(unittest.TestCase):
    def test_batch_round_trip_and_positions(self):
        server = Server()
        try:
            with grpc.insecure_channel("127.0.0.1:%d" % server.port) as channel:
                stub = dcp_pb2_grpc.DCPServiceStub(channel)
                msgs = [barrier("dst", 7, seq=1)] + [
                    payload("dst", "uuid:%d" % i, str(i), "UPDATE [%d]" % i, seq=i)
                    for i in range(2, 6)] + [barrier("bad", 1)]
                batch = dcp_pb2.MessageBatch(batch_id=9, messages=msgs)
                (resp,) = list(stub.ProcessBatch(iter([batch])))
                self.assertEqual(resp.batch_id, 9)
                self.assertEqual(resp.accepted, 5)
                self.assertEqual([(r.index, r.code) for r in resp.rejections],
                                 [(5, dcp_pb2.CODE_UNKNOWN_TAG)])
                self.assertEqual([(p.tag, p.seq) for p in resp.acked], [("dst", 5)])
                pos = stub.GetAckedPositions(dcp_pb2.AckedPositionsRequest(tags=["dst"]))
                self.assertEqual([(p.tag, p.seq) for p in pos.positions], [("dst", 5)])
        finally:
            got = server.stop()
        self.assertEqual(len(got), 5)
        self.assertEqual(got[0], "dst barrier 7 b-7")


class Token(unittest.TestCase):
    def test_missing_or_wrong_token_is_unauthenticated(self):
        server = Server("--token-env", "DCP_PY_TEST_TOKEN")
        try:
            with grpc.insecure_channel("127.0.0.1:%d" % server.port) as channel:
                stub = dcp_pb2_grpc.DCPServiceStub(channel)
                for md in [None, [("authorization", "Bearer nope")]]:
                    with self.assertRaises(grpc.RpcError) as cm:
                        list(stub.Process(iter([barrier("src", 1)]), metadata=md))
                    self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                ok = list(stub.Process(iter([barrier("src", 1)]),
                                       metadata=[("authorization", "Bearer " + TOKEN)]))
                self.assertEqual([(r.id, r.code) for r in ok], [("b-1", 0)])
        finally:
            got = server.stop()
        self.assertEqual(got, ["src barrier 1 b-1"])


if __name__ == "__main__":
    os.environ["DCP_PY_TEST_TOKEN"] = TOKEN
    unittest.main()
