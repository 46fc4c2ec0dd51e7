"""Reconstruction quality: what `svae-train` ships, with each posterior (normal, vmf, power), against EOF baselines.

For each distribution this runs `svae-train` with its own defaults and `--time-limit MINUTES` on the built-in
synthetic sample (2015-2019; the test period is 2019, the training period 2015-2018, from whose end svae-train
carves its validation period), then scores the run's `best_model.pth` on 2019 with `svae-eval`'s own code
(`svae_weather.evaluate_run`: latitude-weighted, physical units, raw data; ACC against WeatherBench2's
climatology definition fitted on 2015-2018). Beside the models it reports the EOF baseline, fitted on 2015-2018,
at the same number of stored floats as the latent (latent_channels x h x w), at the same degrees of freedom
((latent_channels - 1) x h x w for vmf/power, whose latent pixels lie on a sphere) and at each --eof-k. Both EOF
and a VAE with the anomaly normaliser get a per-grid-point training mean for free.

Each model is scored twice: decoding the encoder's code (the posterior mode), and decoding that code after
--refine-steps gradient steps through the decoder (`svae-eval --refine-steps`; 0 skips the second row). EOF's
coefficients are the least-squares best code of its linear decoder; the refined row gives the VAE's decoder a
code found the same way, by minimising the field's error.

    python benchmarks/quality.py                                     # CPU: 5 minutes of training per model
    python benchmarks/quality.py --minutes-per-model 10 --distributions vmf
    python benchmarks/quality.py --device cuda --epochs 600           # a full run of N epochs instead of a time limit
    python benchmarks/quality.py --device cuda --epochs 600 --train-args "--lr 1e-4"   # plus any svae-train flag
    python benchmarks/quality.py --grid 240x121 --distributions normal    # the sample on WeatherBench2's 1.5-degree grid

With --grid other than 64x32 the sample is first written on that grid (`svae-data --write-sample --grid`) to
OUTPUT_DIR/sample_GRID, once, and every model trains on that store.

Results go to --output-dir: quality.json (rows with name, rmse, acc, ...), and per distribution the svae-train run
(DIST/run/) and its evaluations (DIST/eval/, DIST/eval_refined/). A non-empty directory is refused unless --overwrite.
"""
import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

from svae_weather import SvaeError, evaluate_run, train
from svae_weather.refine import REFINE_STEPS
from svae_weather.sample import write_sample_zarr
from svae_weather.train_cli import parse_config

TIME_SLICE = "2015-01-01:2019-12-31T18"
# 2015-2018 is 1461 days = 5844 six-hourly fields of the 7304 in 2015-2019; floor(0.8002 * 7304) = 5844.
TRAIN_SPLIT = 0.8002
TEST_PERIOD = ["2019-01-01T00:00:00", "2019-12-31T18:00:00"]
CHANNEL = "2m_temperature"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes-per-model", type=float, default=5.0,
                   help="svae-train --time-limit for each model (ignored with --epochs)")
    p.add_argument("--epochs", type=int, default=None, help="train each model for N epochs instead of a time limit")
    p.add_argument("--distributions", nargs="+", default=["normal", "vmf", "power"])
    p.add_argument("--eof-k", type=int, nargs="+", default=[32, 64, 128, 256],
                   help="EOF truncations scored besides equal floats and equal degrees of freedom")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-args", default="",
                   help="extra svae-train arguments, e.g. \"--lr 1e-4\" (without it the benchmark measures the defaults)")
    p.add_argument("--refine-steps", type=int, default=REFINE_STEPS,
                   help="also score each model with its codes refined by N steps (svae-eval --refine-steps; 0: not)")
    p.add_argument("--grid", default="64x32", help="the sample's grid: 64x32, 240x121, 1440x721 or any WxH")
    p.add_argument("--output-dir", default="outputs/quality")
    p.add_argument("--overwrite", action="store_true", help="replace the results of an earlier benchmark")
    return p.parse_args(argv)


