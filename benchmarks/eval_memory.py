#!/usr/bin/env python
"""Peak resident memory and wall time of `svae-eval` on a WeatherBench2-layout store of a given grid.

    python benchmarks/eval_memory.py --grid 240x121 [--years 5] [--threads 2] [--no-plots] [--workdir DIR]

1. The store: `svae-data --write-sample DIR --grid 240x121` (the built-in sample's synthetic weather on that grid,
   six-hourly, from 2015 on for --years years); where the installed package has no --grid, a random smooth float32
   field with a seasonal cycle in the same layout. svae-train's split keeps the last 20% of the period for the
   evaluation: with 5 years, four years of training fields and one year of evaluation fields.
2. A model: `svae-train --epochs 1 --hidden-dims 8 16 32 64 --time-limit 1 --threads 2`; the evaluation's memory is
   measured, not the model's quality.
3. `svae-eval` end to end (climatology, reconstruction, EOF baselines of the latent's size, documents and, unless
   --no-plots, the figures) in a fresh process, whose own peak resident memory (`ru_maxrss` from `os.wait4`) and
   wall time are printed, with a projection to WeatherBench2's 1440x721 grid from the sizes of what svae-eval holds.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

GiB = 2**30
# Linux gives a child the memory high-water mark its parent had when it forked, so the measured command is started
# by a small launcher, not by this process: the launcher reads its child's own peak.
LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=sys.stderr)  # its output to the log; the numbers alone on stdout
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - t0)
"""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--grid", default="240x121", help="LONGITUDExLATITUDE, e.g. 240x121 or 1440x721")
    p.add_argument("--years", type=int, default=5, help="years in the store, from 2015 (the last 20%% is evaluated)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True, help="svae-eval's figures too")
    p.add_argument("--workdir", default=None, help="keep the store, run and evaluation here (default: a temporary one)")
    return p.parse_args(argv)


def console(script: str, argv: list, env: dict, log: Path) -> None:
    "Run one of the console scripts; stop with its last output if it fails."
    with open(log, "w") as out:
        done = subprocess.run([shutil.which(script) or script, *map(str, argv)], env=env, stdout=out, stderr=out)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed (exit {done.returncode}):\n{log.read_text()[-3000:]}")


def measured(argv: list, env: dict, log: Path) -> tuple[float, float]:
    "(peak resident memory in GiB, wall time in s) of the command `argv`, run by the launcher."
    with open(log, "w") as out:
        done = subprocess.run([sys.executable, "-c", LAUNCHER, *map(str, argv)], env=env, stdout=subprocess.PIPE,
                              stderr=out, text=True)
    status, maxrss_kib, wall = (done.stdout.split() or ["?", "0", "0"])[-3:]
    if status != "0":
        raise SystemExit(f"the measured command failed (exit {status}): {' '.join(map(str, argv))}\n"
                         f"{log.read_text()[-3000:]}")
    return int(maxrss_kib) * 1024 / GiB, float(wall)  # ru_maxrss is in KiB on Linux


def sample_knows_grids() -> bool:
    "Whether the installed svae_weather writes its sample on other grids (svae-data --grid)."
    import inspect

    from svae_weather.sample import synthetic_era5
    return "grid" in inspect.signature(synthetic_era5).parameters


def smooth_store(path: Path, n_lon: int, n_lat: int, start: str, end: str) -> None:
    "A WeatherBench2-layout store of random smooth float32 fields with a seasonal cycle (no --grid in svae-data)."
    import dask.array
    import pandas as pd
    import xarray as xr
    times = pd.date_range(start, end, freq="6h")
    lat, lon = np.linspace(-90, 90, n_lat), np.arange(n_lon) * 360 / n_lon
    rng = np.random.default_rng(0)
    modes = [np.cos(np.deg2rad(lon)[:, None] * m + rng.uniform(0, 6.3)) * np.cos(np.deg2rad(lat)[None, :] * n)
             for m in range(1, 7) for n in range(1, 5)]

    def block(t):
        season = np.cos(2 * np.pi * t.dayofyear.values / 365.25)[:, None, None] * np.sin(np.deg2rad(lat))[None, None]
        weights = np.random.default_rng(int(t[0].value % 2**31)).normal(size=(len(t), len(modes)))
        return (280 + 15 * season + np.tensordot(weights, np.stack(modes), 1)).astype(np.float32)

    chunks = [block(times[i:i + 64]) for i in range(0, len(times), 64)]
    data = dask.array.concatenate([dask.array.from_array(c, chunks=c.shape) for c in chunks])
    ds = xr.Dataset({"2m_temperature": (("time", "longitude", "latitude"), data, {"units": "K"})},
                    coords={"time": times, "latitude": lat, "longitude": lon})
    ds.to_zarr(path, zarr_format=2)


def write_store(path: Path, grid: str, years: int, env: dict, log: Path) -> str:
    "The evaluation store on `grid`; says which kind it wrote."
    start, end = "2015-01-01", f"{2015 + years - 1}-12-31T18"
    if sample_knows_grids():
        console("svae-data", ["--write-sample", path, "--grid", grid, "--start", start, "--end", end], env, log)
        return "svae-data --write-sample (synthetic ERA5-like weather)"
    n_lon, n_lat = map(int, grid.split("x"))
    smooth_store(path, n_lon, n_lat, start, end)
    return "random smooth fields with a seasonal cycle (this svae-data has no --grid)"


def latent_size(n_lat: int, n_lon: int, hidden_dims=(8, 16, 32, 64), latent_channels: int = 4) -> int:
    "Floats per field of the model's latent on a grid: its padded grid divided by the encoder's downsampling."
    f = 2 ** (len(hidden_dims) - 1)
    try:
        from svae_weather.padding import padded_shape
        ph, pw = padded_shape((n_lat, n_lon), f)
    except ImportError:  # before padding: a multiple of the downsampling
        ph, pw = (math.ceil(n / f) * f for n in (n_lat, n_lon))
    return latent_channels * (ph // f) * (pw // f)


def held(n_lat: int, n_lon: int, n_train: int, n_test: int, k: int, plots: bool, hours: int = 4) -> dict:
    """{what: bytes} that svae-eval holds at once on a grid (one channel, `hours` times of day), by phase.

    fitting the climatology: its float64 totals and the float32 result; then, kept to the end: the climatology and,
    for the figures, the reconstruction of the evaluation period (float32); fitting the randomized EOFs: a (cells x l)
    float32 factor with two (time x l) float64 ones, or, at the end, with the (k x cells) float32 EOFs and the
    (l x l) Gram matrix's eigen-decomposition (about three float64 copies)."""
    from svae_weather.baselines import sketch_columns
    cells, k = n_lat * n_lon, min(k, n_train - 1)
    l = sketch_columns(k, n_train, cells)
    kept = hours * 366 * cells * 4 + (n_test * cells * 4 if plots else 0)
    return {"climatology fit": hours * 366 * cells * 12,
            "climatology + reconstruction kept": kept,
            f"EOF fit (k = {k}, l = {l})": kept + cells * l * 4 + max(2 * n_train * l * 8, k * cells * 4 + 3 * l * l * 8)}


def report(grid: str, kind: str, n_train: int, n_test: int, k: int, peak: float, wall: float, plots: bool) -> None:
    "The table: what was measured, and the projection to 1440x721."
    n_lon, n_lat = map(int, grid.split("x"))
    here = held(n_lat, n_lon, n_train, n_test, k, plots)
    there = held(721, 1440, n_train, n_test, latent_size(721, 1440), plots)
    rest = peak * GiB - max(here.values())  # the model, the libraries, blocks of fields: not the period
    print(f"\nstore: {kind}; {n_train} training and {n_test} evaluation fields (one channel, six-hourly)")
    print(f"{'svae-eval (' + ('plots' if plots else 'no plots') + '), GiB':<42}{grid:>9}{'1440x721':>10}")
    for (name, a), (name_there, b) in zip(here.items(), there.items()):
        print(f"  held, {name:<34}{a / GiB:>9.2f}{b / GiB:>10.2f}  {name_there if name_there != name else ''}")
    print(f"  {'everything else (measured)':<40}{rest / GiB:>9.2f}{'':>10}  the model, libraries, blocks of fields")
    print(f"{'peak resident memory':<42}{peak:>9.2f}{(max(there.values()) + rest) / GiB:>10.1f}  projected: the "
          "largest phase there, plus everything else as here")
    print(f"{'wall time (s)':<42}{wall:>9.0f}")


def main(argv=None) -> None:
    args = parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="svae_eval_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONWARNINGS": "ignore"}
    store, run, out = work / f"store_{args.grid}.zarr", work / "run", work / "eval"
    try:
        if not store.exists():
            (work / "store_kind.txt").write_text(write_store(store, args.grid, args.years, env, work / "data.log"))
        kind = (work / "store_kind.txt").read_text() if (work / "store_kind.txt").exists() else "a store made earlier"
        if not (run / "best_model.pth").exists():
            console("svae-train", ["--data-path", store, "--epochs", 1, "--hidden-dims", 8, 16, 32, 64,
                                   "--time-limit", 1, "--threads", args.threads, "--device", "cpu", "--no-progress",
                                   "--output-dir", run, "--overwrite"], env, work / "train.log")
        peak, wall = measured([shutil.which("svae-eval") or "svae-eval", "--model-path", run, "--output-dir", out,
                               "--device", "cpu", "--overwrite", "--plots" if args.plots else "--no-plots"],
                              env, work / "eval.log")
        doc = json.loads((out / "test_results.json").read_text())
        split = doc["config"]["data"]  # the EOFs and the climatology are fitted on the training and validation fields
        n_train = split["train_samples"] + split["val_samples"]
        report(args.grid, kind, n_train, doc["n_samples"], doc["latent_size"], peak, wall, args.plots)
        if args.workdir:
            print(f"svae-eval's own output: {work / 'eval.log'}")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
