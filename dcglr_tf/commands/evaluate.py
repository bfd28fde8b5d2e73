"""Evaluate a pre-trained (or random-init) encoder with the paper's protocols (`dcglr-evaluate`, `python evaluate.py`).

    python evaluate.py --task=svm --encoder=runs/dgcnn-synthetic_objects/encoder
    python evaluate.py --task=svm --encoder=random --backbone=dgcnn          # the random-init baseline
    python evaluate.py --task=svm --encoder=ENC --dataset=~/shapes           # your files: class = folder name
    python evaluate.py --task=knn --compare runs/dgcnn-synthetic_objects/encoder random:dgcnn
    python evaluate.py --task=finetune --encoder=ENC --epochs=10             # pre-trained vs from scratch
    python evaluate.py --task=segmentation --encoder=ENC --train_area=1      # synthetic_rooms, test on area 6
    python evaluate.py --task=partseg --encoder=ENC --dataset=shapenetpart --manual_dir=DIR   # instance/class mIoU
    python evaluate.py --task=robustness --encoder=ENC --dataset modelnet40_h5 modelnet40_cad --manual_dir=DIR
    python evaluate.py --task=tsne|spectrum|attention --encoder=ENC          # pictures
    python evaluate.py --task=knn --protocol=loo --split=test --encoder=ENC  # leave-one-out 1-NN on one split
    python evaluate.py --task=knn --protocol=loo --point_order=random --encoder=ENC   # ... of N random points per cloud
    python evaluate.py --task=knn --protocol=loo --points_file=shapes.npz --encoder=ENC  # ... on all your clouds
    python evaluate.py --task=retrieval --encoder=ENC --points_file=clouds.npz --point_counts 1024 256
    python evaluate.py --task=fewshot --encoder=ENC                          # 5w10s 5w20s 10w10s 10w20s, 10 trials
    python evaluate.py --task=transfer --encoder=ENC --points_file=planes.npz --file_class=airplane  # other clouds

Tasks: svm, knn, finetune, segmentation, partseg, robustness, tsne, spectrum, attention, retrieval, fewshot,
transfer (see docs/evaluation.md).
Prints a table, writes a JSON result next to the (first) encoder or to --output, pictures and training runs to
--output_dir (default: next to the JSON). Training tasks resume from their checkpoints when run again.
"""

import argparse
import json
import os

from dcglr_tf.commands.cli import BAD_INPUT, add_files_flags, check_directory_flags, error_line, fail, quiet_tensorflow

quiet_tensorflow()

POINT_ORDER_ALIASES = {"file": "first", "shuffled": "random"}  # --point_order's names before first / random
TASKS = ("svm", "knn", "finetune", "segmentation", "partseg", "robustness", "tsne", "spectrum", "attention",
         "retrieval", "fewshot", "transfer")


