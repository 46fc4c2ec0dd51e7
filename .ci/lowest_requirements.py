#!/usr/bin/env python3
"""The lowest versions that settings.ini allows, as a pip requirements file.

Every `>=X` (or `~=X`) in `requirements =` and `dev_requirements =` becomes `==X`; an upper bound next to it
(`torch>=2.1,<3`) is dropped, an exact pin (`nbdev==2.4.14`) is kept, and a requirement with no lower bound
(`execnb<0.2`, `jupyterlab`) is passed through as it is. Environment markers (`pkg>=1;python_version<"3.12"`)
are kept. Installing the result and running the tests checks that the declared lower bounds really work
(.github/workflows/lowest.yaml). Standard library only: it runs before anything is installed.

    python .ci/lowest_requirements.py                    # all requirements, one per line
    python .ci/lowest_requirements.py --exclude jupyterlab torch
    python .ci/lowest_requirements.py --only torch       # just the torch line (installed from the CPU index)
    python .ci/lowest_requirements.py --newest numpy scipy   # these two left at their declared range: pip takes
                                                             # the newest, so old packages meet numpy 2
    python .ci/lowest_requirements.py --min-python       # settings.ini's min_python, e.g. 3.11
"""
from configparser import ConfigParser
from pathlib import Path
import argparse
import re
import sys

SETTINGS = Path(__file__).resolve().parent.parent / "settings.ini"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def read_settings(path=SETTINGS):
    "settings.ini's [DEFAULT] section, read the way setup.py reads it."
    cfg = ConfigParser(delimiters=["="])
    if not cfg.read(path, encoding="utf-8"):
        sys.exit(f"lowest_requirements: {path} not found")
    return cfg["DEFAULT"]


def canonical(name: str) -> str:
    "PEP 503 name: `Power_Spherical` and `power-spherical` are the same package."
    return re.sub(r"[-_.]+", "-", name).lower()


def lowest(requirement: str) -> str:
    "`torch>=2.1,<3` -> `torch==2.1`; a requirement without a lower bound comes back unchanged."
    spec, sep, marker = requirement.partition(";")
    m = _NAME.match(spec)
    if not m:
        sys.exit(f"lowest_requirements: cannot read the requirement {requirement!r} in settings.ini")
    name, extras, specs = m.group(1), m.group(2) or "", m.group(3).replace(" ", "")
    clauses = [c for c in specs.split(",") if c]
    pinned = [c for c in clauses if c.startswith("==")]
    floors = [c[2:] for c in clauses if c.startswith((">=", "~="))]
    if pinned or not floors:
        return requirement
    if len(floors) > 1:
        sys.exit(f"lowest_requirements: {requirement!r} has more than one lower bound")
    return f"{name}{extras}=={floors[0]}" + (f";{marker}" if sep else "")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default=str(SETTINGS), help="the settings.ini to read (default: the repository's)")
    p.add_argument("--exclude", nargs="*", default=[], metavar="NAME", help="leave these packages out")
    p.add_argument("--only", nargs="*", default=None, metavar="NAME", help="print only these packages")
    p.add_argument("--newest", nargs="*", default=[], metavar="NAME",
                   help="print these as declared (not pinned), so that pip installs their newest allowed version")
    p.add_argument("--no-dev", action="store_true", help="leave out dev_requirements")
    p.add_argument("--min-python", action="store_true", help="print settings.ini's min_python and nothing else")
    args = p.parse_args(argv)
    cfg = read_settings(args.settings)
    if args.min_python:
        print(cfg["min_python"])
        return
    keys = ["requirements"] + ([] if args.no_dev else ["dev_requirements"])
    requirements = [r for key in keys for r in cfg.get(key, "").split()]
    exclude = {canonical(n) for n in args.exclude}
    only = None if args.only is None else {canonical(n) for n in args.only}
    newest = {canonical(n) for n in args.newest}
    for r in requirements:
        name = canonical(_NAME.match(r).group(1))
        if name not in exclude and (only is None or name in only):
            print(r if name in newest else lowest(r))


if __name__ == "__main__":
    main()
