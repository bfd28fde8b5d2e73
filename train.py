"""Pre-train a point-cloud encoder with DCGLR: the `dcglr-train` command, run from a checkout.

    python train.py --help

The command is `dcglr_tf.commands.train` (installed as `dcglr-train` by `pip install .`).
"""

from dcglr_tf.commands.train import main

if __name__ == "__main__":
    main()
