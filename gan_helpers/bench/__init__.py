"""Speed and result figures behind the README (``python -m gan_helpers bench``):
:mod:`~gan_helpers.bench.speed` (data pipelines and the recipes' steps per second, notebooks
03-05), :mod:`~gan_helpers.bench.train_step` (one GAN step against the CPU's matmul speed,
notebook 03) and :mod:`~gan_helpers.bench.games` (notebook 06's comparison of the four
games). Nothing is imported here: each module is loaded by the command that runs it.
"""
