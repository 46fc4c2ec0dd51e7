"""What each WeatherBench2 grid costs: parameters, activation memory, training-step time and peak memory.

    python benchmarks/grids.py                                  # 64x32 and 240x121, laptop and design, 2 threads
    python benchmarks/grids.py --forward 1440x721               # plus one forward pass at 0.25 degrees, batch 1
    python benchmarks/grids.py --device cuda --grids 64x32 240x121 1440x721
    python benchmarks/grids.py --recipes laptop laptop+linear   # the laptop recipe with its linear path forced on

Every row runs in a fresh Python process, so its peak resident memory (`ru_maxrss`) is that row's alone: the
model built as `svae-train` builds it (`build_model`: padding, the linear-path rule, the recipe's widths), its
AdamW state and one batch of the recipe's size (laptop 8, design 32). The step is `svae_weather.train.train_step`
(forward, loss, backward, clipping, optimiser), timed `--repeats` times after two untimed steps; the table shows
the median. "activations" is `activation_bytes`, the bytes autograd keeps from a forward pass of one field, which
`svae-train` prints before its first step. The last table gives those numbers for 1440x721, where a CPU step would
take minutes: what a GPU run there has to hold.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

try:
    import svae_weather  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

from svae_weather.config import TrainConfig
from svae_weather.grid import equiangular_grid
from svae_weather.train import activation_bytes, build_model, linear_path_plan, loss_settings, train_step


def grid_info(grid: str) -> dict:
    "What `build_model` needs to know about a one-channel field on `grid`."
    lat, lon = equiangular_grid(grid)
    return {"shape": [1, 1, len(lat), len(lon)], "latitude": lat.tolist(), "longitude": lon.tolist()}


def recipe_config(recipe: str) -> TrainConfig:
    "A recipe's config; 'laptop+linear' is the laptop recipe with the linear path built whatever its size."
    if recipe == "laptop+linear":
        return TrainConfig(linear_path_limit=10**15).check()
    return TrainConfig.from_recipe(recipe).check()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def measure_step(grid: str, recipe: str, device: str, repeats: int) -> dict:
    "One row: the recipe's model on `grid`, timed for `repeats` training steps on random fields."
    config, info = recipe_config(recipe), grid_info(grid)
    model = build_model(config, info).to(device)
    optimizer = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[config.optimizer](
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    x = torch.rand(config.batch_size, 1, *model.spatial_shape, device=device) * 2 - 1
    kwargs = loss_settings(config, info, torch.device(device))
    times = []
    for i in range(repeats + 2):
        t0 = time.perf_counter()
        train_step(model, optimizer, x, config.kl_weight, kwargs, grad_clip=config.grad_clip)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    plan = linear_path_plan(config, info)
    return {"grid": grid, "recipe": recipe, "batch": config.batch_size,
            "parameters": sum(p.numel() for p in model.parameters()), "linear_path": plan["use"],
            "linear_weights": plan["parameters"], "latent": list(model.latent_shape),
            "activation_mib": activation_bytes(model) / 2**20, "step_s": statistics.median(times),
            "peak_mib": torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else peak_mib()}


def measure_forward(grid: str, device: str, repeats: int) -> dict:
    "One forward pass (encode, decode the mode) of the laptop model on `grid`, batch 1, without gradients."
    config, info = TrainConfig().check(), grid_info(grid)
    model = build_model(config, info).to(device).eval()
    x = torch.rand(1, 1, *model.spatial_shape, device=device) * 2 - 1
    times = []
    with torch.no_grad():
        for i in range(repeats + 1):
            t0 = time.perf_counter()
            out = model.reconstruct(x)
            if i >= 1:
                times.append(time.perf_counter() - t0)
    assert out.shape == x.shape, (out.shape, x.shape)
    return {"grid": grid, "parameters": sum(p.numel() for p in model.parameters()), "forward_s": statistics.median(times),
            "peak_mib": torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else peak_mib()}


def in_fresh_process(args: list[str]) -> dict:
    "Run this script with `args` in a new process and return the JSON row it prints last."
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--grids", nargs="+", default=["64x32", "240x121"])
    p.add_argument("--recipes", nargs="+", default=["laptop", "design"], choices=["laptop", "design", "laptop+linear"])
    p.add_argument("--forward", nargs="*", default=[], help="grids for a forward pass of the laptop model, batch 1")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.add_argument("--one", nargs=2, metavar=("GRID", "RECIPE"), help=argparse.SUPPRESS)  # a row, in this process
    p.add_argument("--one-forward", metavar="GRID", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.one:
        print(json.dumps(measure_step(*args.one, args.device, args.repeats)))
        return
    if args.one_forward:
        print(json.dumps(measure_forward(args.one_forward, args.device, args.repeats)))
        return
    common = ["--device", args.device, "--threads", str(args.threads), "--repeats", str(args.repeats)]
    rows = []
    print(f"{args.device}, {args.threads} threads, median of {args.repeats} steps\n")
    print("| grid | recipe | batch | parameters | linear path | latent | activations / sample | step | peak memory |")
    print("|---|---|---:|---:|---|---|---:|---:|---:|")
    for grid in args.grids:
        for recipe in args.recipes:
            r = in_fresh_process(["--one", grid, recipe, *common])
            rows.append(r)
            lin = f"on ({r['linear_weights'] / 1e6:.2f} M)" if r["linear_path"] else f"off ({r['linear_weights'] / 1e6:.1f} M)"
            print(f"| {grid} | {recipe} | {r['batch']} | {r['parameters'] / 1e6:.2f} M | {lin} | "
                  f"{' x '.join(map(str, r['latent']))} | {r['activation_mib']:.1f} MiB | {r['step_s']:.2f} s | "
                  f"{r['peak_mib']:.0f} MiB |", flush=True)
    forward = None
    for grid in args.forward:
        r = forward = in_fresh_process(["--one-forward", grid, *common])
        print(f"\nforward pass, laptop model, {grid}, batch 1: {r['forward_s']:.2f} s, peak memory {r['peak_mib']:.0f} MiB "
              f"({r['parameters'] / 1e6:.2f} M parameters)", flush=True)
    projection = project(args.recipes)
    if args.json:
        Path(args.json).write_text(json.dumps({"command": "python benchmarks/grids.py " + " ".join(argv or sys.argv[1:]),
                                               "device": args.device, "threads": args.threads, "rows": rows,
                                               "forward": forward, "projection": projection}, indent=1) + "\n")


def project(recipes) -> list[dict]:
    "1440x721 without training there: the model as built, and its activations counted in one forward pass of one field."
    print("\nprojection for 1440x721 (parameters and activations of the model as built; memory = activations x batch, "
          "before the weights, their gradients and optimiser state):")
    print("| recipe | parameters | linear path | activations / sample | batch 8 | batch 32 |")
    print("|---|---:|---|---:|---:|---:|")
    info, rows = grid_info("1440x721"), []
    for recipe in [r for r in recipes if r != "laptop+linear"]:  # 137 G weights would not be built
        config = TrainConfig.from_recipe(recipe).check()
        model = build_model(config, info)
        act = activation_bytes(model) / 2**30
        rows.append({"recipe": recipe, "parameters": sum(p.numel() for p in model.parameters()), "activation_gib": act})
        print(f"| {recipe} | {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M | "
              f"{linear_path_plan(config, info)['why']} | {act:.2f} GiB | {8 * act:.1f} GiB | {32 * act:.1f} GiB |",
              flush=True)
    return rows


if __name__ == "__main__":
    main()
