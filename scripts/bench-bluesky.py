#!/usr/bin/python3
"""Times BlueSky's own state-based conflict detection on a snapshot.

Runs StateBased.detect from a BlueSky checkout, unchanged (vectorised
all-pairs with numpy), or with --cpp its compiled CStateBased
(bluesky/traffic/asas/src_cpp/cstatebased.cpp: the same state-based
test as a double loop over every ordered pair, vertical test first), on
the aircraft of a positions CSV written by `deconflict simulate
--snapshot`, with BlueSky's defaults (5 NM, 1,000 ft, 300 s), and prints
the number of aircraft, the time of the best of --repeat runs (wall clock
and CPU, and the CPU of every run), the peak resident memory and the
number of pairs in conflict (--pairs writes them). Only BlueSky's detect
and the geometry it calls are run; the rest of the simulator is replaced
by the few names those modules import. The comparison of the engine's
pairs with these is a test, detect's TestBlueSkyPairs, on the snapshots
and CStateBased pairs committed in detect/testdata/bluesky (see its
README.md); another snapshot: go test ./detect -run TestBlueSkyPairs -v
-bluesky.snapshot SNAPSHOT.csv -bluesky.pairs FILE [-bluesky.write DIR,
the engine's pairs]. See docs/benchmarks.md.

--cpp builds the extension, when --build does not hold it yet, with
setuptools' build_ext from the checkout's sources, as BlueSky's own
hatch_build.py declares it (cstatebased.cpp, the include directory
bluesky/tools/geo/src_cpp, numpy's headers; Python's default compiler
flags), into --build (default: build-bench-bluesky in the checkout).

usage: bench-bluesky.py --bluesky DIR [--cpp [--build DIR]] [--n N] [--repeat R] [--pairs FILE] SNAPSHOT.csv
"""

import argparse
import csv
import importlib.machinery
import importlib.util
import resource
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


def bluesky_cdetect(root, build):
    """Returns BlueSky's compiled cstatebased.detect, built from checkout
    root into build if not there yet."""
    root = Path(root).resolve()
    build = Path(build) if build else root / "build-bench-bluesky"
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    so = build / ("cstatebased" + suffix)
    if not so.exists():
        import numpy
        from setuptools import Distribution, Extension
        from setuptools.command import build_ext

        src = root / "bluesky/traffic/asas/src_cpp/cstatebased.cpp"
        ext = Extension("cstatebased", [str(src)], include_dirs=[str(root / "bluesky/tools/geo/src_cpp"), numpy.get_include()])
        cmd = build_ext.build_ext(Distribution(dict(name="cstatebased", ext_modules=[ext])))
        cmd.build_lib, cmd.build_temp = str(build), str(build / "tmp")
        cmd.ensure_finalized()
        cmd.run()
        print(f"built {so}", file=sys.stderr)
    spec = importlib.util.spec_from_file_location("cstatebased", so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.detect


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bluesky", required=True, help="BlueSky checkout")
    ap.add_argument("--cpp", action="store_true", help="BlueSky's compiled CStateBased instead of the numpy StateBased")
    ap.add_argument("--build", help="with --cpp: directory of the built extension (default: build-bench-bluesky in the checkout)")
    ap.add_argument("--n", type=int, default=0, help="first N aircraft only")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pairs", help="write the pairs in conflict (id,id, sorted) to this file, with BlueSky's distance at CPA (m) and time of entering conflict (s)")
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
    if a.cpp:
        name, detect = "cstatebased", bluesky_cdetect(a.bluesky, a.build)
    else:
        name, sb = "statebased", bluesky_detect(a.bluesky)
        detect = lambda *args: sb(None, *args)
    best, best_cpu, cpus = float("inf"), float("inf"), []
    for _ in range(a.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        conf, los, _, _, _, _, dcpa, _, tin = detect(traf, traf, rpz, hpz, look)
        best = min(best, time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        best_cpu = min(best_cpu, cpus[-1])
    # Both give every pair twice, (i, j) and (j, i), each with its own
    # figures; keep the first.
    pairs = {}
    for p, d, ti in zip(conf, dcpa, tin):
        pairs.setdefault(tuple(sorted(p)), (float(d), float(ti)))
    if a.pairs:
        with open(a.pairs, "w") as f:
            for p in sorted(pairs):
                d, ti = pairs[p]
                print(f"{p[0]},{p[1]},{d:.1f},{ti:.1f}", file=f)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"bluesky {name}: aircraft={n} seconds={best:.4f} cpu_seconds={best_cpu:.4f}"
        f" cpu_per_run={','.join(f'{c:.4f}' for c in cpus)} peak_rss_mb={peak:.0f}"
        f" conflict_pairs={len(pairs)} ordered_pairs={len(conf)} los_pairs={len({tuple(sorted(p)) for p in los})}"
    )


if __name__ == "__main__":
    main()
