"""Train an ImprovedWeatherVAE: the seed's command line, a thin entry point over `svae_weather.train`.

    python examples/train_weather_svae_improved.py --distribution vmf --epochs 10 --output-dir outputs/svae_vmf

is the same program as the `svae-train` console script (see `--help`). The code and its tests live in
nbs/05_train.ipynb; the model in nbs/03_model.ipynb. `ImprovedWeatherVAE` is re-exported here so that the
seed's `from examples.train_weather_svae_improved import ImprovedWeatherVAE` keeps working from the repository root.
"""
import sys
from pathlib import Path

try:
    import svae_weather  # noqa: F401  (installed with `pip install -e .`)
except ImportError:  # a plain checkout: use the package next to this folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svae_weather.model import ImprovedWeatherVAE
from svae_weather.train import build_parser, load_trained, main

__all__ = ["ImprovedWeatherVAE", "build_parser", "load_trained", "main"]

if __name__ == "__main__":
    main()
