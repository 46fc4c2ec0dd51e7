"""What circular (periodic) longitude padding does to the error along the 0/360 degree seam.

Trains the same small VAE with and without circular padding (several seeds, same data, same budget) on the
built-in sample, reconstructs the held-out fields with the posterior mode, and prints the latitude-weighted
RMSE (K) in the two seam columns (0 E and 354.375 E), in the interior columns, and their ratio.

    python benchmarks/seam.py                      # about 3 minutes on 2 CPU cores
    python benchmarks/seam.py --epochs 30 --seeds 0 1 2 --hidden-dims 64 128 256 512
"""
import argparse, statistics, tempfile
from pathlib import Path

import numpy as np
import torch

from svae_weather import TrainConfig, latitude_weights, load_model, open_weather, split_by_time, train


def column_rmse(model, normalizer, test) -> np.ndarray:
    "Latitude-weighted RMSE (K) of each longitude column over all test fields and latitudes."
    x = torch.as_tensor(normalizer.normalize(test.values), dtype=torch.float32)
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(b) for b in x.split(256)])
    err2 = (normalizer.denormalize(recon.numpy()) - test.values) ** 2              # (T, C, lat, lon)
    w = latitude_weights(test["latitude"].values)[:, None]
    return np.sqrt((err2 * w).mean(axis=(0, 1, 2)) / w.mean())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--time-slice", default="2015-01-01:2015-06-30")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--hidden-dims", type=int, nargs="+", default=[16, 32, 64, 128])
    p.add_argument("--distribution", default="vmf")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--lr", type=float, default=1e-3, help="higher than 1e-4 to fit a short budget")
    a = p.parse_args()
    test = split_by_time(open_weather(time_slice=a.time_slice), 0.8)[1].load()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for padding in ("circular", "zero"):
            for seed in a.seeds:
                out = Path(tmp) / f"{padding}_{seed}"
                train(TrainConfig(time_slice=a.time_slice, epochs=a.epochs, lr=a.lr, distribution=a.distribution,
                                  hidden_dims=a.hidden_dims, seed=seed, output_dir=str(out), progress=False,
                                  circular_padding=padding == "circular"))
                trained = load_model(out)
                model, normalizer = trained.model, trained.normalizer
                rmse = column_rmse(model.eval(), normalizer, test)
                seam, interior = rmse[[0, -1]].mean(), rmse[1:-1].mean()
                rows.setdefault(padding, []).append((seam, interior, seam / interior))
    print(f"\n{a.distribution}, hidden dims {a.hidden_dims}, {a.epochs} epochs at lr {a.lr} on {a.time_slice} (train 80%, "
          f"test {len(test.time)} fields), seeds {a.seeds}; medians over seeds")
    print("| padding  | seam RMSE (K) | interior RMSE (K) | seam / interior |")
    print("|----------|---------------|-------------------|-----------------|")
    for padding, r in rows.items():
        s, i, q = (statistics.median(v) for v in zip(*r))
        print(f"| {padding:8s} | {s:13.3f} | {i:17.3f} | {q:15.3f} |")


if __name__ == "__main__":
    main()
