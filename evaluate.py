"""Evaluate a pre-trained (or random-init) encoder with the paper's protocols.

    python evaluate.py --task=svm --encoder=runs/dgcnn-synthetic_shapes/encoder
    python evaluate.py --task=svm --encoder=random --backbone=dgcnn          # the random-init baseline
    python evaluate.py --task=svm --encoder=ENC --dataset=modelnet40_h5 --manual_dir=DIR --num_points=1024

Prints a table and writes a JSON result next to the encoder (or to --output).
"""

import argparse
import sys

from dcglr_tf.cli import fail, quiet_tensorflow

quiet_tensorflow()

TASKS = ("svm",)


def parse_args(argv=None):
    from dcglr_tf.config import PRESETS
    from dcglr_tf.data.sources import dataset_names
    from dcglr_tf.models import backbone_names

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=TASKS, help="evaluation protocol")
    parser.add_argument("--encoder", required=True, help="exported encoder directory (OUTPUT_DIR/encoder of train.py) or 'random'")
    parser.add_argument("--backbone", help=f"with --encoder=random: architecture, one of {', '.join(backbone_names())}")
    parser.add_argument("--preset", default="embedded", choices=sorted(PRESETS), help="with --encoder=random: backbone size preset")
    parser.add_argument("--dataset", default="synthetic_shapes", help=f"labelled dataset, one of: {', '.join(dataset_names())}")
    parser.add_argument("--data_dir", help="TFDS data directory (default ~/tensorflow_datasets)")
    parser.add_argument("--manual_dir", help="directory with the user's dataset files for real datasets")
    parser.add_argument("--num_points", type=int, help="points per cloud (default: the encoder's pre-training num_points)")
    parser.add_argument("--batch_size", type=int, default=32, help="clouds per forward pass when extracting features")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="SVM seeds (CV folds and solver); mean and std are reported")
    parser.add_argument("--seed", type=int, default=0, help="with --encoder=random: initialisation seed")
    parser.add_argument("--output", help="JSON result file (default: next to the encoder)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from dcglr_tf.data.sources import DatasetFileError
    from dcglr_tf.evaluation.runner import run_task

    try:
        run_task(args, log=print)
    except (ValueError, FileNotFoundError, DatasetFileError) as error:
        fail(str(error))


if __name__ == "__main__":
    main(sys.argv[1:])
