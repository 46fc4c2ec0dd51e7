#!/usr/bin/env python
"""The latent store against classical lossy codecs at equal bytes per field, and an error bound on the VAE's output.

    python benchmarks/codecs.py --model-path RUN [RUN ...]        # models svae-train wrote
    python benchmarks/codecs.py --epochs 12 --threads 1           # train a Gaussian model first (svae-train, 12 epochs)
    python benchmarks/codecs.py --minutes 10 --threads 1          # ... or for svae-train --time-limit 10

Data: the built-in sample (64x32, 2 m temperature), trained on 2015-2018 and scored on 2019, split as
`benchmarks/quality.py` splits it (svae-train --time-slice 2015-01-01:2019-12-31T18 --train-split 0.8002). Every
codec gets the same per-grid-point training mean subtracted first: the first model's anomaly normaliser's mean
(the mean over its training fields), which the VAE's own normaliser removes too. Scores are over the 1,460 fields
of 2019: latitude-weighted RMSE (K, WeatherBench2's definition, `svae_weather.metrics.rmse`) and the largest
absolute error at any grid point (K). Bytes per field are the bytes as stored, headers included, divided by the
number of fields.

1. Equal bytes. The VAE's latent as `svae-encode` stores it (float32, float16; the store's latent array as zarr
   wrote it) and quantised to 8, 6 or 4 bits per number (uniform, one range per latent channel; the ranges are
   counted as bytes) then entropy coded (lzma or zstd, the period as one stream), against zfp (fixed rate and
   fixed accuracy), SZ3 (absolute error bound) and bit rounding plus a lossless codec (numcodecs BitRound, then
   Zstd or Blosc with bit shuffle), each field alone and the period as one (time, latitude, longitude) array. Each
   codec's setting is the one that comes closest to each budget without exceeding it (bisection; keepbits: the
   largest that fits); the budgets are the VAE's own bytes per field. A codec that cannot get down to a budget is
   shown at the smallest output it gives, marked.
2. An error bound. The VAE's reconstruction (from its stored latent) plus SZ3 or zfp fixed accuracy on the residual,
   against the same codec on the anomaly alone, at the same requested absolute error bound; bytes per field of
   each, the latent included (float16 as svae-encode stores it, or quantised to 8 or 4 bits + lzma).

Needs the optional codecs: pip install "svae-weather[codecs]" (zfpy, pysz, numcodecs). Writes --output (JSON) and
prints markdown tables. CPU only; --threads sets torch's threads.
"""
import argparse
import json
import lzma
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TIME_SLICE = "2015-01-01:2019-12-31T18"
TRAIN_SPLIT = 0.8002          # 2015-2018 for training (svae-train carves its validation period from its end)
TEST_SLICE = "2019-01-01:2019-12-31T18"


def need_codecs():
    "zfpy, pysz and numcodecs, or exit naming the extra that installs them."
    try:
        import numcodecs  # noqa: F401
        import pysz  # noqa: F401
        import zfpy  # noqa: F401
    except ImportError as e:
        sys.exit(f"codecs.py: error: {e.name} is not installed: pip install \"svae-weather[codecs]\" "
                 "(zfpy, pysz, numcodecs)")


# ---------------------------------------------------------------------------------------------------- codecs
# Each codec takes float32 anomalies x (N, H, W) and `per_field`; it returns (bytes as stored, reconstruction).

def zfp(x, per_field, **mode):
    "zfp through zfpy: `rate=` bits per value (fixed rate) or `tolerance=` K (fixed accuracy); header included."
    import zfpy
    dims = x.ndim - 1 if per_field else x.ndim
    if "rate" in mode and mode["rate"] * 4 ** dims < 9:
        # zfpy 1.0.1 accepts fewer bits per block of 4^d values than a float's exponent needs (9) and then
        # corrupts the heap while decompressing (malloc abort); the benchmark never asks for that
        raise ValueError(f"zfp fixed rate {mode['rate']} bits/value is under 9 bits per {dims}-D block")
    if per_field:
        blobs = [zfpy.compress_numpy(np.ascontiguousarray(f), **mode) for f in x]
        return sum(map(len, blobs)), np.stack([zfpy.decompress_numpy(b) for b in blobs])
    blob = zfpy.compress_numpy(np.ascontiguousarray(x), **mode)
    return len(blob), zfpy.decompress_numpy(blob)


