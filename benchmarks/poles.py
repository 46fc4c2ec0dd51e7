"""Are the pole rows reconstructed as well as the rows beside them? Padding across the poles against zero rows.

    python benchmarks/poles.py                      # 48x25 (7.5 degrees, rows on the poles), 2015-2016, 6 epochs

A grid with rows on the poles (WeatherBench2's 240x121 and 1440x721) is padded by the model to a multiple of its
downsampling factor. The model continues the field across each pole (`pad_grid`); the obvious alternative is rows
of zeros. This script trains the same small laptop-style network (residual blocks, circular longitude, Gaussian
latent, the advanced loss) both ways, with the loss weighted by cell area (svae-train's default, which gives a pole
row a tiny weight) and unweighted, on the sample written on a small grid with pole rows, and reports the RMSE of each
pole row and of the three rows inside it on a held-out year, over time and longitude. Same seed, same batches.
"""
import argparse
import statistics
import sys
import tempfile
from pathlib import Path

try:
    import svae_weather  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch
import torch.nn.functional as F

from svae_weather.data import Normalizer, open_weather
from svae_weather.grid import latitude_weight_tensor
from svae_weather.model import ImprovedWeatherVAE
from svae_weather.sample import write_sample_zarr
from svae_weather.train import train_step


def zero_rows(model):
    "Make `model` pad with rows (and columns) of zeros instead of continuing the field across the poles."
    south, north, west, east = model.padding
    model._pad = lambda x: F.pad(x, (west, east, south, north)) if any(model.padding) else x
    return model


def row_rmse(model, x, normalizer) -> np.ndarray:
    "RMSE (K) of each latitude row over time and longitude."
    with torch.no_grad():
        recon = torch.cat([model.reconstruct(x[i:i + 256]) for i in range(0, len(x), 256)])
    err = normalizer.denormalize(recon.numpy()) - normalizer.denormalize(x.numpy())
    return np.sqrt((np.asarray(err) ** 2).mean(axis=(0, 1, 3)))


def run(train, test, normalizer, lat, padding: str, weighted: bool, args) -> np.ndarray:
    torch.manual_seed(args.seed)
    model = ImprovedWeatherVAE(tuple(train.shape[-2:]), hidden_dims=tuple(args.hidden_dims), pole_rows=True)
    if padding == "zeros":
        zero_rows(model)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss_kwargs = dict(advanced=True, lat_weights=latitude_weight_tensor(lat) if weighted else None, circular=True)
    g = torch.Generator().manual_seed(args.seed)
    for _ in range(args.epochs):
        order = torch.randperm(len(train), generator=g)
        for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
            train_step(model, opt, train[order[i:i + args.batch_size]], 1e-6, loss_kwargs)
    return row_rmse(model.eval(), test, normalizer)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--grid", default="48x25", help="an equiangular grid with rows on the poles (odd latitude count)")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--hidden-dims", type=int, nargs="+", default=[16, 32, 64, 128])
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    store = write_sample_zarr(Path(tempfile.mkdtemp()) / "sample", "2015-01-01", "2016-12-31T18", grid=args.grid)
    da = open_weather(store).load()
    train_da, test_da = da.sel(time=slice(None, "2015-12-31T18")), da.sel(time=slice("2016-01-01", None))
    normalizer = Normalizer.fit(train_da)
    to_tensor = lambda d: torch.as_tensor(np.asarray(normalizer.normalize(d.values), dtype=np.float32))
    train, test, lat = to_tensor(train_da), to_tensor(test_da), da.latitude.values
    print(f"{args.grid}: {len(train)} training fields (2015), {len(test)} test fields (2016), {args.epochs} epochs, "
          f"hidden_dims {args.hidden_dims}, seed {args.seed}\n")
    print("| loss | padding | south pole row | 3 rows inside it | north pole row | 3 rows inside it | all rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for weighted in (True, False):
        for padding in ("across the poles", "zeros"):
            r = run(train, test, normalizer, lat, padding, weighted, args)
            inside = lambda rows: ", ".join(f"{v:.2f}" for v in rows)
            print(f"| {'area-weighted' if weighted else 'unweighted'} | {padding} | {r[0]:.2f} | {inside(r[1:4])} | "
                  f"{r[-1]:.2f} | {inside(r[-4:-1][::-1])} | {statistics.fmean(r):.2f} |", flush=True)


if __name__ == "__main__":
    main()
