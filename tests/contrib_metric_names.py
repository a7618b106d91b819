#!/usr/bin/python3
"""The metric names in docs/operations.md, in the code that renders /metrics, in the Grafana
dashboard and in the Prometheus rules agree: every exported metric is documented with its
type, every documented one is exported, and the dashboard and rules name only exported ones.

  contrib_metric_names.py SOURCE_DIR
"""
import json
import re
import sys

root = sys.argv[1]
problems = []

# Exported: families named in the renderers, with their types.
exported = {}
for path in ["daemon/status.cc"]:
    text = open(f"{root}/{path}").read()
    for name, kind in re.findall(r'"((?:dcp|process)_[a-z_]+)",\s*"(counter|gauge|histogram)"', text):
        exported[name] = kind
    for name in re.findall(r'Histogram\(\s*"((?:dcp|process)_[a-z_]+)"', text):
        exported[name] = "histogram"
    # Every metric name the renderer mentions must have been typed above.
    for name in set(re.findall(r'"((?:dcp|process)_[a-z_]+)"', text)):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in exported and base not in exported:
            problems.append(f"{path}: {name} has no recognisable family and type")

# Documented: the rows of the metrics table.
documented = {}
in_table = False
for line in open(f"{root}/docs/operations.md"):
    if line.startswith("| metric | type | unit | labels | meaning |"):
        in_table = True
        continue
    if in_table and not line.startswith("|"):
        break
    if in_table and line.startswith("| `"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        documented[name] = cells[1]
        if not cells[4]:
            problems.append(f"docs/operations.md: {name} has no meaning")
        if cells[1] not in ("counter", "gauge", "histogram"):
            problems.append(f"docs/operations.md: {name} has type {cells[1]!r}")

for name, kind in sorted(exported.items()):
    if name not in documented:
        problems.append(f"{name} ({kind}) is exported but not in docs/operations.md's table")
    elif documented[name] != kind:
        problems.append(f"{name} is a {kind} but documented as {documented[name]}")
for name in sorted(set(documented) - set(exported)):
    problems.append(f"{name} is documented but not exported")
if len(exported) < 30:
    problems.append(f"only {len(exported)} metrics found in the renderer: is the parser stale?")


def referenced(expr):
    names = set()
    for name in re.findall(r"\b((?:dcp|process)_[a-z_]+)\b", expr):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        names.add(base if exported.get(base) == "histogram" else name)
    return names


dash = json.load(open(f"{root}/contrib/grafana/dcp-dashboard.json"))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
ids = [p["id"] for p in dash["panels"]]
if len(ids) != len(set(ids)):
    problems.append("dashboard: duplicate panel ids")
rules = open(f"{root}/contrib/prometheus/dcp-alerts.yml").read()
exprs += re.findall(r"expr: (.*(?:\n {10}.*)*)", rules)
used = set()
for e in exprs:
    used |= referenced(e)
for name in sorted(used - set(exported)):
    problems.append(f"contrib/ uses {name}, which dcp does not export")
for must in ["dcp_target_in_timeout", "dcp_target_windows_total", "dcp_tag_lag_seconds",
             "dcp_collector_connected"]:
    if must not in referenced(rules):
        problems.append(f"contrib/prometheus/dcp-alerts.yml has no rule on {must}")

print(f"{len(exported)} metrics exported and documented; contrib/ uses {len(used)} of them")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
