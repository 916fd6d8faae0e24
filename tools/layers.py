"""Draw gan_helpers' import structure by subpackage and check its layering.

    python tools/layers.py          # the table of who imports whom, then the check

Each subpackage (``data/``, ``models/``, ...) and each top-level module is one node. Every
``import`` in the package counts, also the ones inside functions. ``LAYERS`` lists the nodes
from the bottom up; a node may import only nodes below it (or itself). The script exits
with 1 and names the edge when one points upwards, so ``tests/test_layers.py`` fails then.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gan_helpers"

# Bottom to top. Ties are listed in one tuple: nodes of one layer do not import each other.
LAYERS = [
    ("device", "losses", "plotting"),  # utilities every notebook's setup cell uses
    ("data",),                         # what is learned: datasets and their cache
    ("checkpoint_storage",),           # how a checkpoint's tensors are written (float32, float16, int8)
    ("checkpoints",),                  # saving models; reads the cache location from data
    ("models",),                       # what learns it; the shipped classifiers load checkpoints
    ("theory", "latent", "stabilizers"),  # the math, the latent tools, the Lipschitz controls
    ("metrics",),                      # scores, in the features of the shipped classifiers
    ("train",),                        # steps, averages, histories and the training loops
    ("recipes",),                      # the commands behind the shipped weights
    ("bench",),                        # speed and result figures (runs recipes)
    ("widgets", "checks"),             # what a notebook shows and how exercises are checked
    ("student",),                      # learner versions of the notebooks
    ("__main__",),                     # the command line
]
RANK = {node: i for i, layer in enumerate(LAYERS) for node in layer}


def node_of(module: str) -> str:
    """'gan_helpers.train.step' -> 'train'; 'gan_helpers.losses' -> 'losses'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    """Absolute gan_helpers modules imported anywhere in the file at ``path``."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    here = list(rel.parts)
    pkg = here if here[-1] == "__init__" else here[:-1]
    pkg = [p for p in pkg if p != "__init__"]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gan_helpers")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[:len(pkg) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                found.add(mod)
                if not node.module:  # from . import x: x is a module
                    found |= {f"{mod}.{a.name}" for a in node.names}
            elif (node.module or "").startswith("gan_helpers"):
                found.add(node.module)
    return {m for m in found if node_of(m) != "__init__"}


def edges() -> dict[str, set[str]]:
    out = defaultdict(set)
    for path in sorted(PACKAGE.rglob("*.py")):
        src = node_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        if src == "__init__":
            continue
        for m in imports(path):
            dst = node_of(m)
            if dst != src:
                out[src].add(dst)
    return out


def main() -> int:
    e = edges()
    unknown = (set(e) | {d for ds in e.values() for d in ds}) - set(RANK)
    nodes = sorted(RANK, key=lambda n: (RANK[n], n))
    print("layer  node         imports")
    for n in reversed(nodes):
        print(f"{RANK[n]:5d}  {n:12s} {', '.join(sorted(e.get(n, ()), key=lambda d: (RANK.get(d, -1), d))) or '-'}")
    bad = [(s, d) for s, ds in e.items() for d in ds if s in RANK and d in RANK and RANK[d] >= RANK[s]]
    for s, d in sorted(bad):
        print(f"UPWARD: {s} (layer {RANK[s]}) imports {d} (layer {RANK[d]})")
    for n in sorted(unknown):
        print(f"UNPLACED: {n} is not in LAYERS")
    if not bad and not unknown:
        print(f"ok: {len(nodes)} nodes in {len(LAYERS)} layers, every import points downwards")
    return 1 if bad or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
