"""The architecture document's training script: `svae-train` with the design recipe as its default.

    python examples/train_weather_svae_improved.py --distribution vmf --epochs 600 --output-dir outputs/svae_vmf

runs the document's training exactly (min/max normalisation, zero padding, Adam at a constant learning rate, no
clipping, no weight average, no validation split; see `svae_weather.config.RECIPES["design"]`), with the flags given
on top. `--recipe laptop` runs the package's laptop recipe instead; `--help` shows both recipes' values.

`ImprovedWeatherVAE` here is the document's model: the package's class with the document's defaults (zero padding,
since the document's arrays are (longitude, latitude) with no axis marked periodic; no linear path), so that

    from examples.train_weather_svae_improved import ImprovedWeatherVAE
    model = ImprovedWeatherVAE(spatial_shape=(64, 32), n_channels=1, latent_channels=4,
                               hidden_dims=(64, 128, 256, 512), distribution="vmf", use_residual=True)

works from the repository root. The model is built in nbs/03_model.ipynb, the training in nbs/05_train.ipynb.
"""
import sys
from pathlib import Path

try:
    import svae_weather  # installed with `pip install -e .`
except ImportError:  # a plain checkout: use the package next to this folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import svae_weather

from svae_weather import train_cli

__all__ = ["ImprovedWeatherVAE", "main"]


class ImprovedWeatherVAE(svae_weather.ImprovedWeatherVAE):
    "The architecture document's model: `svae_weather.ImprovedWeatherVAE` with zero padding and no linear path."
    def __init__(self, spatial_shape=(64, 32), n_channels=1, latent_channels=4, hidden_dims=(64, 128, 256, 512),
                 distribution="normal", use_residual=False, circular_padding=False, **options):
        super().__init__(spatial_shape=spatial_shape, n_channels=n_channels, latent_channels=latent_channels,
                         hidden_dims=hidden_dims, distribution=distribution, use_residual=use_residual,
                         circular_padding=circular_padding, **options)


def main(argv=None):
    "The document's training command: svae-train with `--recipe design` unless another recipe is given."
    train_cli.main(argv, default_recipe="design")


if __name__ == "__main__":
    main()
