#!/usr/bin/env python
"""svae-encode as a compressor: peak memory against the length of the period, and bytes against RMSE.

    python benchmarks/compress.py [--model-path RUN] [--epochs 10] [--workdir DIR]

1. Peak resident memory (the child's own `ru_maxrss`, read with `os.wait4`) of `svae-encode` and `svae-decode`,
   each in a fresh process, over 1 month, 1 year and 5 years of the built-in sample. Flat memory means the
   commands stream: the period's length must not show in the numbers.
2. Bytes on disk of one held-out year (2019) of the sample: the fields uncompressed, the sample store as
   `svae-data --write-sample` writes it (zarr format 2, zarr's default lossless compressor), the same fields
   under zarr format 3's default compressor, and the latent stores of `svae-encode` in float32 and float16,
   with the latitude-weighted RMSE of what each gives back.

Without --model-path a narrow vMF model (hidden dims 8 16 32 64, the default's 4 x 4 x 8 latent) is trained on
2015 of the sample for --epochs epochs first. Everything runs on the CPU with one torch thread.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PERIODS = {"1 month": "2019-01-01:2019-01-31T18", "1 year": "2019-01-01:2019-12-31T18", "5 years": None}
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


# Linux gives a child the memory high-water mark its parent had when it forked, so the measured process is
# started by a small launcher, not by this (large) process: the launcher reads its child's own peak.
LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - t0)
"""


def run_measured(code: str) -> tuple[float, float]:
    "Run `python -c code` in a fresh process; (its peak resident memory in MiB, its wall time in s)."
    out = subprocess.run([sys.executable, "-c", LAUNCHER, code], env=ENV, capture_output=True, text=True)
    try:
        status, maxrss_kib, wall = out.stdout.split()[-3:]
    except ValueError:
        status, maxrss_kib, wall = "?", 0, 0
    if status != "0":
        raise SystemExit(f"the measured command failed (exit {status}): {code}\n{out.stderr[-2000:]}")
    return int(maxrss_kib) / 1024, float(wall)  # ru_maxrss is in KiB on Linux


def cli(function: str, argv: list) -> str:
    "Python code that runs one of the console scripts with `argv`."
    return f"import torch; torch.set_num_threads(1); from svae_weather.compress_cli import {function}; {function}({argv!r})"


def store_bytes(path, only=None) -> int:
    "Bytes of the files of a zarr store (or of one of its arrays)."
    root = Path(path) / only if only else Path(path)
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def train_model(workdir: Path, epochs: int) -> Path:
    from svae_weather import TrainConfig, train
    out = workdir / "run"
    if (out / "best_model.pth").is_file():  # a --workdir of an earlier run: keep its model
        return out
    train(TrainConfig(time_slice="2015-01-01:2015-12-31T18", hidden_dims=[8, 16, 32, 64], epochs=epochs, batch_size=32,
                      lr=3e-3, device="cpu", progress=False, distribution="vmf", threads=1, output_dir=str(out)))
    return out


def memory_table(model: Path, workdir: Path) -> list:
    rows = [("import + load the model", "-", *run_measured(
        f"import torch; torch.set_num_threads(1); from svae_weather.compress import load_model; load_model({str(model)!r})"))]
    for name, period in PERIODS.items():
        latents, recon = workdir / f"mem_{len(rows)}.zarr", workdir / f"mem_{len(rows)}_recon.zarr"
        argv = ["--model-path", str(model), "--output", str(latents), "--device", "cpu", "--no-progress"]
        rows.append(("svae-encode", name, *run_measured(cli("main_encode", argv + (["--time-slice", period] if period else [])))))
        rows.append(("svae-decode", name, *run_measured(cli("main_decode", ["--latents", str(latents), "--output", str(recon),
                                                                            "--device", "cpu", "--no-progress"]))))
        shutil.rmtree(latents); shutil.rmtree(recon)
    return rows


