#!/usr/bin/python3
"""Helpers of e2e_observability.sh that need JSON or HTML parsing.

  observe.py query PROM_URL EXPR            prints "labels value" per sample; exit 1 on error
  observe.py alerts PROM_URL NAME           prints the firing alerts NAME as label=value lists
  observe.py dashboard PROM_URL FILE        runs every panel query of a Grafana dashboard
  observe.py page HTML_FILE                 checks the status page DOM, prints its targets
"""
import html.parser
import json
import sys
import urllib.parse
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def query(prom, expr):
    doc = get(prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    if doc.get("status") != "success":
        raise SystemExit(f"query failed: {expr}: {doc}")
    return doc["data"]["result"]


def cmd_query(prom, expr):
    for s in query(prom, expr):
        labels = ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items()))
        print(labels, s["value"][1])


def cmd_alerts(prom, name):
    for a in get(prom + "/api/v1/alerts")["data"]["alerts"]:
        if a["labels"].get("alertname") == name and a["state"] == "firing":
            print(",".join(f"{k}={v}" for k, v in sorted(a["labels"].items())))


def cmd_dashboard(prom, path):
    """Every query of every panel parses and evaluates, and returns data (the dashboard names
    only metrics dcp exports)."""
    dash = json.load(open(path))
    exprs = []
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            exprs.append((panel["title"], t["expr"]))
    empty = []
    for title, expr in exprs:
        concrete = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
        if not query(prom, concrete):
            empty.append(f"{title}: {expr}")
    print(f"{len(exprs)} dashboard queries evaluated, {len(exprs) - len(empty)} with data")
    if empty:
        raise SystemExit("queries without data:\n  " + "\n  ".join(empty))


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = {}  # tag -> {"state":..., "sparkline_points": int, "polylines": int}
        self.collectors = []
        self.current = None
        self.alarms = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-target" in a:
            self.current = {"state": a.get("data-state"), "sparkline_points": 0, "polylines": 0}
            self.targets[a["data-target"]] = self.current
        elif tag == "tr" and "data-collector" in a:
            self.collectors.append(a["data-collector"])
            self.current = None
        elif tag == "svg" and self.current is not None and "sparkline" in a.get("class", ""):
            self.current["sparkline_points"] = int(a.get("data-points", "0"))
        elif tag == "polyline" and self.current is not None:
            if len(a.get("points", "").split()) >= 2:
                self.current["polylines"] += 1
        elif tag == "li" and "alarm" in a.get("class", "").split():
            self.alarms += 1

    def handle_endtag(self, tag):
        if tag == "tr":
            self.current = None


def cmd_page(path):
    page = Page()
    page.feed(open(path, encoding="utf-8").read())
    for tag, t in sorted(page.targets.items()):
        print(f"target {tag} state={t['state']} points={t['sparkline_points']} "
              f"polylines={t['polylines']}")
    print(f"collectors {' '.join(page.collectors)}")
    print(f"alarms {page.alarms}")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"query": cmd_query, "alerts": cmd_alerts, "dashboard": cmd_dashboard,
     "page": cmd_page}[cmd](*args)
