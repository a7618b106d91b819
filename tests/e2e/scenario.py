#!/usr/bin/python3
"""Proof under load: a real pipeline, sysbench, injected faults, detection figures.

A throwaway MariaDB primary and native replica (build/bin/dcp-testdb); sysbench
oltp_write_only drives the primary; the real `dcp` daemon watches the pair and sends alarms
to a webhook receiver in this process. While the load runs, faults are injected in rounds:

  F1 direct writes on the replica (insert, update of a non-key column, delete)
  F2 a replicated transaction skipped on the replica (GTID skip: gtid_slave_pos moved past it)
  F3 a replication filter (replicate_ignore_table) drops one table's changes for a while
  F4 the replica's SQL thread stopped for longer than the checker's timeout, then restarted
  F5 dcp killed with SIGKILL and restarted (a divergence is made while it is down)
  F6 the webhook receiver down for a while (a divergence is made while it is down)
  F7 the source collector's binlog connection killed on the server (plus a divergence)

Faults that change rows use keys sysbench never touches (ids above --table-size, seeded
before the load), so each divergence is known exactly; F3 diverges whatever sysbench
changes in the filtered table. Afterwards every alarm is attributed to a fault (anything
else is a false alarm), detection latency is taken from the alarm's time, `verifier data`
must find exactly the divergences still present (checked row by row on both servers), and
`padder repair` from its report must make the pair equal.

Usage: scenario.py --build DIR [--seconds N | --minutes N] [--rate TPS] [--threads N]
                   [--tables N] [--table-size N] [--summary-json F] [--summary-md F] [--keep]
Servers and files live under $DCP_TEST_TMPDIR (default /tmp). Exit 0 when every assertion
holds, 1 otherwise (the summary table is printed either way).
"""
import argparse
import collections
import datetime
import http.server
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


def log(msg):
    print(f"[{datetime.datetime.utcnow():%H:%M:%S}] {msg}", flush=True)


class Failure(Exception):
    pass


# --- servers ---------------------------------------------------------------------------------

class Server:
    """One MariaDB server reached with the mariadb command-line client."""

    def __init__(self, name, port):
        self.name = name
        self.port = port

    def dsn(self, db=""):
        return f"mysql://dcp:dcp@127.0.0.1:{self.port}/{db}"

    def q(self, sql, check=True):
        r = subprocess.run(
            ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{self.port}", "-udcp", "-pdcp",
             "-N", "-B", "-e", sql], capture_output=True, text=True)
        if check and r.returncode != 0:
            raise Failure(f"{self.name}: {sql!r}: {r.stderr.strip()}")
        return [line.split("\t") for line in r.stdout.splitlines()]

    def one(self, sql):
        rows = self.q(sql)
        return rows[0][0] if rows else None


# --- webhook receiver ------------------------------------------------------------------------