def sz3(x, per_field, bound):
    "SZ3 through pysz with an absolute error bound (K)."
    from pysz import sz, szConfig, szErrorBoundMode
    config = szConfig()
    config.errorBoundMode = szErrorBoundMode.ABS
    config.absErrorBound = float(bound)

    def one(a):
        blob, _ = sz.compress(np.ascontiguousarray(a), config)
        back, _ = sz.decompress(blob, np.float32, a.shape)
        return blob.nbytes, back
    if per_field:
        parts = [one(f) for f in x]
        return sum(p[0] for p in parts), np.stack([p[1] for p in parts])
    return one(x)


def lossless(name):
    from numcodecs import Blosc, Zstd
    return {"zstd": Zstd(level=19), "blosc": Blosc(cname="zstd", clevel=9, shuffle=Blosc.BITSHUFFLE)}[name]


def bitround(x, per_field, keepbits, codec="zstd"):
    "numcodecs BitRound (mantissa bits kept) followed by a lossless codec; decoding the codec is exact."
    from numcodecs import BitRound
    rounder = BitRound(keepbits=int(keepbits))
    bits = rounder.encode(np.ascontiguousarray(x))  # the rounded floats' bit patterns, as integers
    c = lossless(codec)
    size = sum(len(c.encode(f)) for f in bits) if per_field else len(c.encode(bits))
    return size, np.asarray(rounder.decode(bits), np.float32).reshape(x.shape)


# ------------------------------------------------------------------------------------------------- scoring

def score(truth, got, weights) -> dict:
    "Latitude-weighted RMSE and the largest absolute error, K (fields (N, H, W))."
    from svae_weather.metrics import rmse
    err = np.asarray(got, np.float64) - np.asarray(truth, np.float64)
    return {"rmse": float(rmse(np.asarray(got)[:, None], np.asarray(truth)[:, None], weights)[0]),
            "max_error": float(np.abs(err).max())}


def fit_budget(codec, lo, hi, budget, n, increasing=True, steps=11, log=True):
    """The parameter in [lo, hi] whose bytes per field come closest to `budget` without exceeding it.

    `codec(p)` returns (bytes, reconstruction); bytes grow with p when `increasing`. Bisection (in log p when `log`)."""
    best, first = None, (lo, hi)
    for _ in range(steps):
        mid = math.sqrt(lo * hi) if log else (lo + hi) / 2
        size, rec = codec(mid)
        fits = size / n <= budget
        if fits and (best is None or size > best[1]):
            best = (mid, size, rec)
        if fits == increasing:
            lo = mid
        else:
            hi = mid
    if best is None:  # nothing within budget: the smallest setting tried, marked as over
        p = first[0] if increasing else first[1]
        size, rec = codec(p)
        best = (p, size, rec)
    return best


# --------------------------------------------------------------------------------------------------- the VAE

def train_model(workdir: Path, minutes: float, threads: int, distribution: str, epochs=None) -> Path:
    "A model trained by svae-train's shipped (laptop) recipe on the benchmark's split: `epochs`, or `minutes` of wall clock."
    from svae_weather import train
    from svae_weather.train_cli import parse_config
    out = workdir / f"{distribution}_run"
    budget = ["--epochs", str(epochs)] if epochs else ["--time-limit", str(minutes)]
    argv = ["--time-slice", TIME_SLICE, "--train-split", str(TRAIN_SPLIT), "--distribution", distribution, *budget,
            "--threads", str(threads), "--seed", "0", "--output-dir", str(out), "--no-progress", "--overwrite"]
    print("svae-train " + " ".join(argv), flush=True)
    train(parse_config(argv))
    return out


def epochs_trained(run) -> int | None:
    "Epochs the svae-train run at `run` finished (its train_history.json), or None."
    history = Path(run) / "train_history.json"
    if not history.is_file():
        return None
    epochs = json.loads(history.read_text()).get("epoch") or [None]
    return epochs[-1]


