"""Reproducible training recipes behind the shipped weights (one module per model).

Each recipe module holds a ``Config`` dataclass (commented defaults), ``train(cfg)`` that
trains with the project's own code and writes the checkpoint into ``data/pretrained``,
and, for generators, ``load_pretrained(device)`` and ``generate(G, n, seed, device)``.
``python -m gan_helpers train NAME --field value`` runs one; the README records the
exact command behind each shipped file.
"""
