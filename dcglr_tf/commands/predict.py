"""Run an exported model on your files (`dcglr-predict`, `python predict.py`).

    python predict.py --model=runs/dgcnn-scans/encoder --input=~/new_scans --output=embeddings.npz
    python predict.py --model=CLASSIFIER --input=~/shapes --output=classes.npz        # class and probability per file
    python predict.py --model=SEGMENTER --input=scan.ply --output=labels.npz          # a label per point
    python predict.py --model=PART_SEGMENTER --input=~/chairs --category=chair --output=parts.npz

--model: an encoder (OUTPUT_DIR/encoder of train.py) or a classifier or segmenter that evaluate.py's finetune,
segmentation or partseg task exported (the paths are in its result JSON). --input: a file, a folder (searched
recursively; a file's class is its folder's name) or a .npz/.npy of stacked clouds. Each file is read at the
model's training num_points. The output .npz holds, per cloud: an encoder's `embeddings`; a classifier's
`predicted` class, its `probability` and all `probabilities`; a segmenter's `points` and their `labels`; with
`paths` and, when every file's folder names its class, `class_name`. Files that cannot be read are skipped and
listed in OUTPUT.skipped.txt (--strict makes them an error).
"""

import argparse

from dcglr_tf.commands.cli import BAD_INPUT, error_line, fail, quiet_tensorflow

quiet_tensorflow()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="exported encoder, classifier or segmenter (a SavedModel "
                                                       "directory)")
    parser.add_argument("--input", required=True, help="a file, a folder of files or a stacked .npz/.npy")
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("--num_points", type=int, help="points read per cloud (default: the model's training "
                                                       "num_points)")
    parser.add_argument("--batch_size", type=int, default=32, help="clouds per model call")
    parser.add_argument("--category", help="part segmenters: the category of every cloud (default: each file's "
                                           "folder name)")
    parser.add_argument("--strict", action="store_true", help="stop at the first file that cannot be read")
    parser.add_argument("--show", type=int, default=10, help="classifiers: the files shown in the printed table")
    args = parser.parse_args(argv)
    for name in ("num_points", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    if not args.output.endswith(".npz"):
        parser.error(f"--output {args.output}: expected a .npz file name")
    return args


def share_summary(names, counts, total, limit=10):
    """'chair 12 (60.0 %), table 8 (40.0 %)': the `limit` largest counts, largest first."""
    order = sorted(range(len(names)), key=lambda i: (-counts[i], names[i]))[:limit]
    return ", ".join(f"{names[i]} {counts[i]:,} ({100 * counts[i] / total:.1f} %)" for i in order if counts[i])


def report(prediction, args, log=print):
    """Print what the model gave: a classifier's table and summary, a segmenter's label shares, an encoder's size."""
    import numpy as np

    from dcglr_tf.evaluation.report import format_table

    count = len(prediction.paths)
    if prediction.kind == "encoder":
        log(f"{count:,} embeddings of {prediction.outputs['embeddings'].shape[1]} dimensions")
    elif prediction.kind == "classifier":
        predicted, probability = prediction.predicted, prediction.outputs["probabilities"].max(axis=-1)
        labelled = prediction.true_classes is not None
        rows = [[path, name, f"{p:.3f}"] + ([truth] if labelled else [])
                for path, name, p, truth in zip(prediction.paths, predicted, probability,
                                                prediction.true_classes or predicted)][:args.show]
        log(format_table(["file", "class", "probability"] + (["folder"] if labelled else []), rows))
        if count > len(rows):
            log(f"... {count - len(rows):,} more in {args.output}")
        classes = prediction.model_classes
        log(f"predicted: {share_summary(classes, [predicted.count(c) for c in classes], count)}")
        accuracy, scored = prediction.accuracy()
        if accuracy is not None:
            log(f"accuracy: {accuracy:.4f} over the {scored:,} files whose folder names a class of the classifier")
    else:
        labels = prediction.outputs["labels"]
        counts = np.bincount(labels.ravel(), minlength=len(prediction.model_classes)).tolist()
        log(f"{count:,} clouds of {labels.shape[1]:,} points labelled; points per class: "
            f"{share_summary(prediction.model_classes, counts, labels.size)}")


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except BAD_INPUT as error:
        fail(error_line(error))


def run(args, log=print):
    """Load the model, predict every cloud of --input with progress, write --output and print the report."""
    from dcglr_tf.data import folders
    from dcglr_tf.export import load_model
    from dcglr_tf.predict import clouds_num_points, predict_listing, write_prediction
    from dcglr_tf.utils.progress import Stage

    model = load_model(args.model)
    num_points = clouds_num_points(model, args.num_points)
    listing = folders.scan(args.input)
    total, unit = len(listing.files), "clouds" if listing.stacked else "files"
    log(f"{model.kind} {args.model}: {total:,} {unit} of {listing.root}, {num_points:,} points each")
    with Stage(f"reading and predicting ({model.kind})", total, unit, log) as stage:
        prediction = predict_listing(model, listing, num_points=num_points, batch_size=args.batch_size,
                                     category=args.category, strict=args.strict, on_cloud=stage.update)
    skipped = write_prediction(prediction, args.output)
    report(prediction, args, log)
    if skipped:
        log(f"skipped {len(prediction.skipped):,} of {total:,} {unit} that could not be read; the list: {skipped}")
    log(f"wrote {args.output}")
    return prediction


if __name__ == "__main__":
    main()
