"""How good is G? The course's measurements, each computed in the feature space of a small
classifier trained by the project (``recipes/``):

* :mod:`~gan_helpers.metrics.modes`: mode coverage of a 2-D mixture (notebooks 02 and 06);
* :mod:`~gan_helpers.metrics.mnist`: MNIST-FID, digits covered, confident share, label
  accuracy (notebooks 03-06);
* :mod:`~gan_helpers.metrics.photo`: photo-FID and the zebra share of translated
  horse2zebra photos (notebook 08);
* :mod:`~gan_helpers.metrics.kid`: the kernel inception distance (Binkowski et al. 2018),
  unbiased at the 120 and 140 test photos of horse2zebra (notebook 08), with a bootstrap standard error.
"""
from .kid import kid
from .mnist import (class_coverage, classifier_features, classifier_probs, confident_share,
                    evaluate_generator, fid_floor, format_report, frechet_distance, label_accuracy,
                    load_classifier, mnist_fid)
from .modes import format_coverage, mode_coverage
from .photo import (format_translation_report, load_photo_classifier, photo_features, photo_fid,
                    photo_kid, translate, translation_report)

__all__ = ["kid",
           "class_coverage", "classifier_features", "classifier_probs", "confident_share",
           "evaluate_generator", "fid_floor", "format_report", "frechet_distance", "label_accuracy",
           "load_classifier", "mnist_fid",
           "format_coverage", "mode_coverage",
           "format_translation_report", "load_photo_classifier", "photo_features", "photo_fid", "photo_kid",
           "translate", "translation_report"]
