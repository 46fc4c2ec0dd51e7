"""Evidence for svae-train's laptop defaults: one change at a time, the same budget, two seeds.

Every run is `svae-train` with its shipped defaults plus `--distribution vmf` and a budget, either `--epochs N`
(the same training samples for every variant, whatever else runs on the machine) or `--time-limit MINUTES` (the
same wall clock, fair only on a quiet machine); each variant changes one default (back to the value of the
full-length GPU recipe, or to the obvious alternative). The runs train on 2016-2017 of the built-in sample
(validation carved from its end) and are scored
with `svae-eval`'s code on 2018, so the choice of defaults never looks at 2019, the test year of
`benchmarks/quality.py`. Scores: latitude-weighted RMSE (K) and ACC; the table gives each seed and the median.

    python benchmarks/ablation.py --epochs 1 --seeds 0 1
    python benchmarks/ablation.py --seeds 0 --threads 1 --output-dir A0 & python benchmarks/ablation.py --seeds 1 --threads 1 --output-dir A1
    python benchmarks/ablation.py --variants defaults minmax --minutes-per-run 0.2   # a quick smoke run
"""
import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

from svae_weather import SvaeError, evaluate_run, train
from svae_weather.train_cli import parse_config

TIME_SLICE = "2016-01-01:2018-12-31T18"
TRAIN_SPLIT = 0.6670  # 2016-2017 train (its last 10% validates), 2018 test: floor(0.6670 * 4384) = 2924 fields
TEST_PERIOD = ["2018-01-01T00:00:00", "2018-12-31T18:00:00"]
CHANNEL = "2m_temperature"
VARIANTS = {  # name: (what changes, svae-train flags)
    "defaults": ("the shipped recipe", ""),
    "minmax": ("one min/max for the whole field instead of anomalies (no mixing)", "--normalization minmax --mix-fields 0"),
    "no-lat-weight": ("unweighted loss", "--no-lat-weighted-loss"),
    "mse": ("plain MSE instead of the L1 + MSE + gradient loss", "--no-use-advanced-loss"),
    "static": ("position fields on", "--static-fields"),
    "no-static": ("position fields off", "--no-static-fields"),
    "width-32": ("hidden dims 32 64 128 256", "--hidden-dims 32 64 128 256"),
    "wide": ("hidden dims 64 128 256 512", "--hidden-dims 64 128 256 512"),
    "bottleneck-256": ("hidden dims 16 32 64 256 (wider at the coarsest stage only)", "--hidden-dims 16 32 64 256"),
    "lr-1e-4": ("peak learning rate 1e-4", "--lr 1e-4"),
    "no-warmup": ("no warm-up", "--warmup-steps 0"),
    "batch-32": ("batch 32", "--batch-size 32"),
    "batch-4": ("batch 4", "--batch-size 4"),
    "no-ema": ("no moving average of the weights", "--ema-decay 0"),
    "no-mix": ("no mixing of training fields", "--mix-fields 0"),
    "mix-early": ("mixing from the first epoch", "--mix-after 0"),
    "mix-1-early": ("every training field mixed, from the first epoch", "--mix-fields 1 --mix-after 0"),
    "mix-early-no-ema": ("mixing from the first epoch, no weight average", "--mix-after 0 --ema-decay 0"),
    "mix-0.75": ("three quarters of the training fields mixed", "--mix-fields 0.75"),
    "mix-arc-90": ("mixing angle from [0, 90) degrees only (both weights positive)", "--mix-arc 90"),
    "kl-1e-4": ("KL weight 1e-4 (wider posteriors, noisier codes)", "--kl-weight 1e-4"),
    "ema-0.9995": ("a longer weight average (decay 0.9995)", "--ema-decay 0.9995"),
    "no-linear-path": ("no linear path beside the convolutions", "--no-linear-path"),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", nargs="+", default=["defaults", "minmax", "no-lat-weight", "mse", "static",
                                                     "lr-1e-4", "batch-32", "batch-4", "width-32", "wide", "no-ema", "no-mix", "mix-early"], choices=list(VARIANTS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--epochs", type=int, default=None, help="train each run for N epochs (the fair budget on a busy machine)")
    p.add_argument("--minutes-per-run", type=float, default=1.0, help="svae-train --time-limit, when --epochs is not given")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads per run (default: torch's choice)")
    p.add_argument("--output-dir", default="outputs/ablation")
    p.add_argument("--overwrite", action="store_true", help="replace the results of an earlier ablation")
    return p.parse_args(argv)


def run(name: str, seed: int, args, out: Path) -> dict:
    "Train one variant with one seed and score it on 2018."
    run_dir = out / f"{name}-seed{seed}"
    argv = ["--distribution", "vmf", "--time-slice", TIME_SLICE, "--train-split", str(TRAIN_SPLIT),
            *(["--epochs", str(args.epochs)] if args.epochs else ["--time-limit", str(args.minutes_per_run)]),
            "--seed", str(seed), "--output-dir", str(run_dir),
            "--no-progress", *shlex.split(VARIANTS[name][1])] + (["--overwrite"] if args.overwrite else [])
    argv += ["--threads", str(args.threads)] if args.threads else []
    t0 = time.perf_counter()
    result = train(parse_config(argv))
    seconds = time.perf_counter() - t0
    doc = evaluate_run(run_dir, out / f"{name}-seed{seed}-eval", progress=False, overwrite=args.overwrite)
    if doc["period"] != TEST_PERIOD:
        sys.exit(f"ablation.py: error: svae-eval scored {doc['period']}, not {TEST_PERIOD}")
    m = doc["metrics"]["physical"][CHANNEL]
    steps = result.history["steps"][-1] if result.history.get("steps") else None
    return {"variant": name, "seed": seed, "rmse": m["rmse"], "acc": m["acc"], "steps": steps,
            "train_seconds": seconds}


def table(rows, variants, seeds) -> str:
    lines = ["| variant | change | " + " | ".join(f"RMSE s{s}" for s in seeds) + " | median RMSE (K) | median ACC "
             "| steps (median) |", "|---|---|" + "---:|" * (len(seeds) + 3)]
    for v in variants:
        rs = [r for r in rows if r["variant"] == v]
        if not rs:
            continue
        per_seed = " | ".join(f"{r['rmse']:.3f}" for r in rs)
        acc = statistics.median(r["acc"] for r in rs if r["acc"] is not None)
        steps = statistics.median(r["steps"] or 0 for r in rs)
        lines.append(f"| {v} | {VARIANTS[v][0]} | {per_seed} | {statistics.median(r['rmse'] for r in rs):.3f} | "
                     f"{acc:.3f} | {steps:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.output_dir)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        sys.exit(f"ablation.py: error: {out} is not empty; pass --overwrite or choose another --output-dir")
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for seed in args.seeds:  # seeds outermost: a run cut short still has every variant once
            for name in args.variants:
                rows.append(run(name, seed, args, out))
                print(json.dumps(rows[-1]), flush=True)
                (out / "ablation.json").write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    except SvaeError as e:
        sys.exit(f"ablation.py: error: {e}")
    budget = f"--epochs {args.epochs}" if args.epochs else f"--time-limit {args.minutes_per_run:g}"
    print(f"\nsvae-train defaults + --distribution vmf {budget}; train 2016-2017, "
          f"test 2018 (built-in sample); latitude-weighted scores\n")
    print(table(rows, args.variants, args.seeds))


if __name__ == "__main__":
    main()