def sample_store(args, out: Path) -> list[str]:
    "svae-train's data arguments: none for the built-in 64x32 sample, else the sample written on --grid once."
    if args.grid == "64x32":
        return []
    path = out / f"sample_{args.grid}"
    if not path.exists():
        t0 = time.perf_counter()
        write_sample_zarr(path, grid=args.grid)
        print(f"wrote the sample on the {args.grid} grid to {path} in {time.perf_counter() - t0:.0f} s", flush=True)
    return ["--data-path", str(path)]


def train_run(dist: str, args, run_dir: Path, data: list[str]) -> dict:
    "svae-train with its defaults, the benchmark's split and budget; returns what it did."
    budget = ["--epochs", str(args.epochs)] if args.epochs is not None else ["--time-limit", str(args.minutes_per_model)]
    argv = [*data, "--time-slice", TIME_SLICE, "--train-split", str(TRAIN_SPLIT), "--distribution", dist, *budget,
            "--device", args.device, "--seed", str(args.seed), "--output-dir", str(run_dir), "--no-progress"]
    argv += ["--threads", str(args.threads)] if args.threads else []
    argv += ["--overwrite"] if args.overwrite else []
    argv += shlex.split(args.train_args)
    print("svae-train " + " ".join(argv), flush=True)
    t0 = time.perf_counter()
    result = train(parse_config(argv))
    history = result.history
    return {"argv": argv, "train_seconds": time.perf_counter() - t0, "stopped": result.stopped,
            "epochs": history["epoch"][-1] if history.get("epoch") else 0, "config": result.config}


def row(name, metrics, **extra):
    p = metrics["physical"][CHANNEL]
    return {"name": name, "rmse": p["rmse"], "acc": p["acc"], "mae": p["mae"], "bias": p["bias"],
            "unweighted_rmse": p["unweighted_rmse"], "ssim": p["ssim"], **extra}


def eof_rows(doc) -> list[tuple[int, str, dict]]:
    "(k, what it matches, row) for the EOF baselines of one evaluation: equal floats, equal d.o.f., the sweep."
    dist = doc["config"]["model_config"]["distribution"]
    out = [(doc[key]["n_components"], f"{label} as {dist}", row("", doc[key]["metrics"], capped=doc[key]["capped"]))
           for key, label in (("eof_baseline", "same floats"), ("eof_baseline_dof", "same d.o.f."))]
    capped = doc.get("eof_sweep_capped", {})
    return out + [(int(k), "", row("", m, capped=k in capped)) for k, m in doc.get("eof_sweep", {}).items()]