def parse_args(argv=None):
    from dcglr_tf.data.sources import dataset_info, dataset_names, is_path
    from dcglr_tf.models import backbone_names
    from dcglr_tf.models.registry import backbone_class, check_backbone_args
    from dcglr_tf.presets import PRESETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", required=True, choices=TASKS, help="evaluation protocol")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--encoder", help="exported encoder directory (OUTPUT_DIR/encoder of train.py) or 'random'")
    which.add_argument("--compare", nargs="+", metavar="ENC",
                       help="several encoders in one table: paths, 'random' (uses --backbone) or 'random:NAME'")
    parser.add_argument("--backbone", help=f"with random: architecture, one of {', '.join(backbone_names())}")
    parser.add_argument("--preset", default="embedded", choices=sorted({PRESETS[p]().backbone_preset for p in PRESETS}),
                        help="with random: backbone size preset")
    parser.add_argument("--backbone_args", help="with random: JSON dict of backbone constructor overrides")
    parser.add_argument("--dataset", nargs="+",
                        help=f"dataset (default synthetic_objects; segmentation: synthetic_rooms; partseg: synthetic_objects, "
                             f"or a dataset with part labels such as shapenetpart); robustness takes "
                             f"several. One of: {', '.join(dataset_names())}; or a path: a folder of point-cloud and "
                             f"mesh files (class = folder name, train/test folders set the split, else a seeded "
                             f"stratified split), a .npz/.npy of stacked clouds, or a single file; prepared once into "
                             f"--data_dir at the points per cloud the task reads")
    add_files_flags(parser, "--dataset or --points_file")
    parser.add_argument("--data_dir", help="TFDS data directory (default ~/tensorflow_datasets)")
    parser.add_argument("--manual_dir", help="directory with the user's dataset files for real datasets")
    parser.add_argument("--limit", type=int, help="use only the first N examples (clouds or blocks) of each split (quick runs)")
    parser.add_argument("--num_points", type=int,
                        help="points per cloud (default: the encoder's pre-training num_points; segmentation: 1024 per block; "
                             "partseg: 2048 is the published protocol)")
    parser.add_argument("--batch_size", type=int, default=32, help="clouds per batch (feature extraction and training)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="SVM seeds (CV folds); mean and std are reported")
    parser.add_argument("--seed", type=int, default=0, help="seed of random-init encoders, training runs and t-SNE")
    parser.add_argument("--k", type=int, nargs="+",
                        help="knn, transfer: neighbours, several values allowed (knn: default 20, 1 with --protocol=loo; "
                             "transfer: 20 1)")
    parser.add_argument("--protocol", default="standard", choices=["standard", "loo"],
                        help="knn: standard (test queries train) or loo (leave-one-out within --split)")
    parser.add_argument("--split", help="knn --protocol=loo and retrieval: the split to use (default test, or the "
                                        "dataset's only split)")
    parser.add_argument("--point_order", choices=["first", "random", *POINT_ORDER_ALIASES],
                        help="how the N points of a cloud are taken: first (the first N as stored, the benchmarks' "
                             "protocol; the default) or random (N random points of each cloud, seeded by --seed, the "
                             "same for every encoder; the default of segmentation and partseg); file and shuffled are "
                             "their old names. robustness reports both unless this names one")
    parser.add_argument("--points_file", help="every cloud of a NumPy .npz (key 'points' or 'data') or .npy of (M, N, "
                                              "3) clouds, or of a folder of files (as --dataset reads them), or one "
                                              "file. retrieval: instead of --dataset; transfer: the clouds to "
                                              "classify; knn --protocol=loo: leave-one-out among its clouds, their "
                                              "classes under 'class_name' (and objects under 'object') or from the "
                                              "folder's class folders")
    parser.add_argument("--file_class", help="transfer: the class (of --dataset) every cloud of --points_file belongs to "
                                              "(default: each cloud's class as the file names it under 'class_name')")
    parser.add_argument("--temperature", type=float, default=0.07, help="knn, transfer: vote temperature T")
    parser.add_argument("--epochs", type=int, default=10, help="finetune/segmentation/partseg: training epochs")
    parser.add_argument("--learning_rate", type=float, default=1e-3, help="finetune/segmentation/partseg: peak learning rate")
    parser.add_argument("--init", default="both", choices=["both", "pretrained", "scratch"],
                        help="finetune/segmentation/partseg: train from the pre-trained encoder, from scratch, or both")
    parser.add_argument("--train_area", type=int, default=1, help="segmentation: train area 1-5 (tested on area 6)")
    parser.add_argument("--point_counts", type=int, nargs="+",
                        help="robustness: SVM point counts (default 2048 1024); retrieval: the two densities "
                             "(default 1024 256)")
    parser.add_argument("--fewshot_settings", nargs="+", metavar="NwKs",
                        help="fewshot: N-way K-shot settings (default 5w10s 5w20s 10w10s 10w20s)")
    parser.add_argument("--trials", type=int, default=10, help="fewshot: trials per setting")
    parser.add_argument("--queries", type=int, default=20, help="fewshot: test clouds per class and trial (at most)")
    parser.add_argument("--fewshot_finetune", action="store_true",
                        help="fewshot: fine-tune encoder + head on each trial (finetune recipe) instead of a linear "
                             "SVM on frozen features")
    parser.add_argument("--num_clouds", type=int, default=4, help="attention: clouds (rows), one per class")
    parser.add_argument("--verbose", type=int, choices=[0, 1, 2],
                        help="training progress: 0 silent, 1 bar (on a terminal), 2 one line per epoch; default: the "
                             "bar on a terminal, one line per epoch when redirected")
    parser.add_argument("--output", help="JSON result file (default: next to the encoder)")
    parser.add_argument("--output_dir", help="pictures and training runs (default: the JSON's folder)")
    args = parser.parse_args(argv)
    if args.dataset:  # results name a folder or file by its absolute path
        args.dataset = [os.path.abspath(os.path.expanduser(d)) if is_path(d) else d for d in args.dataset]
    if args.points_file:
        args.points_file = os.path.abspath(os.path.expanduser(args.points_file))
    for name in args.dataset or []:
        try:
            dataset_info(name)
        except ValueError as error:
            parser.error(f"--dataset: {error}")
    if (args.labels or args.strict) and not any(is_path(d) for d in (args.dataset or []) + [args.points_file] if d):
        parser.error("--labels and --strict are for a folder or file given by --dataset or --points_file")
    args.backbone_args_dict = {}
    if args.backbone_args:
        try:
            args.backbone_args_dict = json.loads(args.backbone_args)
        except json.JSONDecodeError as error:
            parser.error(f"--backbone_args is not valid JSON: {error}")
        if not isinstance(args.backbone_args_dict, dict):
            parser.error("--backbone_args must be a JSON object")
    if args.backbone:
        for flag, check in (("--backbone", lambda: backbone_class(args.backbone)),
                            ("--backbone_args", lambda: check_backbone_args(args.backbone, args.backbone_args_dict))):
            try:
                check()
            except ValueError as error:
                parser.error(f"{flag}: {error}")
    for name in ("epochs", "batch_size", "num_clouds", "limit", "num_points", "trials", "queries"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    if (args.k and min(args.k) < 1) or args.temperature <= 0:
        parser.error("--k must be >= 1 and --temperature > 0")
    if args.point_counts and min(args.point_counts) < 1:
        parser.error(f"--point_counts must be >= 1, got {args.point_counts}")
    if args.points_file and not (args.task in ("retrieval", "transfer") or (args.task == "knn" and args.protocol == "loo")):
        parser.error("--points_file is used by --task=retrieval, --task=transfer and --task=knn --protocol=loo only")
    args.point_order = POINT_ORDER_ALIASES.get(args.point_order, args.point_order)
    if args.file_class and args.task != "transfer":
        parser.error("--file_class is used by --task=transfer only")
    if args.split and not (args.task == "retrieval" or (args.task == "knn" and args.protocol == "loo")):
        parser.error("--split is used by --task=retrieval and --task=knn --protocol=loo only")
    if args.fewshot_settings:
        from dcglr_tf.evaluation.fewshot import parse_setting

        for setting in args.fewshot_settings:
            try:
                parse_setting(setting)
            except ValueError as error:
                parser.error(str(error))
    if args.protocol != "standard" and args.task != "knn":
        parser.error("--protocol is an option of --task=knn")
    return args


def main(argv=None):
    args = parse_args(argv)
    check_directory_flags({"--data_dir": args.data_dir, "--manual_dir": args.manual_dir,
                           "--output_dir": args.output_dir})
    from dcglr_tf.evaluation.tasks.runner import run_task

    try:
        run_task(args, log=print)
    except BAD_INPUT as error:
        fail(error_line(error))


if __name__ == "__main__":
    main()
