"""Rate and distortion of each posterior (normal, vmf, power) over a sweep of KL weights, and what its prior decodes to.

For every distribution, KL weight (beta) and seed this trains a model of the laptop recipe (`train`, the same code as
`svae-train`) for a fixed number of EPOCHS on a slice of the built-in synthetic sample (by default 2018-2019: train
on 2018 with its last 10% as the validation period that selects best_model.pth, test all of 2019, 1,460 fields),
and measures on the held-out test period:

* distortion: the latitude-weighted RMSE in kelvin of the posterior mode's reconstruction (`evaluate_model`, the code
  of `svae-eval`, without the EOF baselines); with --sampled (a second pass) also that of one posterior draw, the
  distortion the ELBO's reconstruction term sees;
* rate: the mean KL of the posterior q(z|x) to the prior, in nats per latent pixel and per field (x latent pixels);
  this is the KL the training loss pays, analytic for all three posteriors;
* prior draws: N_DRAWS codes drawn from the prior (uniform on the sphere per latent pixel for vmf/power, N(0, I) for
  normal) decoded to kelvin and compared with the test fields: zonal power spectrum and variance by latitude of
  the departures from the training mean, the RMSE from each draw to its nearest training field (and the same for
  real test fields), the share of values outside the training range, and the correlation of the time-mean field
  with elevation after removing zonal means;
* how much of the prior the codes fill: for vmf/power the mean resultant length of the test codes' mean directions
  per latent pixel (0: spread over the whole sphere, 1: one fixed direction); for normal the aggregate posterior's
  second moment E[mu^2 + sigma^2] (1 for the prior); and straight-line against great-circle midpoints between
  pairs of test codes (the code's norm at the midpoint, and how far the decoded midpoint is from its nearest
  training field, over its own departure from the training mean).

The budget is epochs, not minutes, so that a shared machine cannot change it. The loss of the laptop recipe is
mean(L1 + MSE) + 0.1 x (gradient MSEs) over grid points, in normalised units (anomalies scaled to [-1, 1]), plus
beta x the KL averaged over latent pixels; the document records the kelvin per normalised unit so beta can be read
against the reconstruction term.

    nice -n 15 env OMP_NUM_THREADS=1 python benchmarks/rate_distortion.py --epochs 2 --threads 1 \
        --kl-weights 1e-6 1e-3 1e-2 1e-1 1e-4 3e-3 1   # the sweep of benchmarks/results/rate_distortion.json
    python benchmarks/rate_distortion.py --epochs 1 --kl-weights 1e-6 --distributions vmf --seeds 0 \
        --output-dir /tmp/rd --json /tmp/rd.json --images /tmp/rd_images   # one run, to time it
    python benchmarks/rate_distortion.py --sampled           # add the RMSE of a posterior draw (not the mode) to each run
    python benchmarks/rate_distortion.py --figures-only      # redraw the figures from the JSON and the saved models

Each run's model stays in OUTPUT_DIR/DIST_klBETA_sSEED/ (git-ignored outputs/ by default); runs already there with a
finished result in --json are skipped, so an interrupted sweep continues where it stopped. The results go to --json
after every run; the figures to nbs/images/.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from svae_weather import SvaeError, train
from svae_weather.compress import load_model
from svae_weather.config import TrainConfig
from svae_weather.evaluate import evaluation_data, evaluate_model
from svae_weather.grid import latitude_weights
from svae_weather.latent import lerp, slerp
from svae_weather.metrics import fit_climatology
from svae_weather.sample import elevation

CHANNEL = "2m_temperature"
TIME_SLICE = "2018-01-01:2019-12-31T18"
# 2018 is 365 days = 1460 six-hourly fields of the 2920 in 2018-2019: the first half.
TRAIN_SPLIT = 0.5
TEST_PERIOD = ["2019-01-01T00:00:00", "2019-12-31T18:00:00"]
N_DRAWS = 256
N_PAIRS = 64
ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--distributions", nargs="+", default=["normal", "vmf", "power"])
    p.add_argument("--kl-weights", type=float, nargs="+", default=[1e-6, 1e-3, 1e-2, 1e-1, 1e-4, 3e-3, 1.0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--time-slice", default=TIME_SLICE)
    p.add_argument("--train-split", type=float, default=TRAIN_SPLIT)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output-dir", default=str(ROOT / "outputs" / "rate_distortion"))
    p.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "rate_distortion.json"))
    p.add_argument("--images", default=str(ROOT / "nbs" / "images"))
    p.add_argument("--figures-only", action="store_true", help="only redraw the figures from --json and the models")
    p.add_argument("--sampled", action="store_true",
                   help="add to each run of --json the RMSE of decoding one draw from the posterior instead of its mode")
    return p.parse_args(argv)


def run_name(dist: str, beta: float, seed: int) -> str:
    return f"{dist}_kl{beta:g}_s{seed}"


# --- measurements -------------------------------------------------------------------------------------------------

def normalised(m, fields: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(m.normalizer.normalize(fields.astype(np.float32)), np.float32))


@torch.no_grad()
def encode_all(m, fields: np.ndarray, batch: int = 128) -> dict:
    "Posterior parameter maps and the analytic KL per latent pixel (N, h, w) of physical fields (N, C, H, W)."
    from svae_weather.model import gaussian_kl_map, params_to_posterior
    from svae_weather.distributions import HypersphericalUniform
    from torch.distributions import kl_divergence
    out = {}
    for s in range(0, len(fields), batch):
        params = m.model.encode(normalised(m, fields[s:s + batch]))
        if m.spherical:
            q = params_to_posterior(params, m.model.distribution)
            kl = kl_divergence(q, HypersphericalUniform(params["loc"].shape[1]))
        else:
            kl = gaussian_kl_map(params["mu"], params["logvar"])
        for k, v in {**params, "kl": kl}.items():
            out.setdefault(k, []).append(v.float())
    return {k: torch.cat(v) for k, v in out.items()}


@torch.no_grad()
def decode_all(m, z: torch.Tensor, batch: int = 128) -> np.ndarray:
    "Codes (N, d, h, w) -> physical fields (N, C, H, W)."
    return np.concatenate([np.asarray(m.normalizer.denormalize(m.model.decode(z[s:s + batch]).numpy()))
                           for s in range(0, len(z), batch)])


def prior_draws(m, n: int, seed: int) -> torch.Tensor:
    "n codes from the prior: uniform on the sphere per latent pixel (vmf, power), N(0, I) (normal)."
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, *m.model.latent_shape, generator=g)
    return torch.nn.functional.normalize(z, dim=1) if m.spherical else z


def zonal_spectrum(departures: np.ndarray, w: np.ndarray) -> np.ndarray:
    "Power of the departures (N, H, W) at each zonal wavenumber, latitude-weighted mean over rows and fields."
    power = np.abs(np.fft.rfft(departures, axis=-1)) ** 2 / departures.shape[-1] ** 2
    return (power.mean(0) * w[:, None]).sum(0) / w.sum()


def variance_by_latitude(departures: np.ndarray) -> np.ndarray:
    "Variance over fields at each grid point, averaged along each latitude row (K^2)."
    return departures.var(axis=0).mean(-1)


def weighted_rmse_to(x: np.ndarray, pool: np.ndarray, w: np.ndarray) -> np.ndarray:
    "For each field of x (N, H, W), the latitude-weighted RMSE to its nearest field of pool (M, H, W)."
    ww = (w / w.sum() / x.shape[-1])[:, None] * np.ones(x.shape[-1])
    a, b = x.reshape(len(x), -1) * np.sqrt(ww.ravel()), pool.reshape(len(pool), -1) * np.sqrt(ww.ravel())
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(d2.min(1), 0, None))


def zonal_anomaly_correlation(field: np.ndarray, height: np.ndarray, w: np.ndarray) -> float:
    "Latitude-weighted correlation of two (H, W) maps after removing each row's zonal mean."
    a = field - field.mean(-1, keepdims=True)
    b = height - height.mean(-1, keepdims=True)
    ww = w[:, None] * np.ones_like(a)
    return float((ww * a * b).sum() / np.sqrt((ww * a * a).sum() * (ww * b * b).sum()))


def departure_rms(fields: np.ndarray, mean_field: np.ndarray, w: np.ndarray) -> np.ndarray:
    "Latitude-weighted RMS of each field's departure from the training mean (N,)."
    dep = fields - mean_field
    return np.sqrt((dep ** 2 * w[:, None]).sum((-2, -1)) / w.sum() / dep.shape[-1])


def nearest_field(fields: np.ndarray, mean_field: np.ndarray, w: np.ndarray, pool: np.ndarray) -> dict:
    """The RMSE from each field to its nearest training field, alone and over the field's own departure from the
    training mean (a weather-like field is much closer to some real field than to the mean: ratio well below 1;
    a field near the mean field has a ratio near or above 1, however small its distance)."""
    near, size = weighted_rmse_to(fields, pool, w), departure_rms(fields, mean_field, w)
    return {"nearest_training_rmse": float(np.median(near)), "departure_rms": float(np.median(size)),
            "nearest_over_departure": float(np.median(near / size))}


def field_statistics(fields: np.ndarray, mean_field: np.ndarray, w: np.ndarray, height: np.ndarray, pool) -> dict:
    "What a set of fields (N, H, W) in K looks like: spectrum, variance by latitude, nearest training field, height."
    dep = fields - mean_field
    return {**nearest_field(fields, mean_field, w, pool),"zonal_spectrum": zonal_spectrum(dep, w).tolist(), "variance_by_latitude": variance_by_latitude(dep).tolist(),
            "total_variance": float((variance_by_latitude(dep) * w).sum() / w.sum()),
            "mean_departure_rms": float(np.sqrt((dep.mean(0) ** 2 * w[:, None]).sum() / w.sum() / dep.shape[-1])),
            "height_correlation": zonal_anomaly_correlation(fields.mean(0), height, w),
            "height_correlation_of_departure": zonal_anomaly_correlation(dep.mean(0), height, w)}


def code_usage(m, params: dict, seed: int, pool: np.ndarray, w: np.ndarray, mean_field: np.ndarray) -> dict:
    "How much of the prior the test codes fill, and straight-line against great-circle midpoints between codes."
    g = torch.Generator().manual_seed(seed)
    if m.spherical:
        loc = params["loc"]  # (N, d, h, w)
        resultant = loc.mean(0).norm(dim=0)  # (h, w)
        usage = {"mean_resultant_length": float(resultant.mean()), "resultant_length_map": resultant.tolist(),
                 "median_concentration": float(params["kappa"].median())}
        z = loc
    else:
        mu, var = params["mu"], params["logvar"].exp()
        second = (mu.square() + var).mean(0)  # (d, h, w): 1 where the aggregate posterior has the prior's scale
        usage = {"aggregate_second_moment": float(second.mean()), "mean_abs_mean": float(mu.mean(0).abs().mean()),
                 "median_std": float(var.sqrt().median())}
        z = mu
    i, j = torch.randint(0, len(z), (2, N_PAIRS), generator=g)
    a, b = z[i], z[j]
    mid_line = lerp(a, b, 0.5)
    norm_ends = 0.5 * (a.norm(dim=1) + b.norm(dim=1))
    usage["lerp_midpoint_norm_ratio"] = float((mid_line.norm(dim=1) / norm_ends).mean())
    paths = {"ends": a, "lerp_midpoint": mid_line}
    if m.spherical:
        paths["slerp_midpoint"] = slerp(a, b, 0.5)
    for key, codes in paths.items():
        usage[key] = nearest_field(decode_all(m, codes)[:, 0], mean_field, w, pool)
    return usage


def measure(run_dir: Path, seed: int, climatology, data) -> tuple[dict, np.ndarray]:
    "Distortion, rate, prior draws and code usage of the model in run_dir; also a few decoded prior draws (K)."
    m = load_model(run_dir, "cpu")
    train_da, test_da = data["train"], data["test"]
    evaluation = evaluate_model(m, train_da, test_da, baseline=False, progress=False, climatology=climatology,
                                keep_reconstruction=True)
    metrics = evaluation["model"].summary()["physical"][CHANNEL]
    test = np.asarray(test_da.values, np.float32)
    train_fields = np.asarray(train_da.values, np.float32)[:, 0]
    params = encode_all(m, test)
    d, h, wl = m.model.latent_shape
    kl_pixel = float(params["kl"].mean())
    w = latitude_weights(test_da["latitude"].values)
    height = elevation(test_da["latitude"].values, test_da["longitude"].values).values
    mean_field = np.asarray(m.normalizer.mean, np.float32)[0]
    draws = decode_all(m, prior_draws(m, N_DRAWS, 1000 + seed))
    lo, hi = m.normalizer.data_min[0], m.normalizer.data_max[0]
    dep = draws[:, 0] - mean_field
    recon = np.asarray(evaluation["reconstruction"].values, np.float32)[:, 0]
    doc = {"rmse": metrics["rmse"], "acc": metrics["acc"], "mae": metrics["mae"],
           "kl_per_latent_pixel": kl_pixel, "kl_per_field": kl_pixel * h * wl, "latent_pixels": h * wl,
           "latent_channels": d, "kl_per_latent_pixel_p10_p90": [float(np.quantile(params["kl"].numpy(), q)) for q in (0.1, 0.9)],
           "kelvin_per_normalised_unit": float((m.normalizer.hi[0] - m.normalizer.lo[0]) / 2),
           "prior_draws": {**field_statistics(draws[:, 0], mean_field, w, height, train_fields),
                           "share_outside_training_range": float(((dep < lo) | (dep > hi)).mean())},
           "reconstructions": {"zonal_spectrum": zonal_spectrum(recon - mean_field, w).tolist(),
                               "variance_by_latitude": variance_by_latitude(recon - mean_field).tolist()},
           "codes": code_usage(m, params, seed, train_fields, w, mean_field)}
    return doc, draws[:4, 0]


def add_sampled(doc: dict, out: Path, json_path: Path) -> None:
    """The distortion the training loss sees: decode one draw from each test field's posterior (not its mode).
    Added to every run of the document that lacks it, saved after each."""
    data = climatology = None
    for r in doc["runs"]:
        if "rmse_sampled" in r:
            continue
        m = load_model(out / r["name"], "cpu")
        if data is None:
            data = evaluation_data(m.config)
            climatology = fit_climatology(data["train"].copy(data=np.asarray(data["train"].values, np.float64)))
        ev = evaluate_model(m, data["train"], data["test"], baseline=False, progress=False, climatology=climatology,
                            sample=True, seed=r["seed"])
        r["rmse_sampled"] = ev["model"].summary()["physical"][CHANNEL]["rmse"]
        print(f"{r['name']}: RMSE of the mode {r['rmse']:.3f} K, of a posterior draw {r['rmse_sampled']:.3f} K", flush=True)
        json_path.write_text(json.dumps(doc, indent=1))


def reference(data, seed: int = 0) -> dict:
    "The same statistics for the real test fields (the target the prior draws are compared with)."
    train_da, test_da = data["train"], data["test"]
    test = np.asarray(test_da.values, np.float32)[:, 0]
    w = latitude_weights(test_da["latitude"].values)
    height = elevation(test_da["latitude"].values, test_da["longitude"].values).values
    mean_field = np.asarray(train_da.values, np.float64).mean(0)[0].astype(np.float32)
    pick = np.random.default_rng(seed).choice(len(test), N_DRAWS, replace=False)
    stats = field_statistics(test[pick], mean_field, w, height, np.asarray(train_da.values, np.float32)[:, 0])
    full = field_statistics(test, mean_field, w, height, np.asarray(train_da.values[:1], np.float32)[:, 0])
    for k in ("zonal_spectrum", "variance_by_latitude", "total_variance", "mean_departure_rms", "height_correlation",
              "height_correlation_of_departure"):
        stats[k] = full[k]  # all 1,460 test fields; the nearest-field distance from N_DRAWS of them
    stats["latitude"] = test_da["latitude"].values.tolist()
    dep = test - mean_field  # the training mean field as the reconstruction: what a collapsed model can do at best
    stats["mean_field_rmse"] = float(np.sqrt((dep ** 2 * w[:, None]).sum((-2, -1)).mean() / w.sum() / dep.shape[-1]))
    return stats


# --- figures ------------------------------------------------------------------------------------------------------

def draw_figures(doc: dict, images: Path, draws: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    images.mkdir(parents=True, exist_ok=True)
    runs = [r for r in doc["runs"] if r.get("rmse") is not None]
    keys = [("rmse", "the posterior's mode")] + ([("rmse_sampled", "a posterior draw")]
                                                 if all("rmse_sampled" in r for r in runs) else [])
    fig, axes = plt.subplots(1, len(keys), figsize=(6.5 * len(keys), 4.5), dpi=100, sharey=True, squeeze=False)
    for ax, (key, what) in zip(axes[0], keys):
        for c, dist in zip(("C3", "C0", "C2"), doc["args"]["distributions"]):
            for seed, marker in zip(doc["args"]["seeds"], ("o", "s")):
                rs = sorted([r for r in runs if r["distribution"] == dist and r["seed"] == seed],
                            key=lambda r: r["kl_weight"])
                if not rs:
                    continue
                first = seed == doc["args"]["seeds"][0]
                ax.plot([r["kl_per_field"] for r in rs], [r[key] for r in rs], marker + "-", color=c, ms=4,
                        alpha=0.9 if first else 0.45, label=f"{dist}, seed {seed}")
                for r in rs if first else []:
                    ax.annotate(f"{r['kl_weight']:g}", (r["kl_per_field"], r[key]), fontsize=6, color=c,
                                xytext=(3, 3), textcoords="offset points")
        if "mean_field_rmse" in doc.get("reference", {}):
            ax.axhline(doc["reference"]["mean_field_rmse"], color="0.5", ls=":", label="training mean field")
        ax.set(xscale="log", xlabel="rate: KL per field on the test period (nats)",
               title=f"distortion of {what}; labels: KL weight")
    axes[0, 0].set_ylabel("weighted RMSE on the test period (K)")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(images / "rate_distortion.png")
    plt.close(fig)
    if not draws:
        return
    betas = sorted(doc["args"]["kl_weights"])
    dists = doc["args"]["distributions"]
    lat = np.asarray(doc["reference"]["latitude"])
    lon = np.arange(64) * 5.625
    mean_field, examples = draws["mean_field"], draws["test_examples"]
    fig, axes = plt.subplots(len(dists), len(betas) + 1, figsize=(1.9 * (len(betas) + 1), 1.0 * len(dists) + 0.5),
                             dpi=100, squeeze=False)
    for i, dist in enumerate(dists):
        for j in range(len(betas) + 1):
            ax = axes[i, j]
            if j == 0:  # a real test field, for comparison (another date in each row)
                date, field = examples[i]
                mesh = ax.pcolormesh(lon, lat, field - mean_field, cmap="RdBu_r", vmin=-15, vmax=15, shading="nearest")
                ax.set_title(f"test field, {date}", fontsize=7)
            elif (dist, betas[j - 1]) in draws:
                ax.pcolormesh(lon, lat, draws[dist, betas[j - 1]][0] - mean_field, cmap="RdBu_r", vmin=-15, vmax=15,
                              shading="nearest")
                if i == 0:
                    ax.set_title(f"prior draw, $\\beta$ = {betas[j - 1]:g}", fontsize=7)
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_aspect("equal")
            if j == 0:
                ax.set_ylabel(dist, fontsize=8)
    fig.colorbar(mesh, ax=axes, shrink=0.6, label="departure from the training mean (K)")
    fig.suptitle("left: real test fields; right: one decoded draw from the prior per model (seed 0); "
                 "departures from the training mean", fontsize=8)
    fig.savefig(images / "rate_distortion_prior_draws.png", bbox_inches="tight")
    plt.close(fig)


# --- the sweep ----------------------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    out, json_path = Path(args.output_dir), Path(args.json)
    doc = json.loads(json_path.read_text()) if json_path.exists() else {}
    done = {r["name"]: r for r in doc.get("runs", []) if r.get("rmse") is not None}
    if args.sampled:
        doc["sampled_command"] = "python benchmarks/rate_distortion.py " + " ".join(argv if argv is not None else sys.argv[1:])
        return add_sampled(doc, out, json_path)
    if args.figures_only:  # keep the sweep's own settings and command; refresh the reference statistics
        doc["figures_command"] = "python benchmarks/rate_distortion.py " + " ".join(argv if argv is not None else sys.argv[1:])
        run_dir = next(Path(args.output_dir).glob("*/best_model.pth")).parent
        doc["reference"] = reference(evaluation_data(load_model(run_dir).config))
        json_path.write_text(json.dumps(doc, indent=1))
        args = argparse.Namespace(**{**vars(args), **{k: doc["args"][k] for k in ("distributions", "kl_weights", "seeds")}})
    else:
        doc["args"] = {**vars(args), "output_dir": str(Path(args.output_dir).relative_to(ROOT)) if
                   Path(args.output_dir).is_relative_to(ROOT) else args.output_dir,
                       "json": Path(args.json).name, "images": "nbs/images"}
        doc["command"] = "python benchmarks/rate_distortion.py " + " ".join(argv if argv is not None else sys.argv[1:])
        doc["split"] = {"time_slice": args.time_slice, "train_split": args.train_split, "test_period": TEST_PERIOD}
        doc["threads"] = torch.get_num_threads()
    runs = []
    data = climatology = None
    draws = {}
    started = time.perf_counter()
    try:
        for beta in args.kl_weights:
            for dist in args.distributions:
                for seed in args.seeds:
                    name = run_name(dist, beta, seed)
                    run_dir = out / name
                    if name in done and (run_dir / "best_model.pth").exists() and not args.figures_only:
                        runs.append(done[name])
                        print(f"{name}: done before, kept", flush=True)
                    elif args.figures_only:
                        if name in done:
                            runs.append(done[name])
                    else:
                        t0 = time.perf_counter()
                        config = TrainConfig.from_recipe("laptop", time_slice=args.time_slice,
                                                         train_split=args.train_split, distribution=dist,
                                                         kl_weight=beta, epochs=args.epochs, seed=seed,
                                                         threads=args.threads, device="cpu", output_dir=str(run_dir),
                                                         overwrite=True, progress=False)
                        result = train(config)
                        seconds = time.perf_counter() - t0
                        if data is None:
                            data = evaluation_data(load_model(run_dir).config)
                            if [str(data["test"]["time"].values[i])[:19] for i in (0, -1)] != TEST_PERIOD:
                                sys.exit(f"rate_distortion.py: the test period is not {TEST_PERIOD}")
                            climatology = fit_climatology(data["train"].copy(data=np.asarray(data["train"].values, np.float64)))
                            doc["reference"] = reference(data)
                        t1 = time.perf_counter()
                        measured, few = measure(run_dir, seed, climatology, data)
                        h = result.history
                        row = {"name": name, "distribution": dist, "kl_weight": beta, "seed": seed,
                               "epochs": h["epoch"][-1] if h.get("epoch") else 0, "train_seconds": seconds,
                               "measure_seconds": time.perf_counter() - t1,
                               "train_recon_last": h["train_recon"][-1] if "train_recon" in h else None,
                               "train_kl_last": h["train_kl"][-1] if "train_kl" in h else None, **measured}
                        runs.append(row)
                        if seed == args.seeds[0]:
                            np.save(run_dir / "prior_draws.npy", few)
                        print(f"{name}: {row['epochs']} epochs in {seconds:.0f} s; RMSE {row['rmse']:.3f} K; "
                              f"KL {row['kl_per_latent_pixel']:.3f} nats per latent pixel ({row['kl_per_field']:.1f} "
                              f"per field); prior draws: variance {row['prior_draws']['total_variance']:.1f} K^2, "
                              f"nearest training field {row['prior_draws']['nearest_training_rmse']:.2f} K "
                              f"({row['prior_draws']['nearest_over_departure']:.2f} of their departure)", flush=True)
                        doc["runs"] = runs + [r for n, r in done.items() if n not in {x["name"] for x in runs}]
                        json_path.write_text(json.dumps(doc, indent=1))
    except SvaeError as e:
        sys.exit(f"rate_distortion.py: error: {e}")
    doc["runs"] = runs + [r for n, r in done.items() if n not in {x["name"] for x in runs}]
    if not args.figures_only:
        doc["total_minutes_this_call"] = (time.perf_counter() - started) / 60
    json_path.write_text(json.dumps(doc, indent=1))
    for dist in args.distributions:
        for beta in args.kl_weights:
            f = out / run_name(dist, beta, args.seeds[0]) / "prior_draws.npy"
            if f.exists():
                draws[(dist, beta)] = np.load(f)
    if draws:
        data = data or evaluation_data(load_model(next(out.glob("*/best_model.pth")).parent).config)
        draws["mean_field"] = np.asarray(data["train"].values, np.float64).mean(0)[0]
        test = data["test"]
        draws["test_examples"] = [(str(test["time"].values[i])[:10], np.asarray(test.values[i, 0], np.float64))
                                  for i in (0, 360, 724)]  # 1 January, 1 April, 1 July
    draw_figures(doc, Path(args.images), draws)
    print_table(doc)


def print_table(doc: dict) -> None:
    ref = doc.get("reference", {})
    print(f"\nreal test fields: total variance {ref.get('total_variance', float('nan')):.1f} K^2, nearest training "
          f"field {ref.get('nearest_training_rmse', float('nan')):.2f} K")
    print("| posterior | KL weight | seed | epochs | RMSE (K) | KL / latent pixel (nats) | KL / field (nats) | "
          "draws: variance (K^2) | draws: nearest training field (K) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in sorted(doc["runs"], key=lambda r: (r["distribution"], r["kl_weight"], r["seed"])):
        p = r["prior_draws"]
        print(f"| {r['distribution']} | {r['kl_weight']:g} | {r['seed']} | {r['epochs']} | {r['rmse']:.3f} | "
              f"{r['kl_per_latent_pixel']:.3f} | {r['kl_per_field']:.1f} | {p['total_variance']:.1f} | "
              f"{p['nearest_training_rmse']:.2f} |")


if __name__ == "__main__":
    main()
