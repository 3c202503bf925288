#!/usr/bin/python3
"""Times BlueSky's own state-based conflict detection on a snapshot.

Runs StateBased.detect from a BlueSky checkout, unchanged (vectorised
all-pairs with numpy), on the aircraft of a positions CSV written by
`deconflict simulate --snapshot`, with BlueSky's defaults (5 NM, 1,000 ft,
300 s), and prints the number of aircraft, the time of the best of
--repeat runs (wall clock and CPU) and the number of pairs in conflict
(--pairs writes them). Only BlueSky's detect
and the numpy geometry it calls are run; the rest of the simulator is
replaced by the few names those modules import. See docs/benchmarks.md.

usage: bench-bluesky.py --bluesky DIR [--n N] [--repeat R] [--pairs FILE] SNAPSHOT.csv
"""

import argparse
import csv
import importlib.util
import sys
import time
import types
from pathlib import Path

import numpy as np


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def stub(name, **attrs):
    mod = types.ModuleType(name)
    mod.__path__ = []
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def bluesky_detect(root):
    """Returns BlueSky's StateBased.detect, loaded from checkout root."""
    root = Path(root)
    bs = stub("bluesky")
    bs.settings = stub("bluesky.settings")
    # BlueSky modules declare their settings' defaults: keep them.
    bs.settings.set_variable_defaults = lambda **kw: [bs.settings.__dict__.setdefault(k, v) for k, v in kw.items()]
    bs.stack = stub("bluesky.stack")
    bs.tools = stub("bluesky.tools")
    bs.tools.geo = load("bluesky.tools.geo", root / "bluesky/tools/geo/_geo.py")
    bs.tools.aero = load("bluesky.tools.aero", root / "bluesky/tools/aero.py")
    bs.traffic = stub("bluesky.traffic")

    class ConflictDetection:
        pass

    bs.traffic.asas = stub("bluesky.traffic.asas", ConflictDetection=ConflictDetection)
    sb = load("bluesky.traffic.asas.statebased", root / "bluesky/traffic/asas/statebased.py")
    return sb.StateBased.detect


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bluesky", required=True, help="BlueSky checkout")
    ap.add_argument("--n", type=int, default=0, help="first N aircraft only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pairs", help="write the pairs in conflict (id,id, sorted) to this file")
    ap.add_argument("snapshot")
    a = ap.parse_args()

    rows = []
    with open(a.snapshot, newline="") as f:
        for r in csv.DictReader(f):
            if r["domain"] == "air" and r["alt_m"] != "":
                rows.append(r)
    if a.n:
        rows = rows[: a.n]
    n = len(rows)
    col = lambda k: np.array([float(r[k] or 0) for r in rows])
    traf = types.SimpleNamespace(
        ntraf=n,
        id=[r["id"] for r in rows],
        lat=col("lat"),
        lon=col("lon"),
        trk=col("course_deg"),
        gs=col("speed_ms"),
        alt=col("alt_m"),
        vs=col("climb_ms"),
    )
    nm, ft = 1852.0, 0.3048
    rpz, hpz, look = np.full(n, 5 * nm), np.full(n, 1000 * ft), np.full(n, 300.0)
    detect = bluesky_detect(a.bluesky)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(a.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        conf, los, *_ = detect(None, traf, traf, rpz, hpz, look)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    pairs = {tuple(sorted(p)) for p in conf}
    if a.pairs:
        with open(a.pairs, "w") as f:
            for p in sorted(pairs):
                print(f"{p[0]},{p[1]}", file=f)
    print(f"bluesky statebased: aircraft={n} seconds={best:.4f} cpu_seconds={best_cpu:.4f} conflict_pairs={len(pairs)} los_pairs={len({tuple(sorted(p)) for p in los})}")


if __name__ == "__main__":
    main()
