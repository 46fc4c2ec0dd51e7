#!/usr/bin/env python
"""Run notebooks top to bottom in a real Jupyter kernel, as "Run all" in JupyterLab does, and save them with
the outputs that teach: figures and short text. Widget state, progress bars and execution counts are dropped,
and the run fails if an output would leak a machine path or is too long to read.

    python tools/run_notebooks.py nbs/03_model.ipynb [more notebooks] [--timeout 1800]

Matplotlib uses Jupyter's inline backend here (MPLBACKEND is unset), so a figure that would not show in
JupyterLab does not show in the saved notebook either. nbdev_clean runs on each notebook afterwards.
"""
import argparse, os, re, subprocess, sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "python3", "language": "python", "name": "python3"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
PROGRESS = re.compile(r"\d+%\|.*\||\d+/\d+ \[\d+:\d+|it/s\]|s/it\]")  # tqdm's bar and rate
MAX_TEXT_LINES = 40
ROOT = Path(__file__).resolve().parents[1]
PRIVATE = [str(ROOT), str(Path.home()), "/tmp/"]
MACHINE = re.compile(r"GiB available|available memory|\bCPU cores?\b|\bcores? (CPU|machine)|this machine", re.I)


def keep(output) -> bool:
    "Whether an output teaches: no progress bar, no widget-only view."
    if output.output_type == "stream":
        return not (output.name == "stderr" and PROGRESS.search(output.text))
    data = output.get("data", {})
    data.pop(WIDGET_MIME, None)
    return output.output_type not in ("display_data", "execute_result") or bool(data)


def check_text(path, i, output):
    text = output.get("text", "") or "".join(str(v) for k, v in output.get("data", {}).items() if k.startswith("text"))
    for p in PRIVATE:
        if p in text:
            raise SystemExit(f"{path} cell {i}: an output shows the machine path {p!r}; print a relative path instead")
    if MACHINE.search(text):
        raise SystemExit(f"{path} cell {i}: an output describes the machine ({MACHINE.search(text).group(0)!r}); a lesson's "
                         "outputs carry only the lesson (timings and machines belong in benchmarks/)")
    if text.count("\n") > MAX_TEXT_LINES:
        raise SystemExit(f"{path} cell {i}: an output has {text.count(chr(10))} lines (at most {MAX_TEXT_LINES}); "
                         "print less")


def run(path: Path, timeout: int):
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    t0 = time.time()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    old = dict(os.environ)
    os.environ.clear(); os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear(); os.environ.update(old)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.outputs if keep(o)]
        for o in cell.outputs:
            check_text(path, i, o)
    nb.metadata = {"kernelspec": KERNELSPEC}
    nbformat.write(nb, path)
    subprocess.run(["nbdev_clean", "--fname", str(path)], check=True, cwd=ROOT)
    n_fig = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    print(f"{path}: ran in {time.time() - t0:.0f} s, {n_fig} figures, {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    a = ap.parse_args()
    for p in a.notebooks:
        run(p.resolve(), a.timeout)