class Webhook:
    """An HTTP receiver that can be stopped and restarted on the same port."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (arrival time, sequence header, parsed body)
        self.server = None
        self.thread = None
        self.port = 0
        self.start()

    def start(self):
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with hook.lock:
                    hook.received.append((time.time(), self.headers.get("X-Dcp-Alarm-Sequence"),
                                          json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    def bodies(self):
        with self.lock:
            return list(self.received)


# --- dcp process and its resource use --------------------------------------------------------

class Dcp:
    def __init__(self, binary, config, logfile):
        self.binary, self.config, self.logfile = binary, config, logfile
        self.proc = None
        self.http_port = None
        self.cpu_ticks = {}  # pid -> last utime+stime
        self.peak_rss_kb = 0
        self.run_seconds = 0.0
        self.started_at = None
        self.lock = threading.Lock()
        self.sampling = True
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def start(self):
        skip = os.path.getsize(self.logfile) if os.path.exists(self.logfile) else 0
        out = open(self.logfile, "ab")
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.config],
                                     stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.started_at = time.time()
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.logfile, "rb") as f:
                f.seek(skip)
                m = re.search(rb"http: listening on [0-9.]+:([0-9]+)", f.read())
            if m:
                self.http_port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                raise Failure(f"dcp exited at start with {self.proc.returncode}")
            time.sleep(0.1)
        raise Failure("dcp did not start its HTTP server")

    def _account_stop(self):
        if self.started_at is not None:
            self.run_seconds += time.time() - self.started_at
            self.started_at = None

    def kill9(self):
        self._read_proc(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._account_stop()

    def stop(self):
        self._read_proc(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed after 60 s"
        self._account_stop()
        return rc

    def _read_proc(self, pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            with open(f"/proc/{pid}/status") as f:
                hwm = [int(l.split()[1]) for l in f if l.startswith("VmHWM:")]
            with self.lock:
                self.cpu_ticks[pid] = ticks
                if hwm:
                    self.peak_rss_kb = max(self.peak_rss_kb, hwm[0])
        except (OSError, IndexError, ValueError):
            pass

    def _sample(self):
        while self.sampling:
            p = self.proc
            if p is not None and p.poll() is None:
                self._read_proc(p.pid)
            time.sleep(0.5)

    def cpu_seconds(self):
        with self.lock:
            return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")

    def compared(self, target="dst"):
        """Windows compared for the target (same + diff), None when dcp does not answer."""
        same = self.metric(f'dcp_target_windows_total{{target="{target}",result="same"}}')
        diff = self.metric(f'dcp_target_windows_total{{target="{target}",result="diff"}}')
        return None if same is None or diff is None else same + diff

    def metric(self, name):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics",
                                        timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        for line in text.splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and parts[0] == name:
                return float(parts[1])
        return None


# --- the scenario ----------------------------------------------------------------------------

def parse_time(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def alarm_keys(alarm):
    """(table, id) of each key of a diff alarm; ids are sysbench's integer keys."""
    out = []
    for k in alarm.get("keys", []):
        parts = json.loads(k["key"])
        out.append((parts[0], int(parts[1].split(":", 1)[1])))
    return out


