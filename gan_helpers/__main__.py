"""Command line: ``python -m gan_helpers {data,sample,train,bench,student,figures} ...``.

    python -m gan_helpers data --mirror ../shared/data
    python -m gan_helpers sample vanilla --n 10000 --out samples.pt --grid grid.png --seed 0
    python -m gan_helpers train vanilla --steps 20000
    python -m gan_helpers bench
    python -m gan_helpers student --out student
    python -m gan_helpers figures

``build_parser()`` is the parser ``main`` uses and ``parse_command(argv)`` parses a command
line exactly as ``main`` would without running it (``tests/test_results_commands.py`` checks
every command written in the README and docs/results.md with it).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import typing
from pathlib import Path


MAX_SAMPLES = 200_000  # about 600 MB of 28x28 images; more is a typo, not a request
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


class UsageError(Exception):
    """A command-line argument that is wrong: printed as one line, exit status 2."""


def _cmd_data(args) -> int:
    from .data.mnist import ensure_mnist
    from .data.cache import mirror_folder
    mirror_folder(args.mirror)  # a mirror that is named must exist, even when the cache is full
    root = ensure_mnist(mirror=args.mirror)
    print(f"MNIST ready in {root / 'MNIST' / 'raw'}")
    if args.horse2zebra:
        from .data.horse2zebra import ensure_horse2zebra
        print(f"horse2zebra ready in {ensure_horse2zebra(mirror=args.mirror)}")
    return 0


def _writable_file(path: str, flag: str, suffixes: set[str] | None = None) -> Path:
    """Check an output path before any work: not a folder, a known suffix, a parent we can create."""
    p = Path(path).expanduser()
    if str(path).strip() == "" or p.is_dir():
        raise UsageError(f"{flag} {path!r} is a folder or empty: give a file name, e.g. {flag} samples{'.png' if suffixes else '.pt'}")
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} {path}: the grid is an image, use one of {', '.join(sorted(suffixes))}")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"{flag} {path}: cannot create the folder {p.parent} ({err.strerror})") from None
    if not os.access(p.parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise UsageError(f"{flag} {path}: not writable here; choose another location")
    return p


def _cmd_sample(args) -> int:
    import torch
    from .device import pick_device
    from .plotting import save_grid
    from .recipes import GENERATORS
    if args.out is None and args.grid is None:
        raise UsageError("sample needs --out FILE.pt (the images as a tensor) and/or --grid FILE.png")
    if not 1 <= args.n <= MAX_SAMPLES:
        raise UsageError(f"--n must be between 1 and {MAX_SAMPLES:,}, got {args.n}")
    out = _writable_file(args.out, "--out") if args.out is not None else None
    grid = _writable_file(args.grid, "--grid", IMAGE_SUFFIXES) if args.grid is not None else None
    try:
        device = pick_device(args.device)
    except RuntimeError as err:
        raise UsageError(f"--device {args.device}: {err}") from None
    recipe = GENERATORS[args.model]
    G = recipe.load_pretrained(device)
    images, labels = recipe.generate(G, args.n, seed=args.seed, device=device)
    images = images.detach().cpu().clamp(-1, 1)
    result = {"images": images}
    if labels is not None:
        result["labels"] = labels.cpu()
    if out is not None:
        torch.save(result, out)
        print(f"wrote {tuple(images.shape)} images in [-1, 1] to {out}")
    if grid is not None:
        save_grid(images[:64], grid, nrow=8)
        print(f"wrote a grid of {min(64, len(images))} images to {grid}")
    return 0


def _field_parser(hint):
    """An argparse ``type`` for a Config field annotated ``hint`` (``int``, ``float | None``, ...)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = type(None) in typing.get_args(hint)
    base = args[0] if args else hint

    def parse(text: str):
        if optional and text.lower() in {"none", ""}:
            return None
        if base is bool:
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off"}:
                return False
            raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
        try:
            return base(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {base.__name__}, got {text!r}") from None
    parse.__name__ = getattr(base, "__name__", "value")
    return parse, base


def field_comments(cfg_cls) -> dict[str, str]:
    """The comment written after each field of a Config dataclass (and its bases): the help text."""
    import inspect
    import re
    notes: dict[str, str] = {}
    for cls in reversed(cfg_cls.__mro__[:-1]):
        try:
            src = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        for m in re.finditer(r"^\s+(\w+)\s*:[^=\n]+=[^#\n]*#\s*(.+)$", src, re.M):
            notes[m.group(1)] = m.group(2).strip()
    return notes


def train_parser(name: str, recipe, allow_abbrev: bool = True) -> argparse.ArgumentParser:
    """The parser of ``train NAME``: one ``--flag`` per field of the recipe's Config."""
    cfg_cls = recipe.Config
    hints = typing.get_type_hints(cfg_cls)
    notes = field_comments(cfg_cls)
    sub = argparse.ArgumentParser(prog=f"python -m gan_helpers train {name}", allow_abbrev=allow_abbrev,
                                  description=(recipe.__doc__ or "").strip().split("\n\n")[0])
    for f in dataclasses.fields(cfg_cls):
        parse, base = _field_parser(hints[f.name])
        flag = f"--{f.name.replace('_', '-')}"
        if base is bool:  # --ship alone means true
            sub.add_argument(flag, type=parse, nargs="?", const=True, default=f.default,
                             help=f"{notes.get(f.name, '')} (default {f.default})")
        else:
            sub.add_argument(flag, type=parse, default=f.default, metavar=base.__name__.upper(),
                             help=f"{notes.get(f.name, '')} (default {f.default})".replace("%", "%%"))
    return sub


def _cmd_train(name: str, extra: list[str]) -> int:
    from .recipes import RECIPES
    recipe = RECIPES[name]
    cfg = recipe.Config(**vars(train_parser(name, recipe).parse_args(extra)))
    print(f"training {name} with {cfg}", flush=True)
    recipe.train(cfg)
    return 0


def _cmd_bench(args) -> int:
    if args.what.startswith("games"):
        from .bench import games
        return games.main({"games-toy": "toy", "games-mnist": "mnist"}.get(args.what, "table"),
                          seeds=args.seeds, ship=not args.no_ship, g_steps=args.g_steps,
                          cpu_minutes=args.cpu_minutes)
    from .bench import speed
    return speed.main(args.what)


def _cmd_figures(args) -> int:
    from .widgets.figures import make_figures
    make_figures(out=args.out, smoke=args.smoke, only=args.only)
    return 0


def _cmd_student(args) -> int:
    from .student import make_student_versions
    for p in make_student_versions(Path(args.notebooks), Path(args.out)):
        print(f"wrote {p}")
    return 0


def build_parser(allow_abbrev: bool = True) -> argparse.ArgumentParser:
    """The parser of every command but ``train NAME ...``, whose fields come from the recipe
    (:func:`train_parser`); ``train`` here only checks that NAME is a recipe.
    ``allow_abbrev=False`` refuses shortened flags (``--seed`` for ``--seeds``)."""
    from .recipes import GENERATORS, RECIPES
    p = argparse.ArgumentParser(prog="python -m gan_helpers", description=__doc__, allow_abbrev=allow_abbrev,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = p.add_subparsers(dest="cmd", required=True)
    strict = {"allow_abbrev": allow_abbrev}  # every sub-command alike
    d = sp.add_parser("data", **strict, help="fill the data cache (from a mirror folder or the upstream URLs)")
    d.add_argument("--mirror", default=None, help="folder holding MNIST/raw/*.gz (and horse2zebra/)")
    d.add_argument("--horse2zebra", action="store_true", help="also fetch horse2zebra")
    s = sp.add_parser("sample", **strict, help="write images generated by a shipped checkpoint")
    s.add_argument("model", choices=list(GENERATORS))
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--out", default=None, help="tensor file (.pt) with images (N, C, H, W) in [-1, 1]")
    s.add_argument("--grid", default=None, help="PNG file with a grid of the first 64 images")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps")
    t = sp.add_parser("train", **strict, help="train a model with its recipe (train NAME --help lists its fields)")
    t.add_argument("model", choices=list(RECIPES))
    b = sp.add_parser("bench", **strict, help="print speed figures")
    b.add_argument("what", nargs="?", default="all", choices=["data", "train", "recipes", "all", "games", "games-toy", "games-mnist"],
                   help="games-toy / games-mnist run notebook 06's comparison; games prints its stored tables")
    b.add_argument("--seeds", default=None, help="games-toy / games-mnist: comma-separated seeds (default 0,1,2 / 0,1)")
    b.add_argument("--no-ship", action="store_true", help="games-mnist: do not copy the best run into data/pretrained")
    b.add_argument("--g-steps", type=int, default=2000, help="games-mnist: G steps of the equal-steps comparison")
    b.add_argument("--cpu-minutes", type=float, default=6.0, help="games-mnist: budget of the equal-CPU-time comparison")
    st = sp.add_parser("student", **strict, help="write learner versions of the notebooks")
    st.add_argument("--notebooks", default=str(Path(__file__).resolve().parents[1] / "notebooks"))
    st.add_argument("--out", default="student")
    f = sp.add_parser("figures", **strict, help="draw the README's pictures (docs/img/*.png) from the shipped weights")
    f.add_argument("--out", default=None, help="folder for the PNG files (default docs/img; with --smoke a new temporary folder)")
    f.add_argument("--smoke", action="store_true", default=None,
                   help="small, quick versions (also when GAN_SMOKE=1), never into docs/img unless --out says so")
    f.add_argument("--only", nargs="+", default=None, metavar="NAME", help="only these figures (file names without .png)")
    return p


def parse_command(argv: list[str]) -> argparse.Namespace:
    """Parse ``argv`` (what follows ``python -m gan_helpers``) as :func:`main` would, without
    running anything, and stricter: a shortened flag is refused, so a written command cannot
    lean on a prefix that a renamed flag would silently change. A bad command raises SystemExit,
    as argparse does; ``train NAME ...`` gives ``Namespace(cmd="train", model=NAME,
    config=<the recipe's Config>)``."""
    from .recipes import RECIPES
    argv = list(argv)
    if len(argv) >= 2 and argv[0] == "train" and argv[1] in RECIPES:
        recipe = RECIPES[argv[1]]
        fields = vars(train_parser(argv[1], recipe, allow_abbrev=False).parse_args(argv[2:]))
        return argparse.Namespace(cmd="train", model=argv[1], config=recipe.Config(**fields))
    return build_parser(allow_abbrev=False).parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from .recipes import RECIPES
    p = build_parser()
    if argv is None:
        argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "train" and argv[1] in RECIPES:
        # train NAME [--help | --field value ...]: the recipe's own parser lists its fields
        try:
            return _run(lambda: _cmd_train(argv[1], argv[2:]))
        except SystemExit as done:
            return int(done.code or 0)
    args = p.parse_args(argv)
    # ("train NAME ..." was handled above: the parser only gets here to report a bad NAME.)
    run = {"data": _cmd_data, "sample": _cmd_sample, "bench": _cmd_bench, "student": _cmd_student,
           "figures": _cmd_figures}[args.cmd]
    return _run(lambda: run(args))


def _run(fn) -> int:
    """Run a command; the package's own errors become one line on stderr and exit status 2."""
    from .checkpoints import CheckpointError
    from .data.cache import CorruptDataError, MissingDataError
    try:
        return fn()
    except (UsageError, MissingDataError, CorruptDataError, CheckpointError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
