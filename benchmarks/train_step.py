"""Training-step throughput of ImprovedWeatherVAE for the normal, vmf and power posteriors.

    python benchmarks/train_step.py                       # this CPU: batch 32, 1x32x64, default model
    python benchmarks/train_step.py --device cuda --batch-sizes 32 256 --bf16 --epoch
                                                          # GPU: both batch sizes, one epoch of 5,844 samples,
                                                          # and the 600-epoch recipe extrapolated from it

It times `svae_weather.train.train_step` (the step the training command runs: forward, loss, backward, clipping,
AdamW) on fields of the built-in sample. Each repeat times `--steps` consecutive steps of every distribution in
turn, so that a slow moment of a shared machine hits all three alike; the table reports the median over repeats
and the step time of vmf and power relative to normal, measured in the same run.
"""
import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

try:
    import svae_weather  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from svae_weather.data import Normalizer, open_weather
from svae_weather.model import DISTRIBUTIONS, ImprovedWeatherVAE
from svae_weather.runtime import pick_device
from svae_weather.train import run_batches, train_step, validation_loss


def run_epoch(model, optimizer, data, order, batch_size, kl_weight, **kwargs):
    "Train one pass over `data[order]` in slices of `batch_size`."
    batches = (data[order[i:i + batch_size]] for i in range(0, len(order), batch_size))
    return run_batches(model, optimizer, batches, -(-len(order) // batch_size), kl_weight, **kwargs)


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[32])
    p.add_argument("--distributions", nargs="+", default=list(DISTRIBUTIONS), choices=DISTRIBUTIONS)
    p.add_argument("--hidden-dims", type=int, nargs="+", default=[64, 128, 256, 512])
    p.add_argument("--latent-channels", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5, help="timed repeats (the median is reported)")
    p.add_argument("--steps", type=int, default=3, help="consecutive steps per timed repeat")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps per model first")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (as svae-train does on CUDA)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model first")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--linear-path", action="store_true", help="the model's linear path beside the convolutions")
    p.add_argument("--n-static", type=int, default=0,
                   help="static position fields as extra model channels (random stand-ins: only the cost is timed)")
    p.add_argument("--epoch", action="store_true", help="also time one epoch of --epoch-samples (and the test pass)")
    p.add_argument("--epoch-samples", type=int, default=5844, help="training samples per epoch (4 years of 6-hourly fields)")
    p.add_argument("--test-samples", type=int, default=1460, help="test samples evaluated once per epoch")
    p.add_argument("--epochs", type=int, default=600, help="epochs of the recipe to extrapolate to")
    return p.parse_args(argv)


def sample_fields(n: int, device) -> torch.Tensor:
    "n consecutive normalised fields (N, 1, 32, 64) of the built-in sample, on `device`."
    days = math.ceil(n / 4) + 1
    end = np.datetime64("2015-01-01") + np.timedelta64(days, "D")
    da = open_weather(None, time_slice=f"2015-01-01:{end}").isel(time=slice(0, n)).compute()
    x = Normalizer.fit(da).normalize(da.values.astype(np.float32))
    return torch.from_numpy(np.ascontiguousarray(x)).to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def main(argv=None):
    a = parse(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = pick_device(a.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    amp = torch.bfloat16 if a.bf16 else None
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else ""
    print(f"# device {device} {gpu}  torch {torch.__version__}  threads {torch.get_num_threads()}  "
          f"bf16 {a.bf16}  compile {a.compile}  hidden_dims {a.hidden_dims}  latent {a.latent_channels}  "
          f"static fields {a.n_static}  linear path {a.linear_path}")
    print("# command: python benchmarks/train_step.py " + " ".join(sys.argv[1:] if argv is None else argv))
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    n_needed = max(max(a.batch_sizes), a.epoch_samples + a.test_samples if a.epoch else 0)
    data = sample_fields(n_needed, device)
    rows = []
    for batch in a.batch_sizes:
        x = data[:batch]
        runs = {}
        for dist in a.distributions:
            torch.manual_seed(0)
            model = ImprovedWeatherVAE(spatial_shape=(32, 64), latent_channels=a.latent_channels,
                                       hidden_dims=tuple(a.hidden_dims), distribution=dist,
                                       n_static=a.n_static, linear_path=a.linear_path).to(device)
            if a.n_static:
                model.set_static(torch.randn(a.n_static, 32, 64))
            step_model = torch.compile(model) if a.compile else model
            opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
            for _ in range(a.warmup):
                train_step(step_model, opt, x, 1e-6, autocast_dtype=amp)
            sync(device)
            runs[dist] = (model, step_model, opt, [], [])
        for _ in range(a.repeats):
            for dist, (_, step_model, opt, times, cpu) in runs.items():
                sync(device)
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(a.steps):
                    train_step(step_model, opt, x, 1e-6, autocast_dtype=amp)
                sync(device)
                times.append((time.perf_counter() - t0) / a.steps)
                cpu.append((time.process_time() - c0) / a.steps)
        base = statistics.median(runs["normal"][3]) if "normal" in runs else None
        for dist, (model, step_model, opt, times, cpu) in runs.items():
            t = statistics.median(times)
            row = {"dist": dist, "batch": batch, "ms": 1e3 * t, "sps": batch / t, "cpu_ms": 1e3 * statistics.median(cpu),
                   "ratio": t / base if base else float("nan"), "spread": (min(times) * 1e3, max(times) * 1e3)}
            if a.epoch:
                train_x, test_x = data[:a.epoch_samples], data[a.epoch_samples:a.epoch_samples + a.test_samples]
                order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))
                run_epoch(step_model, opt, train_x, order[:2 * batch], batch, 1e-6, autocast_dtype=amp)  # shapes warm
                sync(device)
                t0 = time.perf_counter()
                run_epoch(step_model, opt, train_x, order, batch, 1e-6, autocast_dtype=amp)
                sync(device)
                t1 = time.perf_counter()
                validation_loss(model, test_x, 1e-6, batch_size=max(256, batch), autocast_dtype=amp)
                sync(device)
                row.update(epoch_s=t1 - t0, eval_s=time.perf_counter() - t1)
            rows.append(row)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# 1-minute load average before / after: {load_before:.1f} / {load_after:.1f} "
          f"(on a shared machine wall times grow with it; process CPU time much less)")
    print()
    print("| distribution | batch | ms / step (median) | min-max ms | samples / s | step time / normal "
          "| process CPU ms / step |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['dist']} | {r['batch']} | {r['ms']:.1f} | {r['spread'][0]:.1f}-{r['spread'][1]:.1f} "
              f"| {r['sps']:.1f} | {r['ratio']:.3f} | {r['cpu_ms']:.0f} |")
    if a.epoch:
        print()
        print(f"| distribution | batch | epoch of {a.epoch_samples} (s) | test pass of {a.test_samples} (s) "
              f"| {a.epochs} epochs + evaluation each epoch (min) |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['dist']} | {r['batch']} | {r['epoch_s']:.2f} | {r['eval_s']:.2f} "
                  f"| {a.epochs * (r['epoch_s'] + r['eval_s']) / 60:.1f} |")


if __name__ == "__main__":
    main()
