"""The measured comparison of notebook 06 (``python -m gan_helpers bench games``): the four games
of :mod:`gan_helpers.stabilizers.games`, each with and without weight averaging (Yazici et al. 2019), on

* the ring of 8 and the 5x5 grid (Metz et al. 2017; Srivastava et al. 2017): modes covered
  and high-quality share of 2,500 samples, mean and spread over seeds, at a fixed number of
  G updates (the papers' protocol);
* MNIST: MNIST-FID (n=10,000), confident share and digits covered, each game at its paper's
  settings with the same critic (an MLP without dropout or batch norm), compared at an equal
  number of G steps and at an equal CPU time, over seeds; trained by
  ``python -m gan_helpers train games`` (``recipes/games.py``) with notebook 03's MLP G.

Results go to ``data/games/results.json`` (MNIST rows also one file per run in
``data/games/mnist_runs/``, written as each run ends, so a stopped benchmark resumes where it
stopped and seeds can run in parallel processes) with sample pictures beside it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from ..recipes.games import load_results, results_dir
from ..train.critic import GameRun
from ..stabilizers.games import standard_games


def _save(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)


def run_toy(steps: int = 3000, seeds=(0, 1, 2), path: str | Path | None = None, threads: int | None = 1) -> dict:
    """Every game on the ring and the grid for each seed; skips runs already stored."""
    from ..data.toy2d import grid, ring
    if threads:
        torch.set_num_threads(threads)
    path = Path(path) if path else results_dir() / "results.json"
    results = load_results(path)
    done = {(r["fix"], r["data"], r["seed"], r["steps"]) for r in results["toy"]}
    for data in (ring(), grid()):
        for seed in seeds:
            for fix in standard_games():
                if (fix.name, data.name, seed, steps) in done:
                    continue
                run = GameRun(data, fix, seed=seed)
                try:
                    run.train(steps)
                    ev = run.evaluate()
                    row = {"fix": fix.name, "data": data.name, "seed": seed, "steps": steps,
                           "seconds": round(run.seconds, 1), "diverged": False,
                           **{f"{k}_{which}": ev[which][k] for which in ("raw", "averaged")
                              for k in ("modes_covered", "high_quality")}}
                except FloatingPointError:
                    row = {"fix": fix.name, "data": data.name, "seed": seed, "steps": steps,
                           "seconds": round(run.seconds, 1), "diverged": True}
                results["toy"].append(row)
                _save(results, path)
                print(f"{data.name:10s} seed {seed} {fix.name:12s} {format_toy_row(row)}", flush=True)
    return results


def format_toy_row(row: dict) -> str:
    if row["diverged"]:
        return f"diverged ({row['seconds']} s)"
    return (f"raw {row['modes_covered_raw']} modes {100 * row['high_quality_raw']:.1f}% HQ | averaged "
            f"{row['modes_covered_averaged']} modes {100 * row['high_quality_averaged']:.1f}% HQ | {row['seconds']} s")


def _mean_sd(values: list[float]) -> tuple[float, float]:
    m = sum(values) / len(values)
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return m, sd


def toy_table(results: dict) -> list[dict]:
    """One row per (data, game, averaged?): mean and standard deviation over seeds."""
    rows = []
    toy = [r for r in results["toy"] if not r["diverged"]]
    keys = sorted({(r["data"], r["fix"]) for r in results["toy"]},
                  key=lambda k: (k[0], [f.name for f in standard_games()].index(k[1])))
    for data, fix in keys:
        runs = [r for r in toy if r["data"] == data and r["fix"] == fix]
        n_div = sum(1 for r in results["toy"] if r["data"] == data and r["fix"] == fix and r["diverged"])
        for which in ("raw", "averaged"):
            if not runs:
                rows.append({"data": data, "fix": fix, "G": which, "seeds": 0, "diverged": n_div})
                continue
            modes = _mean_sd([r[f"modes_covered_{which}"] for r in runs])
            hq = _mean_sd([100 * r[f"high_quality_{which}"] for r in runs])
            rows.append({"data": data, "fix": fix, "G": which, "seeds": len(runs), "diverged": n_div,
                         "modes": modes, "hq": hq, "seconds": _mean_sd([r["seconds"] for r in runs])[0]})
    return rows


def markdown_toy_table(results: dict) -> str:
    lines = ["| data | game | G | modes covered | high quality | s per run |", "|---|---|---|---|---|---|"]
    for r in toy_table(results):
        if not r["seeds"]:
            lines.append(f"| {r['data']} | {r['fix']} | {r['G']} | diverged ({r['diverged']}) | | |")
            continue
        (m, msd), (h, hsd) = r["modes"], r["hq"]
        div = f" ({r['diverged']} diverged)" if r["diverged"] else ""
        lines.append(f"| {r['data']} | {r['fix']} | {r['G']} | {m:.1f} ± {msd:.1f}{div} | {h:.1f}% ± {hsd:.1f} "
                     f"| {r['seconds']:.0f} |")
    return "\n".join(lines)


REGIMES = ("steps", "cpu")  # equal G steps for every game, then equal CPU time


def mnist_table(results: dict) -> list[dict]:
    """One row per (regime, game, G): means and standard deviations over seeds."""
    rows = []
    names = [f.name for f in standard_games()]
    keys = sorted({(r["regime"], r["fix"]) for r in results["mnist"]},
                  key=lambda k: (REGIMES.index(k[0]), names.index(k[1]) if k[1] in names else 99))
    for regime, fix in keys:
        runs = [r for r in results["mnist"] if r["regime"] == regime and r["fix"] == fix]
        for which in ("raw", "averaged"):
            rows.append({"regime": regime, "fix": fix, "G": which, "seeds": len(runs),
                         "steps": _mean_sd([r["steps"] for r in runs]),
                         "cpu_minutes": _mean_sd([r["cpu_seconds"] / 60 for r in runs]),
                         "fid": _mean_sd([r[which]["fid"] for r in runs]),
                         "confident": _mean_sd([100 * r[which]["confident"] for r in runs]),
                         "covered": _mean_sd([r[which]["covered"] for r in runs])})
    return rows


def markdown_mnist_table(results: dict) -> str:
    """The MNIST table (mean ± standard deviation over seeds) as markdown."""
    lines = ["| compared at | game | G | seeds | G steps | CPU minutes | MNIST-FID | confident | digits |",
             "|---|---|---|---|---|---|---|---|---|"]
    label = {"steps": "equal G steps", "cpu": "equal CPU time"}
    for r in mnist_table(results):
        (f, fsd), (c, csd) = r["fid"], r["confident"]
        lines.append(f"| {label[r['regime']]} | {r['fix']} | {r['G']} | {r['seeds']} | {r['steps'][0]:,.0f} "
                     f"| {r['cpu_minutes'][0]:.1f} | {f:.1f} ± {fsd:.1f} | {c:.1f}% ± {csd:.1f} "
                     f"| {r['covered'][0]:.1f}/10 |")
    return "\n".join(lines)


def slug(name: str) -> str:
    """'WGAN (clip)' -> 'wgan_clip' (file names)."""
    out = "".join(c if c.isalnum() else "_" for c in name.lower())
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_")


def _rows_dir() -> Path:
    return results_dir() / "mnist_runs"


def collect_mnist(path: str | Path | None = None) -> dict:
    """Rebuild results["mnist"] from the one-file-per-run rows in data/games/mnist_runs/ (so
    several processes can run seeds side by side) and save it."""
    path = Path(path) if path else results_dir() / "results.json"
    results = load_results(path)
    rows = [json.loads(f.read_text()) for f in sorted(_rows_dir().glob("*.json"))]
    results["mnist"] = sorted(rows, key=lambda r: (REGIMES.index(r["regime"]), r["fix"], r["seed"]))
    _save(results, path)
    return results


def run_mnist(g_steps: int = 2000, cpu_minutes: float = 6.0, seeds=(0, 1), threads: int = 1) -> dict:
    """Train every game on MNIST for ``g_steps`` G steps, then for ``cpu_minutes`` of CPU time,
    once per seed (runs already stored are skipped). Checkpoints go to data/runs/games/, a row
    per run to data/games/mnist_runs/, and a grid of 64 samples of seed 0's Gs to data/games/."""
    from ..checkpoints import load_checkpoint, pretrained_dir
    from ..models.mlp import MLPGenerator
    from ..plotting import save_grid
    from ..recipes import games as recipe
    for regime in REGIMES:
        for seed in seeds:
            for fix in standard_games():
                row_file = _rows_dir() / f"{regime}-{slug(fix.name)}-s{seed}.json"
                if row_file.exists():
                    continue
                out = pretrained_dir().parent / "runs" / "games" / regime / f"{slug(fix.name)}-s{seed}" / recipe.RUN_FILENAME
                budget = dict(steps=g_steps, cpu_minutes=None) if regime == "steps" else dict(cpu_minutes=cpu_minutes)
                res = recipe.train(recipe.config_for(fix, seed=seed, threads=threads, out=str(out), **budget))
                info, grids = res.info, {}
                if seed == seeds[0]:
                    for which, file in (("averaged", res.files["main"]), ("raw", res.files["raw"])):
                        images, _ = recipe.generate(load_checkpoint(file, MLPGenerator), 64, seed=0)
                        grid = results_dir() / f"mnist_{regime}_{slug(fix.name)}_{which}.png"
                        save_grid(images, grid, nrow=8)
                        grids[which] = grid.name
                row = {"fix": fix.name, "regime": regime, "seed": seed, "g_steps": g_steps if regime == "steps" else None,
                       "cpu_minutes": cpu_minutes if regime == "cpu" else None, "steps": info["steps_run"],
                       "critic_steps": info["critic_steps"], "cpu_seconds": info["cpu_seconds"],
                       "wall_seconds": info["train_seconds"], "repeat": info["repeat"],
                       "checkpoint": str(out), "grids": grids, **info["metrics"]}
                row_file.parent.mkdir(parents=True, exist_ok=True)
                row_file.write_text(json.dumps(row, indent=1) + "\n")
                collect_mnist()
    return collect_mnist()