def store_bytes(path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def latent_store_bytes(m, model_path, workdir: Path, dtype: str) -> dict:
    "Bytes of the store svae-encode writes for 2019 (all of it, and its latent array alone)."
    from svae_weather.compress_cli import encode_store
    out = workdir / f"latents_{Path(model_path).name}_{dtype}.zarr"
    encode_store(["--model-path", str(model_path), "--time-slice", TEST_SLICE, "--output", str(out), "--dtype", dtype,
                  "--chunk-size", "1460", "--device", "cpu", "--no-progress", "--overwrite"])
    spread = "concentration" if m.spherical else "std"
    return {"store": store_bytes(out), "latent": store_bytes(out / "latent"), "spread": store_bytes(out / spread)}


def quantise(codes: np.ndarray, bits: int):
    "Uniform quantisation to `bits` per number with one [min, max] per latent channel: (integers, dequantised)."
    axes = (0, 2, 3)
    lo, hi = codes.min(axis=axes, keepdims=True), codes.max(axis=axes, keepdims=True)
    levels = 2 ** bits - 1
    step = np.where(hi > lo, (hi - lo) / levels, 1.0)
    q = np.rint((codes - lo) / step).astype(np.uint8 if bits <= 8 else np.uint16)
    return q, (q * step + lo).astype(np.float32)


def on_sphere(m, codes):
    "vmf and power codes are unit vectors per latent pixel: project dequantised ones back."
    if not m.spherical:
        return codes
    return (codes / np.linalg.norm(codes, axis=1, keepdims=True)).astype(np.float32)


def vae_rows(m, model_path, truth, weights, workdir):
    "The VAE's rows: its latent at float32/float16 as svae-encode stores it, and quantised + entropy coded."
    from svae_weather.compress import decode_fields, encode_fields
    n = len(truth)
    codes = encode_fields(m, truth)["latent"]
    d, h, w = m.model.latent_shape
    name = f"VAE {m.model.distribution}, {epochs_trained(model_path)} epochs ({d}x{h}x{w} latent)"
    rows, recons = [], {}
    for dtype in ("float32", "float16"):
        sizes = latent_store_bytes(m, model_path, workdir, dtype)
        rec = decode_fields(m, codes.astype(dtype))[:, 0]
        recons[dtype] = (sizes["latent"] / n, rec, codes.astype(dtype))
        rows.append({"method": name, "layout": "latent store", "setting": f"{dtype}, as svae-encode writes it",
                     "bytes_per_field": sizes["latent"] / n, "store_bytes_per_field": sizes["store"] / n,
                     **score(truth[:, 0], rec, weights)})
    for bits in (8, 6, 4):
        q, deq = quantise(codes, bits)
        deq = on_sphere(m, deq)
        rec = decode_fields(m, deq)[:, 0]
        ranges = 2 * codes.shape[1] * 4  # one float32 min and max per latent channel
        packed = math.ceil(codes[0].size * bits / 8)  # each field alone: the bits packed, no entropy coder
        sizes = {"lzma": len(lzma.compress(q.tobytes(), preset=9 | lzma.PRESET_EXTREME)) + ranges,
                 "zstd": len(lossless("zstd").encode(q)) + ranges}
        s = score(truth[:, 0], rec, weights)
        rows.append({"method": name, "layout": "each field alone", "setting": f"{bits}-bit uniform, bits packed",
                     "bytes_per_field": packed + ranges / n, **s})
        for coder, size in sizes.items():
            rows.append({"method": name, "layout": "period as one array", "setting": f"{bits}-bit uniform + {coder}",
                         "bytes_per_field": size / n, **s})
        recons[f"{bits}-bit"] = (min(sizes.values()) / n, rec, deq)
    return rows, recons


# -------------------------------------------------------------------------------------------------- tables

def budget_rows(x, truth, weights, budgets):
    "Each classical codec at each budget (bytes per field), each field alone and the period as one array."
    n = len(x)
    rows = []
    for budget in budgets:
        for per_field in (True, False):
            layout = "each field alone" if per_field else "period as one array"
            tries = [
                ("zfp", "fixed rate {:.4g} bits/value", lambda p: zfp(x, per_field, rate=p),
                 9 / 4 ** (x.ndim - 1 if per_field else x.ndim), 32, True),
                ("zfp", "fixed accuracy {:.3g} K", lambda p: zfp(x, per_field, tolerance=p), 1e-3, 200, False),
                ("SZ3", "abs bound {:.3g} K", lambda p: sz3(x, per_field, p), 1e-3, 200, False),
            ]
            for method, label, codec, lo, hi, increasing in tries:
                p, size, rec = fit_budget(codec, lo, hi, budget, n, increasing)
                rows.append({"method": method, "layout": layout, "setting": label.format(p), "budget": budget,
                             "bytes_per_field": size / n, **score(truth, rec, weights)})
            for coder in ("zstd", "blosc"):
                chosen = None
                for keep in range(0, 24):
                    size, rec = bitround(x, per_field, keep, coder)
                    if size / n <= budget or chosen is None:
                        chosen = (keep, size, rec)
                    if size / n > budget:
                        break
                keep, size, rec = chosen
                rows.append({"method": f"BitRound + {'Zstd' if coder == 'zstd' else 'Blosc(zstd, bitshuffle)'}",
                             "layout": layout, "setting": f"keepbits {keep}", "budget": budget,
                             "bytes_per_field": size / n, **score(truth, rec, weights)})
    return rows


def error_bound_rows(anomaly, vae: dict, weights, bounds):
    """The codec alone on the anomaly against the VAE plus the codec on the residual, at each requested bound.

    `vae` maps a latent's name to (its bytes per field, the VAE's reconstruction from it as an anomaly)."""
    n = len(anomaly)
    rows = []
    for bound in bounds:
        for per_field in (True, False):
            layout = "each field alone" if per_field else "period as one array"
            for method, codec in (("SZ3", lambda a: sz3(a, per_field, bound)),
                                  ("zfp fixed accuracy", lambda a: zfp(a, per_field, tolerance=bound))):
                size, rec = codec(anomaly)
                row = {"bound": bound, "method": method, "layout": layout,
                       "alone": {"bytes_per_field": size / n, **score(anomaly, rec, weights)}}
                for name, (latent_bytes, recon) in vae.items():
                    size, rec = codec((anomaly - recon).astype(np.float32))
                    row[f"vae_{name}"] = {"bytes_per_field": latent_bytes + size / n, "residual_bytes_per_field": size / n,
                                          **score(anomaly, recon + rec, weights)}
                rows.append(row)
    return rows


def markdown(rows, budgets=False) -> str:
    "A markdown table of rows; with `budgets` a first column of each row's budget, and settings over it marked."
    lines = ["| method | layout | setting | bytes/field | RMSE (K) | max error (K) |", "|---|---|---|---:|---:|---:|"]
    if budgets:
        lines = ["| budget (B/field) " + lines[0], "|---:" + lines[1]]
    for r in rows:
        over = " (over budget: the smallest it gives)" if budgets and r["bytes_per_field"] > r["budget"] else ""
        lines.append((f"| {r['budget']:g} " if budgets else "") + f"| {r['method']} | {r['layout']} | {r['setting']}{over} | "
                     f"{r['bytes_per_field']:.0f} | {r['rmse']:.3f} | {r['max_error']:.2f} |")
    return "\n".join(lines)


def bound_markdown(rows, latents) -> str:
    head = "| bound (K) | codec | layout | alone: bytes/field | RMSE | max err |"
    rule = "|---:|---|---|---:|---:|---:|"
    for name in latents:
        head += f" VAE ({name} latent) + codec on residual: bytes/field | RMSE | max err |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for r in rows:
        a = r["alone"]
        line = (f"| {r['bound']:g} | {r['method']} | {r['layout']} | {a['bytes_per_field']:.0f} | {a['rmse']:.3f} | "
                f"{a['max_error']:.3f} |")
        for name in latents:
            b = r[f"vae_{name}"]
            line += (f" {b['bytes_per_field']:.0f} ({b['residual_bytes_per_field']:.0f} residual) | {b['rmse']:.3f} | "
                     f"{b['max_error']:.3f} |")
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-path", nargs="+", default=None, help="svae-train run directories (the first one's "
                   "normaliser mean is every codec's mean; the first one's latent is used for the error bound)")
    p.add_argument("--minutes", type=float, default=10.0, help="without --model-path: svae-train --time-limit")
    p.add_argument("--epochs", type=int, default=None, help="without --model-path: svae-train --epochs (not --minutes)")
    p.add_argument("--distribution", default="normal", help="without --model-path: the model to train")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--budgets", type=float, nargs="+", default=None,
                   help="bytes per field for the classical codecs (default: the first VAE's float16 latent, 8-bit and 4-bit)")
    p.add_argument("--bounds", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
                   help="absolute error bounds (K) of the error-bound comparison")
    p.add_argument("--bound-latents", nargs="+", default=["float16", "8-bit", "4-bit"],
                   choices=("float32", "float16", "8-bit", "6-bit", "4-bit"),
                   help="the VAE latents under the residual in the error-bound comparison")
    p.add_argument("--workdir", default=None, help="for the latent stores and a trained model (default: temporary)")
    p.add_argument("--output", default="benchmarks/results/codecs.json")
    a = p.parse_args(argv)
    if min(a.bounds) <= 0 or (a.budgets and min(a.budgets) <= 0) or a.threads < 1:
        p.error("--bounds and --budgets must be positive numbers (kelvin, bytes per field), --threads at least 1")
    need_codecs()
    import torch
    torch.set_num_threads(a.threads)
    from svae_weather.compress import load_model
    from svae_weather.data import open_weather
    from svae_weather.grid import latitude_weights
    workdir = Path(a.workdir or tempfile.mkdtemp(prefix="svae_codecs_"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    from svae_weather import SvaeError
    try:
        paths = a.model_path or [str(train_model(workdir, a.minutes, a.threads, a.distribution, a.epochs))]
        models = [load_model(path) for path in paths]
        m0 = models[0]
        if m0.normalizer.mean is None:
            sys.exit("codecs.py: error: the first model has no anomaly normaliser (its mean is every codec's mean): "
                     "train it with --normalization anomaly (the laptop recipe's default)")
        da = open_weather(None, time_slice=TEST_SLICE)
        truth = np.asarray(da.values, np.float32)
        if truth.shape[1] != 1:
            sys.exit("codecs.py: error: the benchmark compares one channel (the built-in sample's 2 m temperature)")
        weights = latitude_weights(da["latitude"].values)
        mean = np.asarray(m0.normalizer.mean, np.float32)[0]
        anomaly = (truth[:, 0] - mean).astype(np.float32)
        n = len(truth)
        print(f"2019 of the built-in sample: {n} fields of {truth.shape[2]} x {truth.shape[3]}; anomaly std "
              f"{anomaly.std():.2f} K, largest |anomaly| {np.abs(anomaly).max():.2f} K", flush=True)

        vae, recons = [], {}
        for m, path in zip(models, paths):
            rows, rec = vae_rows(m, path, truth, weights, workdir)
            vae += rows
            recons.setdefault("first", rec)
            print(f"{m}: {rows[1]['rmse']:.3f} K with the float16 latent", flush=True)
        first = recons["first"]
        budgets = a.budgets or sorted({round(first[name][0]) for name in ("float16", "8-bit", "4-bit")})
        codec_rows = budget_rows(anomaly, anomaly, weights, budgets)
        # the codecs' reconstructions were scored as anomalies: the same mean is added to both sides
        under = {name: (first[name][0], (first[name][1] - mean).astype(np.float32)) for name in a.bound_latents}
        bound_rows = error_bound_rows(anomaly, under, weights, a.bounds)
    except SvaeError as e:  # a model path that is not a run, a store that does not fit: one line
        sys.exit(f"codecs.py: error: {e}")
    finally:
        if a.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    print(f"\nEqual bytes: 2019 of the built-in sample ({n} fields), every codec given the first model's training mean; "
          f"budgets {', '.join(f'{b:g}' for b in budgets)} bytes/field; {minutes:.1f} min\n")
    print(markdown(vae))
    print()
    print(markdown(sorted(codec_rows, key=lambda r: (r["budget"], r["layout"], r["method"])), budgets))
    print(f"\nError bound: VAE {m0.model.distribution} ("
          + ", ".join(f"{name} latent {first[name][0]:.0f} bytes/field" for name in a.bound_latents)
          + ") + codec on the residual, against the codec alone at the same requested bound\n")
    print(bound_markdown(bound_rows, a.bound_latents))
    out = Path(a.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "command": "python benchmarks/codecs.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "data": {"test_period": TEST_SLICE, "fields": n, "grid": list(truth.shape[2:]),
                 "mean": "the first model's anomaly normaliser mean (its training fields), subtracted for every codec"},
        "models": [{"path": str(path), "repr": repr(m), "distribution": m.model.distribution,
                    "latent_shape": list(m.model.latent_shape), "epochs_trained": epochs_trained(path),
                    "train_args": {k: m.config.get("args", {}).get(k) for k in
                                   ("recipe", "time_slice", "train_split", "epochs", "time_limit", "threads", "seed")}}
                   for m, path in zip(models, paths)],
        "budgets": budgets, "vae": vae, "codecs": codec_rows,
        "error_bound": {"latents": {name: first[name][0] for name in a.bound_latents}, "rows": bound_rows},
        "minutes": minutes}, indent=1))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
