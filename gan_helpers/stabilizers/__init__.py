"""What keeps a GAN's game stable (notebook 06): the Lipschitz controls of the critic
(weight clipping, Arjovsky et al. 2017; gradient penalty, Gulrajani et al. 2017; spectral
normalisation, Miyato et al. 2018) in :mod:`~gan_helpers.stabilizers.lipschitz`, and the four
games built from them in :mod:`~gan_helpers.stabilizers.games`. The steps that play a game
are in :mod:`gan_helpers.train.critic`; the averaged generator (Yazici et al. 2019) is
:class:`gan_helpers.train.EMA`.
"""
from .games import Game, make_optimizers, ns_gan, prepare_critic, sn_gan, standard_games, wgan_clip, wgan_gp
from .lipschitz import (clip_weights_, gradient_penalty, interpolates, per_sample_gradient_norms,
                        spectral_normalise, top_singular_value)

__all__ = ["Game", "make_optimizers", "ns_gan", "prepare_critic", "sn_gan", "standard_games",
           "wgan_clip", "wgan_gp", "clip_weights_", "gradient_penalty", "interpolates",
           "per_sample_gradient_norms", "spectral_normalise", "top_singular_value"]
