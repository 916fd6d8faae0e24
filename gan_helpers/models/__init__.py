"""Networks of the collection, one module per paper: ``toy`` and ``mlp`` (Goodfellow et al.
2014), ``dcgan`` (Radford et al. 2015), ``cgan`` (Mirza and Osindero 2014), ``cyclegan``
(Zhu et al. 2017), ``classifier`` (the MNIST classifier behind the metrics).
Discriminators return logits."""