def format_rows(rows) -> str:
    cell = lambda v, w, spec: f"{'n/a':>{w}}" if v is None else format(v, f"{w}{spec}")
    head = f"| {'model':<60} | {'RMSE (K)':>8} | {'ACC':>7} | {'MAE (K)':>7} | {'bias (K)':>8} | {'SSIM':>7} | " \
           f"{'unweighted RMSE (K)':>19} | {'train min':>9} |"
    lines = [head, "|" + "|".join("-" * (len(c) + 0) for c in head.split("|")[1:-1]) + "|"]
    for r in rows:
        sign = "n/a" if r["bias"] is None else format(r["bias"], "+8.4f")
        lines.append(f"| {r['name']:<60} | {cell(r['rmse'], 8, '.4f')} | {cell(r['acc'], 7, '.4f')} | "
                     f"{cell(r['mae'], 7, '.4f')} | {sign:>8} | {cell(r['ssim'], 7, '.4f')} | "
                     f"{cell(r['unweighted_rmse'], 19, '.4f')} | {cell(r.get('minutes'), 9, '.1f')} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.refine_steps < 0:
        sys.exit(f"quality.py: error: --refine-steps must be 0 or more; got {args.refine_steps}")
    out = Path(args.output_dir)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        sys.exit(f"quality.py: error: {out} is not empty; pass --overwrite or choose another --output-dir")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows, eofs, runs = [], {}, {}
    try:
        data = sample_store(args, out)
        for dist in args.distributions:
            info = train_run(dist, args, out / dist / "run", data)
            doc = evaluate_run(out / dist / "run", out / dist / "eval", eof_k=args.eof_k, device=args.device, progress=False,
                               overwrite=args.overwrite)
            if doc["period"] != TEST_PERIOD:
                sys.exit(f"quality.py: error: svae-eval scored {doc['period']}, not {TEST_PERIOD}")
            runs[dist] = {**{k: v for k, v in info.items() if k != "config"}, "latent_size": doc["latent_size"],
                          "latent_degrees_of_freedom": doc["latent_degrees_of_freedom"],
                          "climatology": doc["climatology"], "mean_field": doc["mean_field"],
                          "outside_normalizer": doc["outside_normalizer"],
                          "val_time": info["config"].get("data", {}).get("val_time")}
            selected = "best on validation" if info["config"]["args"]["val_split"] else "last model"
            rows.append(row(f"VAE {dist} ({info['epochs']} ep., {selected})", doc["metrics"],
                            minutes=info["train_seconds"] / 60, k=doc["latent_size"], matches=None, capped=False))
            if args.refine_steps:
                refined = evaluate_run(out / dist / "run", out / dist / "eval_refined", refine_steps=args.refine_steps,
                                       device=args.device, progress=False, overwrite=args.overwrite)
                rows.append(row(f"VAE {dist}, code refined ({args.refine_steps} steps)", refined["metrics"],
                                minutes=info["train_seconds"] / 60, k=doc["latent_size"], matches=None, capped=False))
                runs[dist]["refine_steps"] = args.refine_steps
            for k, matches, r in eof_rows(doc):  # the same basis whichever evaluation fitted it: one row per k
                entry = eofs.setdefault(k, {**r, "k": k, "matches": []})
                if matches:
                    entry["matches"].append(matches)
            print(f"VAE {dist}: {info['train_seconds'] / 60:.1f} min, {info['epochs']} epochs; "
                  f"weighted RMSE {doc['metrics']['physical'][CHANNEL]['rmse']:.4f} K"
                  + (f", with refined codes {rows[-1]['rmse']:.4f} K" if args.refine_steps else ""), flush=True)
    except SvaeError as e:
        sys.exit(f"quality.py: error: {e}")
    for k in sorted(eofs):
        r = eofs[k]
        groups = {}
        for m in r["matches"]:  # "same floats as vmf", "same floats as power" -> "same floats as vmf/power"
            label, _, dist = m.rpartition(" as ")
            groups.setdefault(label, []).append(dist)
        r["matches"] = "; ".join(f"{label} as {'/'.join(dists)}" for label, dists in groups.items()) or None
        r["name"] = f"EOF-{k}{'*' if r['capped'] else ''}" + (f" ({r['matches']})" if r["matches"] else "")
        rows.append(r)
    total = (time.perf_counter() - started) / 60
    budget = (f"{args.epochs} epochs per model" if args.epochs is not None
              else f"svae-train --time-limit {args.minutes_per_model:g} per model")
    first = next(iter(runs.values()), {})
    print(f"\nBuilt-in synthetic sample on the {args.grid} grid, train 2015-2018 (validation carved from its end), test 2019; "
          f"latitude-weighted scores in physical units; svae-train defaults, {budget}; device {args.device}, "
          f"{torch.get_num_threads()} CPU threads; total {total:.1f} min")
    print(f"latent: {first.get('latent_size')} floats; mean field: {first.get('mean_field')}\n")
    print(format_rows(rows))
    (out / "quality.json").write_text(json.dumps(
        {"args": vars(args), "rows": rows, "models": runs, "total_minutes": total}, indent=1, default=str))


if __name__ == "__main__":
    main()
