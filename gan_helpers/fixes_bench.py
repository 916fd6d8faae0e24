"""The measured comparison of notebook 06 (``python -m gan_helpers bench fixes``): the four games
of :mod:`gan_helpers.fixes`, each with and without weight averaging (Yazici et al. 2019), on

* the ring of 8 and the 5x5 grid (Metz et al. 2017; Srivastava et al. 2017): modes covered
  and high-quality share of 2,500 samples, mean and spread over seeds, at a fixed number of
  G updates (the papers' protocol);
* MNIST: MNIST-FID (n=10,000) and digits covered at a fixed CPU-time budget per game, trained
  by ``python -m gan_helpers train fixes`` (``recipes/fixes.py``) with the MLP GAN of notebook 03.

Results go to ``data/fixes/results.json`` (one entry per run, written as each run ends, so a
stopped benchmark resumes where it stopped) with a sample picture per run beside it.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from .fixes import FixRun, standard_fixes


def results_dir() -> Path:
    from .checkpoints import pretrained_dir
    return pretrained_dir().parent / "fixes"


def load_results(path: str | Path | None = None) -> dict:
    """The stored results (``{"toy": [...], "mnist": [...]}``); empty lists when none yet."""
    path = Path(path) if path else results_dir() / "results.json"
    if not path.exists():
        return {"toy": [], "mnist": []}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it to re-run the benchmark") from None


def _save(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(path)


def run_toy(steps: int = 3000, seeds=(0, 1, 2), path: str | Path | None = None, threads: int | None = 1) -> dict:
    """Every game on the ring and the grid for each seed; skips runs already stored."""
    from .toy import grid, ring
    if threads:
        torch.set_num_threads(threads)
    path = Path(path) if path else results_dir() / "results.json"
    results = load_results(path)
    done = {(r["fix"], r["data"], r["seed"], r["steps"]) for r in results["toy"]}
    for data in (ring(), grid()):
        for seed in seeds:
            for fix in standard_fixes():
                if (fix.name, data.name, seed, steps) in done:
                    continue
                run = FixRun(data, fix, seed=seed)
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
                  key=lambda k: (k[0], [f.name for f in standard_fixes()].index(k[1])))
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


def markdown_mnist_table(results: dict) -> str:
    lines = ["| game | G | G steps | CPU minutes | MNIST-FID | digits covered | confident |",
             "|---|---|---|---|---|---|---|"]
    for r in results["mnist"]:
        for which in ("raw", "averaged"):
            m = r[which]
            lines.append(f"| {r['fix']} | {which} | {r['steps']:,} | {r['cpu_minutes']:.1f} | {m['fid']:.1f} "
                         f"| {m['covered']}/10 | {100 * m['confident']:.1f}% |")
    return "\n".join(lines)


def slug(name: str) -> str:
    """'WGAN (clip)' -> 'wgan_clip' (file names)."""
    return "".join(c if c.isalnum() else "_" for c in name.lower()).replace("__", "_").strip("_")


def run_mnist(cpu_minutes: float = 6.0, path: str | Path | None = None, threads: int = 1) -> dict:
    """Train every game on MNIST for ``cpu_minutes`` of CPU time each (skips stored ones); the
    checkpoints go to data/runs/fixes/<game>/ and a grid of 64 samples of each G to data/fixes/."""
    from .checkpoints import pretrained_dir
    from .plotting import save_grid
    from .recipes import fixes as recipe
    path = Path(path) if path else results_dir() / "results.json"
    results = load_results(path)
    done = {(r["fix"], r["cpu_minutes"]) for r in results["mnist"]}
    for fix in standard_fixes():
        if (fix.name, cpu_minutes) in done:
            continue
        out = pretrained_dir().parent / "runs" / "fixes" / slug(fix.name) / recipe.FILENAME
        cfg = recipe.config_for(fix, cpu_minutes=cpu_minutes, threads=threads, out=str(out))
        res = recipe.train(cfg)
        info = res.info
        grids = {}
        for which, file in (("averaged", res.files["main"]), ("raw", res.files["raw"])):
            from .checkpoints import load_checkpoint
            from .models.mlp import MLPGenerator
            G = load_checkpoint(file, MLPGenerator)
            images, _ = recipe.generate(G, 64, seed=0)
            grid = results_dir() / f"mnist_{slug(fix.name)}_{which}.png"
            save_grid(images, grid, nrow=8)
            grids[which] = grid.name
        results["mnist"].append({"fix": fix.name, "cpu_minutes": cpu_minutes, "steps": info["steps_run"],
                                 "critic_steps": info["critic_steps"], "cpu_seconds": info["cpu_seconds"],
                                 "wall_seconds": info["train_seconds"], "repeat": info["repeat"],
                                 "checkpoint": str(out), "grids": grids, **info["metrics"]})
        _save(results, path)
    return results


def best_mnist(results: dict) -> tuple[dict, str]:
    """The MNIST run and which G ('raw' or 'averaged') with the lowest MNIST-FID."""
    rows = [(r[w]["fid"], i, w) for i, r in enumerate(results["mnist"]) for w in ("raw", "averaged")]
    if not rows:
        raise ValueError("no MNIST results yet: run `python -m gan_helpers bench fixes-mnist` first")
    _, i, which = min(rows)
    return results["mnist"][i], which


def ship_best(results: dict | None = None) -> Path:
    """Copy the best MNIST run's two checkpoints (averaged and raw G of that run) into
    data/pretrained as fixes_G(.raw).safetensors and record their sha256."""
    import shutil
    from .checkpoints import pretrained_dir, record_sha256, sha256_of
    from .recipes import fixes as recipe
    results = results or load_results()
    row, which = best_mnist(results)
    src = Path(row["checkpoint"])
    main = pretrained_dir() / recipe.FILENAME
    for a, b in ((src, main), (src.with_name(src.stem + "_raw" + src.suffix),
                               main.with_name(main.stem + "_raw" + main.suffix))):
        if not a.exists():
            raise FileNotFoundError(f"{a} is missing: re-run `python -m gan_helpers bench fixes-mnist`")
        shutil.copyfile(a, b)
        record_sha256(b.name, sha256_of(b))
    results["shipped"] = {"fix": row["fix"], "G": which, "repeat": row["repeat"]}
    _save(results, results_dir() / "results.json")
    print(f"shipped {row['fix']} ({which} G is the best row): {main}")
    return main


def main(part: str = "table", steps: int = 3000, seeds: str = "0,1,2", cpu_minutes: float = 6.0) -> int:
    """``part``: 'toy' (run the 2-D sweep), 'mnist' (run the MNIST budget runs and ship the best),
    'table' (print the stored tables)."""
    if part == "toy":
        results = run_toy(steps, tuple(int(s) for s in seeds.split(",")))
    elif part == "mnist":
        results = run_mnist(cpu_minutes)
        ship_best(results)
    else:
        results = load_results()
    print(markdown_toy_table(results))
    if results["mnist"]:
        print(markdown_mnist_table(results))
    return 0
