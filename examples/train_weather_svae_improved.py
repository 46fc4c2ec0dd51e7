"""Train an ImprovedWeatherVAE: the original script's command line, a thin entry point over `svae_weather.train`.

    python examples/train_weather_svae_improved.py --distribution vmf --time-limit 2 --output-dir outputs/svae_vmf

is the same program as the `svae-train` console script (see `--help`; the defaults are `svae_weather.train.DEFAULTS`).
The training loop and its tests live in nbs/05_train.ipynb, the command-line plumbing in nbs/91_train_cli.ipynb, the
model in nbs/03_model.ipynb. `ImprovedWeatherVAE` is re-exported here so that
`from examples.train_weather_svae_improved import ImprovedWeatherVAE` works from the repository root.
"""
import sys
from pathlib import Path

try:
    import svae_weather  # noqa: F401  (installed with `pip install -e .`)
except ImportError:  # a plain checkout: use the package next to this folder
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from svae_weather.model import ImprovedWeatherVAE
from svae_weather.train import DEFAULTS, build_parser, load_trained, main

__all__ = ["DEFAULTS", "ImprovedWeatherVAE", "build_parser", "load_trained", "main"]

if __name__ == "__main__":
    main()