class Scenario:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        tmp = os.environ.get("DCP_TEST_TMPDIR", "/tmp")
        os.makedirs(tmp, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="dcp-scenario-", dir=tmp)
        self.interval = 1.0
        self.tolerance = 1
        self.timeout = float(args.timeout)
        # The bound: (tolerance + 1) x interval + timeout.
        self.bound = (self.tolerance + 1) * self.interval + self.timeout
        self.faults = []
        self.errors = []
        self.next_reserved = {}  # table -> next unused seeded id
        self.next_extra = args.table_size + 1_000_000
        self.sysbench = None
        self.dcp = None
        self.webhook = None
        self.primary = self.replica = None
        self.load_started = self.load_ended = None

    # -- setup --
    def start_pair(self):
        state = os.path.join(self.work, "pair.env")
        subprocess.run([os.path.join(self.build, "bin", "dcp-testdb"), "start", "--state", state,
                        "--replica", "--server-id", "271"], check=True,
                       stdout=subprocess.DEVNULL)
        env = dict(l.strip().split("=", 1) for l in open(state) if "=" in l)
        self.primary = Server("primary", env["DCP_TESTDB_PRIMARY_PORT"])
        self.replica = Server("replica", env["DCP_TESTDB_REPLICA_PORT"])

    def stop_pair(self):
        state = os.path.join(self.work, "pair.env")
        if os.path.exists(state):
            subprocess.run([os.path.join(self.build, "bin", "dcp-testdb"), "stop", "--state",
                            state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sysbench_cmd(self, *extra):
        a = self.args
        return ["sysbench", "oltp_write_only", "--db-driver=mysql", "--mysql-host=127.0.0.1",
                f"--mysql-port={self.primary.port}", "--mysql-user=dcp", "--mysql-password=dcp",
                "--mysql-db=sbtest", f"--tables={a.tables}", f"--table-size={a.table_size}",
                *extra]

    def prepare(self):
        a = self.args
        self.primary.q("CREATE DATABASE sbtest")
        r = subprocess.run(self.sysbench_cmd("prepare"), capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"sysbench prepare: {r.stderr or r.stdout}")
        # Seed rows sysbench never touches (its ids are 1..table-size): the faults' keys.
        for t in self.tables():
            self.primary.q(
                f"INSERT INTO {t} (id, k, c, pad) SELECT {a.table_size} + seq, seq, "
                f"CONCAT('seed-', seq), 'seed' FROM sbtest.seq_1_to_{a.reserved}")
            self.next_reserved[t] = a.table_size + 1
        self.wait_replicated()

    def tables(self):
        return [f"sbtest.sbtest{i}" for i in range(1, self.args.tables + 1)]

    def wait_replicated(self, secs=120):
        pos = self.primary.one("SELECT @@gtid_binlog_pos")
        if self.replica.one(f"SELECT MASTER_GTID_WAIT('{pos}', {secs})") != "0":
            raise Failure(f"the replica did not reach {pos} within {secs} s")

    def write_config(self):
        cfg = os.path.join(self.work, "dcp.toml")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pair_config.sh")
        with open(cfg, "w") as f:
            subprocess.run(
                ["bash", "-c", 'source "$0" && pair_config "$@"', script,
                 self.primary.port, self.replica.port, "sbtest.*",
                 f"{int(self.interval * 1000)}ms", str(self.tolerance), f"{int(self.timeout)}s",
                 self.work, "DCP_SCENARIO_PASSWORD",
                 f'webhook = "http://127.0.0.1:{self.webhook.port}/hook"',
                 "max-sample-keys = 10000"], stdout=f, check=True)
        os.environ["DCP_SCENARIO_PASSWORD"] = "dcp"
        return cfg

    def wait_windows(self, n, secs=60):
        start = self.dcp.compared() or 0
        deadline = time.time() + secs
        while time.time() < deadline:
            v = self.dcp.compared()
            if v is not None and v >= start + n:
                return
            time.sleep(0.25)
        raise Failure(f"dcp did not compare {n} more windows within {secs} s")

    # -- faults --
    def reserved(self, table, n):
        first = self.next_reserved[table]
        if first + n - 1 > self.args.table_size + self.args.reserved:
            raise Failure("out of seeded rows for faults: raise --reserved")
        self.next_reserved[table] = first + n
        return list(range(first, first + n))

    def table_for(self, i):
        ts = self.tables()
        return ts[i % len(ts)]

    def fault(self, name, **kw):
        f = {"name": name, "start": time.time(), "end": None, "keys": [], "table": None,
             "detect_from": None}
        f.update(kw)
        self.faults.append(f)
        return f

    def replica_update(self, table, tag):
        (rid,) = self.reserved(table, 1)
        self.replica.q(f"UPDATE {table} SET c = '{tag}' WHERE id = {rid}")
        return (table, rid)

    def f1_direct_writes(self, i):
        t = self.table_for(i)
        upd, dele = self.reserved(t, 2)
        ins = self.next_extra
        self.next_extra += 1
        f = self.fault("F1 direct writes on the replica", table=t)
        self.replica.q(f"INSERT INTO {t} (id, k, c, pad) VALUES ({ins}, 0, 'f1-insert', 'x');"
                       f"UPDATE {t} SET c = 'f1-update' WHERE id = {upd};"
                       f"DELETE FROM {t} WHERE id = {dele}")
        f["keys"] = [(t, ins), (t, upd), (t, dele)]
        f["end"] = time.time()

    def f2_skipped_transaction(self, i):
        t = self.table_for(i + 1)
        (rid,) = self.reserved(t, 1)
        f = self.fault("F2 replicated transaction skipped", table=t)
        self.replica.q("STOP SLAVE")
        # A transaction of its own GTID domain, so that moving the replica's position past it
        # skips exactly this transaction and nothing of sysbench's.
        gtid = self.primary.q(f"SET SESSION gtid_domain_id = 9; "
                              f"UPDATE {t} SET c = 'f2-skipped' WHERE id = {rid}; "
                              f"SELECT @@last_gtid")[0][0]
        pos = [g for g in self.replica.one("SELECT @@gtid_slave_pos").split(",")
               if g and not g.startswith("9-")]
        pos.append(gtid)
        self.replica.q(f"SET GLOBAL gtid_slave_pos = '{','.join(pos)}'; START SLAVE")
        f["keys"] = [(t, rid)]
        f["end"] = time.time()

    def f3_filter(self, i, seconds):
        t = self.table_for(i + 2)
        f = self.fault("F3 replication filter drops a table", table=t)
        self.replica.q(f"STOP SLAVE; SET GLOBAL replicate_ignore_table = '{t}'; START SLAVE")
        time.sleep(seconds)
        self.replica.q("STOP SLAVE; SET GLOBAL replicate_ignore_table = ''; START SLAVE")
        f["end"] = time.time()

    def f4_sql_thread(self):
        f = self.fault("F4 replica SQL thread stopped past the timeout")
        self.replica.q("STOP SLAVE SQL_THREAD")
        time.sleep(self.timeout + 4)
        self.replica.q("START SLAVE SQL_THREAD")
        f["end"] = time.time()

    def f5_kill_dcp(self, i):
        t = self.table_for(i + 3)
        f = self.fault("F5 dcp killed (-9) and restarted", table=t)
        self.dcp.kill9()
        f["keys"] = [self.replica_update(t, "f5-while-dcp-down")]
        time.sleep(3)
        self.dcp.start()
        f["detect_from"] = time.time()
        f["end"] = time.time()

    def f6_webhook_down(self, i):
        t = self.table_for(i + 4)
        f = self.fault("F6 webhook receiver down", table=t)
        self.webhook.stop()
        key = self.replica_update(t, "f6-while-webhook-down")
        f["keys"] = [key]
        deadline = time.time() + self.bound + 5
        while time.time() < deadline and not self.alarmed(key):
            time.sleep(0.25)
        time.sleep(3)
        self.webhook.start()
        f["end"] = time.time()

    def f7_kill_connection(self, i):
        t = self.table_for(i + 5)
        f = self.fault("F7 source collector's connection killed", table=t)
        before = self.dcp.metric('dcp_collector_reconnects_total{collector="source",type="mysql"}')
        ids = self.primary.q("SELECT ID FROM information_schema.PROCESSLIST "
                             "WHERE COMMAND LIKE 'Binlog Dump%' AND USER = 'dcp'")
        if not ids:
            raise Failure("F7: no binlog dump thread of dcp on the primary")
        for (tid,) in ids:
            self.primary.q(f"KILL {tid}", check=False)
        f["keys"] = [self.replica_update(t, "f7-after-kill")]
        deadline = time.time() + 30
        while time.time() < deadline:
            now = self.dcp.metric(
                'dcp_collector_reconnects_total{collector="source",type="mysql"}')
            if now is not None and now > (before or 0):
                break
            time.sleep(0.25)
        else:
            self.errors.append("F7: the source collector did not report a reconnect")
        f["end"] = time.time()

    def alarms(self):
        path = os.path.join(self.work, "alarms.jsonl")
        if not os.path.exists(path):
            return []
        out = []
        with open(path) as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # the line dcp is writing right now
        return out

    def alarmed(self, key):
        return any(a["kind"] == "diff" and key in alarm_keys(a) for a in self.alarms())

    # -- the run --
    def run(self):
        a = self.args
        self.start_pair()
        log(f"pair up: primary {self.primary.port}, replica {self.replica.port}")
        self.prepare()
        log(f"sysbench prepared: {a.tables} tables x {a.table_size} rows (+{a.reserved} seeded)")
        self.webhook = Webhook()
        cfg = self.write_config()
        self.dcp = Dcp(os.path.join(self.build, "bin", "dcp"), cfg,
                       os.path.join(self.work, "dcp.log"))
        self.dcp.start()
        self.wait_windows(2)
        log(f"dcp comparing windows (http {self.dcp.http_port}); load for {a.seconds} s")

        sb_out = open(os.path.join(self.work, "sysbench.txt"), "w")
        self.sysbench = subprocess.Popen(
            self.sysbench_cmd(f"--threads={a.threads}", f"--rate={a.rate}",
                              f"--time={a.seconds}", "--report-interval=10", "run"),
            stdout=sb_out, stderr=subprocess.STDOUT)
        self.load_started = time.time()
        end = self.load_started + a.seconds
        time.sleep(min(5, a.seconds / 10))
        steps = [
            lambda i: self.f1_direct_writes(i),
            lambda i: self.f2_skipped_transaction(i),
            lambda i: self.f3_filter(i, a.filter_seconds),
            lambda i: self.f7_kill_connection(i),
            lambda i: self.f5_kill_dcp(i),
            lambda i: self.f6_webhook_down(i),
            lambda i: self.f4_sql_thread(),
        ]
        # Time a round needs, roughly: filter + restart + webhook + SQL stop + pauses.
        round_secs = a.filter_seconds + 4 + self.bound + 3 + self.timeout + 4 + 7 * a.pause
        rnd = 0
        while rnd == 0 or time.time() + round_secs < end - self.bound:
            log(f"round {rnd + 1} of faults")
            for step in steps:
                step(rnd)
                log(f"  {self.faults[-1]['name']} ({self.faults[-1]['end'] - self.faults[-1]['start']:.1f} s)")
                time.sleep(a.pause)
            rnd += 1
        self.sysbench.wait()
        sb_out.close()
        self.load_ended = time.time()
        if self.sysbench.returncode != 0:
            raise Failure(f"sysbench run exited with {self.sysbench.returncode}")
        log("load done; waiting for the replica and the last windows")
        self.wait_replicated()
        self.wait_windows(self.tolerance + 3)
        # Every alarm reaches the webhook (the spool resends what the receiver missed).
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.webhook_missing() == set():
                break
            time.sleep(0.5)
        rc = self.dcp.stop()
        if rc != 0:
            self.errors.append(f"dcp exited with {rc} on SIGTERM")
        self.dcp.sampling = False
        self.check()
        self.verify_and_repair()

    def webhook_missing(self):
        def ident(a):
            return (a["kind"], a.get("from_barrier"), a.get("to_barrier"),
                    tuple(k["key"] for k in a.get("keys", [])))
        got = {ident(b) for _, _, b in self.webhook.bodies()}
        return {ident(a) for a in self.alarms()} - got

    # -- assertions --
    def check(self):
        alarms = self.alarms()
        bound = self.bound
        key_fault = {}
        for f in self.faults:
            for k in f["keys"]:
                key_fault[k] = f
        false_alarms = []
        first_seen = {}  # key -> alarm time
        f3_hits = collections.defaultdict(list)
        attributed = collections.Counter()
        for a in alarms:
            at = parse_time(a["time"])
            kind = a["kind"]
            if kind == "diff":
                if a.get("total_keys") != len(a.get("keys", [])):
                    self.errors.append(f"a diff lists {len(a['keys'])} of {a['total_keys']} keys")
                for k in alarm_keys(a):
                    first_seen.setdefault(k, at)
                    f = key_fault.get(k)
                    if f is None:
                        # F3: any key of the filtered table, raised while or soon after it was on.
                        f = next((g for g in self.faults if g["name"].startswith("F3")
                                  and g["table"] == k[0]
                                  and g["start"] <= at <= g["end"] + bound), None)
                        if f is not None:
                            f3_hits[id(f)].append((k, at))
                    if f is None:
                        false_alarms.append(f"diff on {k[0]} id {k[1]} at {a['time']}")
                    else:
                        attributed[f["name"][:2]] += 1
            elif kind in ("timeout", "recovered"):
                f = next((g for g in self.faults if g["name"].startswith("F4")
                          and g["start"] <= at <= g["end"] + bound), None)
                if f is None:
                    false_alarms.append(f"{kind} at {a['time']}: {a.get('message')}")
                else:
                    f.setdefault("alarms", []).append((kind, at))
            else:
                false_alarms.append(f"{kind} at {a['time']}: {a.get('message')}")

        latencies = []  # divergences (F1-F3, F5-F7): alarm time - injection time
        timeout_latencies = []  # F4: Timeout alarm time - SQL thread stop
        detected = missed = 0
        for f in self.faults:
            n = f["name"][:2]
            if n in ("F1", "F2", "F5", "F6", "F7"):
                ok = True
                for k in f["keys"]:
                    at = first_seen.get(k)
                    origin = f["detect_from"] or f["start"]
                    if at is None:
                        ok = False
                        self.errors.append(f"{f['name']}: {k[0]} id {k[1]} never alarmed")
                    else:
                        lat = at - origin
                        latencies.append(at - f["start"])
                        if lat > bound:
                            ok = False
                            self.errors.append(f"{f['name']}: {k[0]} id {k[1]} alarmed after "
                                               f"{lat:.1f} s (bound {bound:.0f} s)")
                f["detected"] = ok
            elif n == "F3":
                hits = f3_hits.get(id(f), [])
                f["detected"] = bool(hits)
                f["keys"] = sorted({k for k, _ in hits})
                if hits:
                    lat = min(at for _, at in hits) - f["start"]
                    latencies.append(lat)
                    if lat > bound:
                        f["detected"] = False
                        self.errors.append(f"{f['name']}: first diff after {lat:.1f} s")
                else:
                    self.errors.append(f"{f['name']} on {f['table']}: no diff")
            elif n == "F4":
                kinds = [k for k, _ in sorted(f.get("alarms", []), key=lambda x: x[1])]
                f["detected"] = kinds == ["timeout", "recovered"]
                if kinds and kinds[0] == "timeout":
                    timeout_latencies.append(
                        sorted(f["alarms"], key=lambda x: x[1])[0][1] - f["start"])
                if not f["detected"]:
                    self.errors.append(f"{f['name']}: alarms {kinds}, expected timeout, recovered")
            if f["detected"]:
                detected += 1
            else:
                missed += 1
        for fa in false_alarms:
            self.errors.append(f"false alarm: {fa}")
        missing = self.webhook_missing()
        if missing:
            self.errors.append(f"{len(missing)} alarm(s) never reached the webhook")
        self.summary = {
            "load_tps": self.sysbench_tps(),
            "load_seconds": round(self.load_ended - self.load_started, 1),
            "faults_injected": len(self.faults),
            "by_kind": dict(collections.Counter(f["name"][:2] for f in self.faults)),
            "detected": detected,
            "missed": missed,
            "false_alarms": len(false_alarms),
            "alarms": dict(collections.Counter(a["kind"] for a in alarms)),
            "webhook_deliveries": len(self.webhook.bodies()),
            "latency_median_s": round(statistics.median(latencies), 2) if latencies else None,
            "latency_max_s": round(max(latencies), 2) if latencies else None,
            "bound_s": bound,
            "timeout_alarm_after_s": [round(x, 2) for x in timeout_latencies],
            "dcp_cpu_percent": round(100 * self.dcp.cpu_seconds() / self.dcp.run_seconds, 1),
            "dcp_peak_rss_mb": round(self.dcp.peak_rss_kb / 1024, 1),
        }

    def sysbench_tps(self):
        text = open(os.path.join(self.work, "sysbench.txt")).read()
        m = re.search(r"transactions:\s+\d+\s+\(([0-9.]+) per sec", text)
        return float(m.group(1)) if m else None

    def verify_and_repair(self):
        verifier = os.path.join(self.build, "bin", "verifier")
        padder = os.path.join(self.build, "bin", "padder")
        report = os.path.join(self.work, "verifier.json")
        base = ["--source", self.primary.dsn("sbtest"), "--target", self.replica.dsn("sbtest")]
        with open(report, "w") as out:
            rc = subprocess.run([verifier, "data", *base, "--format", "json"], stdout=out).returncode
        if rc not in (0, 1):
            raise Failure(f"verifier data exited with {rc}")
        doc = json.load(open(report))
        found = set()
        for t in doc["tables"]:
            for d in t["differences"]:
                found.add((t["source_table"], int(d["key"]["id"])))
        # The truth, row by row on both servers: every key a fault touched or dcp alarmed.
        candidates = set()
        for f in self.faults:
            candidates.update(f["keys"])
        for a in self.alarms():
            if a["kind"] == "diff":
                candidates.update(alarm_keys(a))
        by_table = collections.defaultdict(list)
        for t, i in candidates:
            by_table[t].append(i)
        expected = set()
        for t, ids in by_table.items():
            sql = f"SELECT id, k, c, pad FROM {t} WHERE id IN ({','.join(map(str, ids))})"
            src = {int(r[0]): r for r in self.primary.q(sql)}
            dst = {int(r[0]): r for r in self.replica.q(sql)}
            expected.update((t, i) for i in ids if src.get(i) != dst.get(i))
        unalarmed = found - candidates
        self.summary["verifier_differences"] = len(found)
        self.summary["still_divergent_expected"] = len(expected)
        if found != expected:
            self.errors.append(
                f"verifier found {len(found)} differences, {len(expected)} expected; "
                f"not found: {sorted(expected - found)[:10]}, unexpected: "
                f"{sorted(found - expected)[:10]}")
        if unalarmed:
            self.errors.append(f"divergences dcp never alarmed: {sorted(unalarmed)[:10]}")
        rc = subprocess.run([padder, "repair", "--report", report, *base],
                            capture_output=True, text=True)
        if rc.returncode != 0:
            raise Failure(f"padder repair exited with {rc.returncode}: {rc.stderr.strip()}")
        rc = subprocess.run([verifier, "data", *base], capture_output=True, text=True).returncode
        self.summary["equal_after_repair"] = rc == 0
        if rc != 0:
            self.errors.append(f"after padder repair, verifier data exited with {rc}")

    def print_summary(self):
        s = getattr(self, "summary", None)
        if not s:
            return
        rows = [
            ("load (sysbench oltp_write_only), transactions/s", s["load_tps"]),
            ("load duration, s", s["load_seconds"]),
            ("faults injected", f"{s['faults_injected']} ({', '.join(f'{k}: {v}' for k, v in sorted(s['by_kind'].items()))})"),
            ("detected", s["detected"]),
            ("missed", s["missed"]),
            ("false alarms", s["false_alarms"]),
            ("alarms raised", ", ".join(f"{k}: {v}" for k, v in sorted(s["alarms"].items()))),
            ("divergence detection latency median / max, s",
             f"{s['latency_median_s']} / {s['latency_max_s']} (bound {s['bound_s']:.0f})"),
            ("Timeout alarm after the SQL thread stopped, median / max, s",
             (f"{statistics.median(s['timeout_alarm_after_s']):.2f} / "
              f"{max(s['timeout_alarm_after_s']):.2f}" if s["timeout_alarm_after_s"] else "none")
             + f" (checker timeout {self.timeout:.0f})"),
            ("dcp CPU %, average over its run", s["dcp_cpu_percent"]),
            ("dcp peak RSS, MB", s["dcp_peak_rss_mb"]),
            ("verifier: differences found / still divergent",
             f"{s.get('verifier_differences')} / {s.get('still_divergent_expected')}"),
            ("equal after padder repair", s.get("equal_after_repair")),
        ]
        w = max(len(r[0]) for r in rows)
        print("\n" + "-" * (w + 30))
        for k, v in rows:
            print(f"{k:<{w}}  {v}")
        print("-" * (w + 30))
        if self.args.summary_md:
            with open(self.args.summary_md, "w") as f:
                f.write("| | |\n|---|---|\n")
                for k, v in rows:
                    f.write(f"| {k} | {v} |\n")
        if self.args.summary_json:
            with open(self.args.summary_json, "w") as f:
                json.dump({**s, "errors": self.errors,
                           "faults": [{k: v for k, v in f.items() if k != "alarms"}
                                      for f in self.faults]}, f, indent=1, default=str)

    def cleanup(self, ok):
        if self.dcp is not None:
            self.dcp.sampling = False
            if self.dcp.proc is not None and self.dcp.proc.poll() is None:
                self.dcp.proc.kill()
                self.dcp.proc.wait()
        if self.sysbench is not None and self.sysbench.poll() is None:
            self.sysbench.kill()
            self.sysbench.wait()
        if self.webhook is not None and self.webhook.server is not None:
            self.webhook.stop()
        self.stop_pair()
        if ok and not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            print(f"(files kept in {self.work})", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int, default=60, help="load duration")
    ap.add_argument("--minutes", type=float, help="load duration, overrides --seconds")
    ap.add_argument("--rate", type=int, default=150, help="sysbench transactions/s (0: max)")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--tables", type=int, default=4)
    ap.add_argument("--table-size", type=int, default=10000)
    ap.add_argument("--reserved", type=int, default=5000, help="seeded rows per table for faults")
    ap.add_argument("--timeout", type=int, default=8, help="the checker's timeout, s")
    ap.add_argument("--filter-seconds", type=float, default=4)
    ap.add_argument("--pause", type=float, default=2, help="seconds between faults")
    ap.add_argument("--summary-json")
    ap.add_argument("--summary-md")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    if args.minutes is not None:
        args.seconds = int(args.minutes * 60)
    s = Scenario(args)
    # SIGTERM (ctest's timeout, a user's kill) still stops the servers and dcp.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ok = False
    try:
        s.run()
        ok = not s.errors
    except Failure as e:
        s.errors.append(str(e))
    finally:
        s.print_summary()
        for e in s.errors:
            print(f"FAIL: {e}", file=sys.stderr)
        if s.errors and os.path.exists(os.path.join(s.work, "dcp.log")):
            print("--- dcp log (last 40 lines)", file=sys.stderr)
            with open(os.path.join(s.work, "dcp.log"), errors="replace") as f:
                sys.stderr.write("".join(f.readlines()[-40:]))
        s.cleanup(ok)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
