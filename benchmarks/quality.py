"""Reconstruction quality: the default VAE with each posterior (normal, vmf, power) against EOF baselines.

Trains the default model (hidden dims 64 128 256 512, 4 latent channels: 128 latent numbers, 16x compression)
with each distribution on the built-in synthetic sample, training on 2015-01-01 to 2018-12-31 and testing on
2019, for a fixed budget; scores each model on 2019 with the metrics of `svae-eval` (latitude-weighted, physical
units, raw data; ACC against a day-of-year climatology of 2015-2018) and prints one table with the EOF baseline
at k = 32, 64, 128 and 256, fitted on 2015-2018.

    python benchmarks/quality.py                                          # CPU: 5 minutes of training per model
    python benchmarks/quality.py --device cuda --epochs 600 --lr 1e-4     # the seed's schedule, on a GPU

Two budgets:
- --minutes-per-model M (the default, for CPUs): `svae_weather.train.train_step` on shuffled batches for M
  minutes of wall clock, with the learning rate on a cosine schedule over those minutes (so it ends annealed
  however fast the machine is). The number of steps it managed is printed.
- --epochs N: a full `svae-train` run of N epochs (cosine schedule over the epochs), evaluated at its last epoch
  (checkpoint_latest.pth), so no model is selected on the test year.

Results go to --output-dir (quality.json, and the svae-train runs with --epochs); a non-empty directory is
refused unless --overwrite.
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from svae_weather.baselines import eof_baseline_scores
from svae_weather.data import latitude_weights
from svae_weather.evaluate import evaluate_model, evaluation_data
from svae_weather.losses import GRAD_LOSS_WEIGHT, KL_WEIGHT, PERCEPTUAL_WEIGHT
from svae_weather.model import ImprovedWeatherVAE
from svae_weather.train import load_data, load_trained, materialise, pick_device, train, train_step

TIME_SLICE = "2015-01-01:2019-12-31T18"
# 2015-2018 is 1461 days = 5844 six-hourly fields of the 7304 in 2015-2019; floor(0.8002 * 7304) = 5844.
TRAIN_SPLIT = 0.8002
TRAIN_PERIOD = ["2015-01-01T00:00:00", "2018-12-31T18:00:00"]
TEST_PERIOD = ["2019-01-01T00:00:00", "2019-12-31T18:00:00"]
LOSS_KWARGS = dict(advanced=True, perceptual_weight=PERCEPTUAL_WEIGHT, grad_loss_weight=GRAD_LOSS_WEIGHT)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--epochs", type=int, default=None, help="train each model with svae-train for N epochs")
    p.add_argument("--minutes-per-model", type=float, default=5.0,
                   help="wall-clock training budget per model when --epochs is not given")
    p.add_argument("--lr", type=float, default=1e-3,
                   help="AdamW peak learning rate, cosine schedule (the seed used 1e-4 over 600 epochs)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--hidden-dims", type=int, nargs="+", default=[64, 128, 256, 512],
                   help="the default model's; narrower ones (same depth, same latent) make a quick smoke test")
    p.add_argument("--distributions", nargs="+", default=["normal", "vmf", "power"])
    p.add_argument("--eof-k", type=int, nargs="+", default=[32, 64, 128, 256])
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--output-dir", default="outputs/quality")
    p.add_argument("--overwrite", action="store_true", help="replace the results of an earlier benchmark")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def train_for_minutes(distribution, data, args, device) -> tuple[ImprovedWeatherVAE, dict]:
    "The model trained for `args.minutes_per_model` of wall clock, with a cosine learning rate over that time."
    torch.manual_seed(args.seed)
    model = ImprovedWeatherVAE(spatial_shape=data["train"].shape[-2:], n_channels=data["train"].shape[1],
                               hidden_dims=tuple(args.hidden_dims), distribution=distribution).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    x_all = torch.from_numpy(data["train"]).to(device)
    shuffle = torch.Generator().manual_seed(args.seed)
    budget, steps, seen = args.minutes_per_model * 60, 0, 0
    start = time.perf_counter()
    order = torch.randperm(len(x_all), generator=shuffle)
    while (elapsed := time.perf_counter() - start) < budget:
        for group in optimizer.param_groups:
            group["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * elapsed / budget))
        if seen + args.batch_size > len(order):
            order, seen = torch.randperm(len(x_all), generator=shuffle), 0
        terms = train_step(model, optimizer, x_all[order[seen:seen + args.batch_size]], KL_WEIGHT, LOSS_KWARGS)
        seen, steps = seen + args.batch_size, steps + 1
        if not math.isfinite(float(terms["loss"])):
            sys.exit(f"quality.py: error: the {distribution} model's loss became {float(terms['loss'])}; lower --lr")
    model.eval()
    return model, {"steps": steps, "epochs": steps * args.batch_size / len(x_all),
                   "train_seconds": time.perf_counter() - start}


def row(name, summary, minutes=None):
    p = summary["physical"]["2m_temperature"]
    return {"name": name, "rmse": p["rmse"], "mae": p["mae"], "bias": p["bias"], "acc": p["acc"],
            "unweighted_rmse": p["unweighted_rmse"], "ssim": summary["normalized"]["2m_temperature"]["ssim"],
            "minutes": minutes}


def format_rows(rows) -> str:
    fmt = lambda v, spec: "n/a" if v is None else format(v, spec)
    lines = [f"| {'model':<38} | {'RMSE (K)':>8} | {'MAE (K)':>7} | {'bias (K)':>8} | {'ACC':>7} | "
             f"{'SSIM':>6} | {'unweighted RMSE (K)':>19} | {'train min':>9} |",
             f"|{'-' * 40}|{'-' * 10}|{'-' * 9}|{'-' * 10}|{'-' * 9}|{'-' * 8}|{'-' * 21}|{'-' * 11}|"]
    for r in rows:
        lines.append(f"| {r['name']:<38} | {r['rmse']:8.4f} | {r['mae']:7.4f} | {r['bias']:+8.4f} | "
                     f"{fmt(r['acc'], '+7.4f')} | {r['ssim']:6.4f} | {r['unweighted_rmse']:19.4f} | "
                     f"{fmt(r['minutes'], '9.1f') if r['minutes'] is not None else '':>9} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.output_dir)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        sys.exit(f"quality.py: error: {out} is not empty; pass --overwrite or choose another --output-dir")
    out.mkdir(parents=True, exist_ok=True)
    device = pick_device(args.device)
    started = time.perf_counter()

    # The run's split, exactly as svae-train makes it; the normaliser is fitted on 2015-2018 only.
    run_args = SimpleNamespace(data_path=None, variable=["2m_temperature"], levels=None, time_slice=TIME_SLICE,
                               train_split=TRAIN_SPLIT)
    data = materialise(load_data(run_args))
    if data["info"]["train_time"] != TRAIN_PERIOD or data["info"]["test_time"] != TEST_PERIOD:
        sys.exit(f"quality.py: error: the split is {data['info']['train_time']} / {data['info']['test_time']}, not "
                 f"{TRAIN_PERIOD} / {TEST_PERIOD}")
    config = {"args": {**vars(run_args), "data_path": None}, "data": data["info"]}
    periods = evaluation_data(config)
    normalizer = data["normalizer"]

    rows, runs = [], {}
    for dist in args.distributions:
        if args.epochs is None:
            model, info = train_for_minutes(dist, data, args, device)
            label = f"VAE {dist} ({info['steps']} steps, {info['epochs']:.2f} ep.)"
        else:
            run_dir = out / dist
            t0 = time.perf_counter()
            train(["--time-slice", TIME_SLICE, "--train-split", str(TRAIN_SPLIT), "--distribution", dist,
                   "--epochs", str(args.epochs), "--lr", str(args.lr), "--batch-size", str(args.batch_size),
                   "--eval-every", str(args.epochs), "--device", args.device, "--seed", str(args.seed),
                   "--hidden-dims", *map(str, args.hidden_dims), "--output-dir", str(run_dir), "--no-progress"]
                  + (["--overwrite"] if args.overwrite else []))
            model, config_run, _ = load_trained(run_dir / "checkpoint_latest.pth", device=device)
            info = {"epochs": args.epochs, "train_seconds": time.perf_counter() - t0}
            label = f"VAE {dist} ({args.epochs} epochs)"
        t0 = time.perf_counter()
        evaluation = evaluate_model(model, config, normalizer, periods["train"], periods["test"], batch_size=256,
                                    device=device, baseline=False, progress=False)
        summary = evaluation["model"].summary()
        runs[dist] = {"summary": summary, **info, "eval_seconds": time.perf_counter() - t0,
                      "latent_size": evaluation["latent_size"]}
        rows.append(row(label, summary, info["train_seconds"] / 60))
        print(f"{label}: trained {info['train_seconds'] / 60:.1f} min, evaluated {runs[dist]['eval_seconds']:.0f} s; "
              f"weighted RMSE {rows[-1]['rmse']:.4f} K", flush=True)

    # The EOF baseline, fitted once on 2015-2018 in the same normalised space, scored like the models.
    t0 = time.perf_counter()
    test_da = periods["test"]
    eof = eof_baseline_scores(np.asarray(periods["train"].values, np.float64), np.asarray(test_da.values, np.float64),
                              args.eof_k, latitude_weights(test_da.latitude.values), ["2m_temperature"],
                              test_da.attrs.get("units"), normalizer, evaluation["climatology"],
                              test_da.time.values)
    eof_summaries = {k: sc.summary() for k, sc in eof.items()}
    rows += [row(f"EOF-{k}", s) for k, s in eof_summaries.items()]
    print(f"EOF baselines: {time.perf_counter() - t0:.0f} s", flush=True)

    total = (time.perf_counter() - started) / 60
    budget = (f"{args.epochs} epochs per model (svae-train)" if args.epochs is not None
              else f"{args.minutes_per_model:g} min of training per model")
    print(f"\nBuilt-in synthetic sample, train 2015-2018, test 2019 ({test_da.sizes['time']} fields); "
          f"latitude-weighted scores in physical units; VAE latent = {evaluation['latent_size']} numbers; "
          f"{budget}; device {device}, hidden dims {args.hidden_dims}, peak lr {args.lr} (cosine), batch "
          f"{args.batch_size}, {torch.get_num_threads()} CPU threads; total {total:.1f} min\n")
    print(format_rows(rows))
    (out / "quality.json").write_text(json.dumps(
        {"args": vars(args), "rows": rows, "models": runs, "eof": {str(k): s for k, s in eof_summaries.items()},
         "total_minutes": total}, indent=1, default=str))


if __name__ == "__main__":
    main()
