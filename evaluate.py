"""Evaluate a pre-trained (or random-init) encoder: the `dcglr-evaluate` command, run from a checkout.

    python evaluate.py --help

The command is `dcglr_tf.commands.evaluate` (installed as `dcglr-evaluate` by `pip install .`).
"""

from dcglr_tf.commands.evaluate import main

if __name__ == "__main__":
    main()