def best_mnist(results: dict) -> tuple[dict, str]:
    """The MNIST run and which G ('raw' or 'averaged') with the lowest MNIST-FID."""
    rows = [(r[w]["fid"], i, w) for i, r in enumerate(results["mnist"]) for w in ("raw", "averaged")]
    if not rows:
        raise ValueError("no MNIST results yet: run `python -m gan_helpers bench games-mnist` first")
    _, i, which = min(rows)
    return results["mnist"][i], which


def ship_best(results: dict | None = None) -> Path:
    """Copy the best MNIST run's best G (its averaged or its raw G, whichever scored lower) into
    data/pretrained, named for the game (``mnist_mlp_<game>_G.safetensors``), stored in int8 (``checkpoint_storage``; notebook 03's
    vanilla pair carries the raw-against-averaged lesson, so the raw G is not shipped), record its
    sha256 and drop an earlier shipped file from another game."""
    import shutil
    import torch
    from ..checkpoints import compact_checkpoint, pretrained_dir
    from ..recipes import games as recipe
    results = results or load_results()
    row, which = best_mnist(results)
    src = Path(row["checkpoint"])
    if which == "raw":
        src = src.with_name(src.stem + "_raw" + src.suffix)
    name = recipe.shipped_filename(row["fix"])
    main = pretrained_dir() / name
    old = (results.get("shipped") or {}).get("file")
    if not src.exists():
        raise FileNotFoundError(f"{src} is missing: re-run `python -m gan_helpers bench games-mnist`")
    shutil.copyfile(src, main)
    compact_checkpoint(main, torch.int8)
    if old and old != name:
        _forget_shipped(old)
    results["shipped"] = {"fix": row["fix"], "G": which, "file": name, "regime": row["regime"],
                          "seed": row["seed"], "repeat": row["repeat"]}
    _save(results, results_dir() / "results.json")
    print(f"shipped {row['fix']} ({which} G, {row['regime']} regime, seed {row['seed']}, is the best row): {main}")
    return main