def weighted_rmse(path, truth) -> float:
    from svae_weather.data import latitude_weights, open_weather
    from svae_weather.metrics import rmse
    got = open_weather(str(path)).values
    return float(rmse(got, truth, latitude_weights(open_weather(str(path))["latitude"].values))[0])


def bytes_table(model: Path, workdir: Path) -> list:
    import xarray as xr
    from svae_weather.compress_cli import main_decode, main_encode
    from svae_weather.data import open_weather, synthetic_era5, write_sample_zarr
    year = PERIODS["1 year"].split(":")
    sample = Path(write_sample_zarr(workdir / "sample_2019.zarr", *year, overwrite=True))
    synthetic_era5(*year).to_zarr(workdir / "sample_2019_v3.zarr", zarr_format=3, consolidated=False, mode="w")
    truth = open_weather(str(sample)).values
    raw = truth.size * 4
    rows = [("fields, float32, uncompressed", raw, None, 0.0),
            ("sample store (zarr v2 default, lossless)", store_bytes(sample), None, weighted_rmse(sample, truth)),
            ("zarr v3 default compressor (lossless)", store_bytes(workdir / "sample_2019_v3.zarr"), None,
             weighted_rmse(workdir / "sample_2019_v3.zarr", truth))]
    for dtype in ("float32", "float16"):
        latents, recon = workdir / f"latents_{dtype}.zarr", workdir / f"recon_{dtype}.zarr"
        main_encode(["--model-path", str(model), "--data-path", str(sample), "--output", str(latents), "--dtype", dtype,
                     "--chunk-size", "1464", "--device", "cpu", "--no-progress", "--overwrite"])
        main_decode(["--latents", str(latents), "--output", str(recon), "--device", "cpu", "--no-progress", "--overwrite"])
        error = weighted_rmse(recon, truth)
        rows.append((f"latent store, {dtype} (latent + concentration)", store_bytes(latents), None, error))
        rows.append((f"  of which the latent, {dtype}", store_bytes(latents, "latent"), None, error))
    n = xr.open_zarr(workdir / "latents_float32.zarr").sizes["time"]
    lossless = rows[1][1]
    return [(name, size, raw / size, lossless / size, err) for name, size, _, err in rows], n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-path", default=None, help="a run directory of svae-train (default: train a narrow model)")
    p.add_argument("--epochs", type=int, default=10, help="epochs of the narrow model trained without --model-path")
    p.add_argument("--workdir", default=None, help="where the stores go (default: a temporary folder, removed after)")
    a = p.parse_args()
    import torch
    torch.set_num_threads(1)
    workdir = Path(a.workdir or tempfile.mkdtemp(prefix="svae_compress_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        model = Path(a.model_path) if a.model_path else train_model(workdir, a.epochs)
        from svae_weather.compress import load_model
        m = load_model(model)
        print(f"model: {m}\n")
        print("Peak resident memory of a fresh process (MiB) and its wall time, against the period's length\n")
        print(f"| {'command':<24} | {'period':<8} | {'peak RSS MiB':>12} | {'wall s':>7} |")
        print(f"|{'-' * 26}|{'-' * 10}|{'-' * 14}|{'-' * 9}|")
        for command, period, rss, wall in memory_table(model, workdir):
            print(f"| {command:<24} | {period:<8} | {rss:>12.0f} | {wall:>7.1f} |")
        rows, n = bytes_table(model, workdir)
        print(f"\nBytes of {n} fields (2019 of the sample, not seen in training) and the RMSE of what comes back\n")
        print(f"| {'store':<46} | {'bytes':>11} | {'vs raw':>7} | {'vs sample store':>15} | {'RMSE K':>7} |")
        print(f"|{'-' * 48}|{'-' * 13}|{'-' * 9}|{'-' * 17}|{'-' * 9}|")
        for name, size, ratio, ratio_store, err in rows:
            print(f"| {name:<46} | {size:>11,} | {ratio:>6.1f}x | {ratio_store:>14.1f}x | {err:>7.3f} |")
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
