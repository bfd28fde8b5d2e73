"""Run an exported encoder, classifier or segmenter on your files: the `dcglr-predict` command, run from a checkout.

    python predict.py --help

The command is `dcglr_tf.commands.predict` (installed as `dcglr-predict` by `pip install .`).
"""

from dcglr_tf.commands.predict import main

if __name__ == "__main__":
    main()