def _forget_shipped(name: str) -> None:
    """Delete an earlier shipped pair and its SHA256SUMS lines."""
    from ..checkpoints import pretrained_dir
    files = {name, name.replace(".safetensors", "_raw.safetensors")}
    for f in files:
        (pretrained_dir() / f).unlink(missing_ok=True)
    sums = pretrained_dir() / "SHA256SUMS"
    sums.write_text("".join(l + "\n" for l in sums.read_text().splitlines() if l.split()[-1:][0] not in files))


def main(part: str = "table", steps: int = 3000, seeds: str | None = None, cpu_minutes: float = 6.0,
         g_steps: int = 2000, ship: bool = True) -> int:
    """``part``: 'toy' (run the 2-D sweep, seeds 0-2), 'mnist' (the MNIST runs at ``g_steps`` G
    steps and at ``cpu_minutes``, seeds 0-1, then ship the best unless ``ship`` is False),
    'table' (print the stored tables)."""
    if part == "toy":
        results = run_toy(steps, tuple(int(s) for s in (seeds or "0,1,2").split(",")))
    elif part == "mnist":
        results = run_mnist(g_steps, cpu_minutes, tuple(int(s) for s in (seeds or "0,1").split(",")))
        if ship:
            ship_best(results)
    else:
        results = load_results()
    print(markdown_toy_table(results))
    if results["mnist"]:
        print(markdown_mnist_table(results))
    return 0
