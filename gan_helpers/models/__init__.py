"""Networks of the collection, one module per paper: ``toy`` (notebooks 02, 06) and ``mlp``
(03, 06) after Goodfellow et al. 2014, ``dcgan`` (Radford et al. 2015; 04), ``infogan`` (Chen et
al. 2016's MNIST pair; 04, 05), ``cgan`` (Mirza and Osindero 2014; 05), ``projection`` (Miyato and
Koyama 2018; 05), ``cyclegan`` (Zhu et al.
2017; 08), and the classifiers behind the metrics (``classifier``, ``classifier_digits``,
``classifier_photos``; 03-08).
Discriminators return logits."""
