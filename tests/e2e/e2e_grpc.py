#!/usr/bin/python3
"""dcp with gRPC collectors only: two pushers (source and target view) push barriers and rows
over ProcessBatch; the daemon checks them, raises one Diff for the differing key, exposes the
window count in /metrics, and stops with status 0 on SIGTERM.

Usage: e2e_grpc.py SOURCE_DIR DCP_BINARY   (run with /usr/bin/python3)
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

SOURCE_DIR, DCP = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="dcp-e2e-grpc-", dir=os.environ.get("DCP_TEST_TMPDIR"))
subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(SOURCE_DIR, "proto"),
                "--python_out", WORK, "--grpc_python_out", WORK,
                os.path.join(SOURCE_DIR, "proto", "dcp.proto")], check=True)
sys.path.insert(0, WORK)
import grpc  # noqa: E402
import dcp_pb2  # noqa: E402
import dcp_pb2_grpc  # noqa: E402


def fail(msg, log=None):
    print("FAIL:", msg)
    if log:
        print(open(log).read()[-4000:])
    sys.exit(1)


def main():
    config = os.path.join(WORK, "dcp.toml")
    alarms = os.path.join(WORK, "alarms.jsonl")
    with open(config, "w") as f:
        f.write(f"""
[[collector]]
name = "pushed-src"
type = "grpc"
listen = "127.0.0.1:0"
tags = ["src"]

[[collector]]
name = "pushed-dst"
type = "grpc"
listen = "127.0.0.1:0"
tags = ["dst"]

[checker]
source-tag = "src"
target-tags = ["dst"]
tolerance = 0

[alarm]
log = "{alarms}"

[http]
listen = "127.0.0.1:0"

[state]
dir = "{WORK}/state"
""")
    log = os.path.join(WORK, "dcp.log")
    proc = subprocess.Popen([DCP, "run", "--config", config], stdout=open(log, "w"),
                            stderr=subprocess.STDOUT)
    try:
        ports, http = {}, None
        for _ in range(300):
            text = open(log).read()
            ports = dict(re.findall(r"collector (\S+): grpc listening on 127.0.0.1:(\d+)", text))
            m = re.search(r"http: listening on 127.0.0.1:(\d+)", text)
            if m and len(ports) == 2:
                http = int(m.group(1))
                break
            if proc.poll() is not None:
                fail("dcp exited at start", log)
            time.sleep(0.1)
        if http is None:
            fail("dcp did not start", log)

        def push(collector, tag, rows):
            msgs, seq = [], 0

            def add(**kw):
                nonlocal seq
                seq += 1
                msgs.append(dcp_pb2.Message(tag=tag, seq=seq, timestamp=1700000000, **kw))
            add(id="b1", barrier=1)
            for key, checksum in rows:
                add(id="g-%s" % key, checksum=checksum,
                    payload=dcp_pb2.Payload(id=key, content="UPDATE [%s]" % key))
            add(id="b2", barrier=2)
            with grpc.insecure_channel("127.0.0.1:%s" % ports[collector]) as ch:
                stub = dcp_pb2_grpc.DCPServiceStub(ch)
                (resp,) = list(stub.ProcessBatch(iter([dcp_pb2.MessageBatch(batch_id=1,
                                                                             messages=msgs)])))
                if resp.accepted != len(msgs):
                    fail("%s accepted %d of %d" % (collector, resp.accepted, len(msgs)), log)

        push("pushed-src", "src", [("t:1", "aa"), ("t:2", "bb"), ("t:3", "cc")])
        push("pushed-dst", "dst", [("t:1", "aa"), ("t:2", "XX"), ("t:3", "cc")])
        for _ in range(100):
            if os.path.exists(alarms) and open(alarms).read().strip():
                break
            time.sleep(0.1)
        lines = open(alarms).read().strip().splitlines() if os.path.exists(alarms) else []
        if len(lines) != 1 or '"kind":"diff"' not in lines[0] or '"t:2"' not in lines[0] \
                or '"total_keys":1' not in lines[0]:
            fail("expected one Diff for t:2, got %r" % lines, log)
        metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % http).read().decode()
        if 'dcp_target_windows_total{target="dst",result="diff"} 1\n' not in metrics:
            fail("windows compared not 1:\n" + metrics, log)
        if 'dcp_collector_messages_total{collector="pushed-dst",type="grpc"} 5\n' not in metrics:
            fail("pushed-dst messages not 5:\n" + metrics, log)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        if rc != 0:
            fail("dcp exited with %d on SIGTERM" % rc, log)
        print("PASS")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    shutil.rmtree(WORK, ignore_errors=True)


main()
