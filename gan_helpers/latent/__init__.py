"""Exploring G's latent space (notebooks 03-05): interpolation (lerp, slerp) and the
principal latent directions in :mod:`~gan_helpers.latent.space`, and the vector arithmetic
of Radford et al. (2015) in :mod:`~gan_helpers.latent.arithmetic` (notebook 04); the
truncation trick of Brock et al. (2019) in :mod:`~gan_helpers.latent.truncation` (notebook 09).
"""
from .arithmetic import analogy, jitter, mean_latent, parse_indices
from .space import eval_mode, jacobian_metric, latent_dim_of, lerp, move, principal_directions, slerp
from .truncation import scale_towards_mean, truncated_normal

__all__ = ["analogy", "jitter", "mean_latent", "parse_indices", "eval_mode", "jacobian_metric",
           "latent_dim_of", "lerp", "move", "principal_directions", "slerp",
           "scale_towards_mean", "truncated_normal"]
