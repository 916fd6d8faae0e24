"""Print the scores the notebooks print for every shipped generator, from the files in
``$GAN_PRETRAINED_DIR`` (default: data/pretrained). Run it on two folders to compare storage forms:

    python tools/shipped_scores.py                                        # the committed files
    GAN_PRETRAINED_DIR=/path/to/older/data/pretrained python tools/shipped_scores.py

MNIST generators: MNIST-FID, confident share (and label accuracy for the conditional ones) on
10,000 samples drawn with seed 0; CycleGAN digits: the recipe's evaluation; horse2zebra: the
recipe's photo report (KID x 10^3 and FID in the photo classifier's features).
"""
import torch

from gan_helpers.checkpoints import load_pretrained
from gan_helpers.metrics.mnist import evaluate_generator
from gan_helpers.models.mlp import MLPGenerator
from gan_helpers.recipes import cgan, cyclegan, dcgan, horse2zebra, vanilla
from gan_helpers.train.mnist import generate_unconditional


def main() -> None:
    torch.set_num_threads(2)
    mnist = [("dcgan_G", dcgan.load_pretrained, False), ("cgan_G", cgan.load_pretrained, True),
             ("vanilla_G", vanilla.load_pretrained, False),
             ("vanilla_G_raw", lambda: vanilla.load_pretrained(raw=True), False),
             ("mnist_mlp_ns_gan_G", lambda: load_pretrained("mnist_mlp_ns_gan_G.safetensors", MLPGenerator), False)]
    for name, load, conditional in mnist:
        G = load()
        if conditional:
            x, y = cgan.generate(G, 10000, seed=0)
            r = evaluate_generator(x, y)
        else:
            r = evaluate_generator(generate_unconditional(G, 10000, seed=0)[0])
        acc = f" label accuracy {r['label_accuracy']:.2%}" if "label_accuracy" in r else ""
        print(f"{name:22s} MNIST-FID {r['fid']:.3f} confident {r['confident']:.2%}{acc}", flush=True)
    for f in ("cyclegan_digits_d1.safetensors", "cyclegan_digits_d1_nocycle.safetensors"):
        r = cyclegan.evaluate(cyclegan.load_pretrained("cpu", f))
        print(f"{f.removesuffix('.safetensors'):22s} " + " ".join(f"{k} {v:.3f}" for k, v in r.items()), flush=True)
    r = horse2zebra.evaluate(horse2zebra.load_pretrained("cpu"))
    print("horse2zebra_cyclegan   " + " ".join(f"{k} {r[k]:.3f}" for k in
          ("kid_AB", "kid_AB_sd", "kid_BA", "fid_AB", "fid_BA", "zebra_share_AB", "horse_share_BA", "cycle_A")))


if __name__ == "__main__":
    main()
