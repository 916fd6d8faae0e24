"""The math of the course, computed exactly or numerically so a plot can show it:

* :mod:`~gan_helpers.theory.optimal_d`: binary cross-entropy, the generator losses, the optimal
  D and the Jensen-Shannon divergence between two 1-D Gaussians (Goodfellow et al. 2014;
  notebooks 01 and 02);
* :mod:`~gan_helpers.theory.distances`: JS divergence against the Wasserstein distance for two
  point masses drifting apart (Arjovsky et al. 2017; notebook 06).
"""
from .distances import pair_state, separation_curves
from .optimal_d import (LOG4, BCEPoint, Gaussian1D, OptimalDState, SampleEstimate, bce_point,
                        estimate_from_samples, generator_loss_curves, grid_for, js_divergence,
                        kde_1d, kl_divergence, optimal_d_state, optimal_discriminator,
                        silverman_bandwidth, value_function)

__all__ = ["pair_state", "separation_curves", "LOG4", "BCEPoint", "Gaussian1D", "OptimalDState",
           "SampleEstimate", "bce_point", "estimate_from_samples", "generator_loss_curves",
           "grid_for", "js_divergence", "kde_1d", "kl_divergence", "optimal_d_state",
           "optimal_discriminator", "silverman_bandwidth", "value_function"]
