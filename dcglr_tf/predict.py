"""An exported model (encoder, classifier or segmenter) on a user's files: the library part of `predict.py`.

    model = load_model("runs/dgcnn-scans/encoder")
    prediction = predict_files(model, "~/new_scans")            # a file, a folder or a stacked .npz / .npy
    write_prediction(prediction, "embeddings.npz")               # and embeddings.skipped.txt when files were skipped

The input is listed by `dcglr_tf.data.folders.scan` (a folder searched recursively, the class of a file from its
folder; a stacked file's clouds as `<file name>#<index>`). Each file is read with `readers.read_cloud(path,
num_points, readers.seed_of(relpath))` at the model's training `num_points`, a stacked cloud sampled like a point
file (a seeded subset of its points); a file that cannot be read is skipped with its reason. Clouds go to the model
in batches as they are read.

What a prediction holds (`Prediction.arrays`, written to the output `.npz`), M = the clouds read:
- encoder: `embeddings` (M, D), `paths` (M,);
- classifier: `predicted` (M,) class names, `probability` (M,) of the predicted class, `probabilities` (M, C),
  `class_names` (C,), `paths`;
- segmenter: `points` (M, num_points, 3) the points labelled (as read), `labels` (M, num_points) class ids,
  `class_names` (C,), `paths`, and a part segmenter's `category` (M,);
- and `class_name` (M,) when every file's folder names its class.
"""

import dataclasses
import os

import numpy as np

from dcglr_tf.data import folders, points_file, readers
from dcglr_tf.utils.atomic import remove, replacing


@dataclasses.dataclass
class Prediction:
    """A model's output for the clouds of an input.

    Attributes:
        kind: str, the model's kind: "encoder", "classifier" or "segmenter".
        root: str, the input (folder or file), absolute.
        paths: list of M str, each cloud's path relative to `root` (`<file>#<index>` for a stacked cloud).
        outputs: {name: array with M rows}: an encoder's `embeddings` (M, D), a classifier's `probabilities`
            (M, C), a segmenter's `points` (M, N, 3) and `labels` (M, N) int (each point's most probable class).
        model_classes: list of str, the classifier's or segmenter's classes in output order ([] for an encoder).
        true_classes: list of M str (the class each file's folder names) or None when a file has none.
        categories: list of M str, the category each cloud was segmented as (part segmenters), else None.
        skipped: list of (relative path, reason) of the files that could not be read.
        num_points: int, the points read per cloud.
    """

    kind: str
    root: str
    paths: list[str]
    outputs: dict[str, np.ndarray]
    model_classes: list[str]
    true_classes: list[str] | None
    categories: list[str] | None
    skipped: list[tuple[str, str]]
    num_points: int

    @property
    def predicted(self) -> list[str]:
        """A classifier's predicted class of each cloud."""
        return [self.model_classes[i] for i in np.argmax(self.outputs["probabilities"], axis=-1)]

    def accuracy(self) -> tuple[float | None, int]:
        """The classifier's accuracy over the clouds whose folder names one of the classifier's classes.

        Returns:
            Tuple `(accuracy, count)`: float (or None) and the number of clouds it is over; `(None, 0)` when no cloud's
            folder names one of the classes.
        """
        if self.true_classes is None:
            return None, 0
        scored = [(p, t) for p, t in zip(self.predicted, self.true_classes) if t in self.model_classes]
        if not scored:
            return None, 0
        return float(np.mean([p == t for p, t in scored])), len(scored)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of the output `.npz` (see the module's docstring).

        Returns:
            Dict of str to NumPy array, M rows each (`class_names`: C).
        """
        arrays = {"paths": np.array(self.paths, dtype=str)}
        if self.kind == "encoder":
            arrays["embeddings"] = self.outputs["embeddings"]
        elif self.kind == "classifier":
            probabilities = self.outputs["probabilities"]
            arrays.update(predicted=np.array(self.predicted, dtype=str), probability=probabilities.max(axis=-1),
                          probabilities=probabilities, class_names=np.array(self.model_classes, dtype=str))
        else:
            arrays.update(points=self.outputs["points"], labels=self.outputs["labels"],
                          class_names=np.array(self.model_classes, dtype=str))
            if self.categories is not None:
                arrays["category"] = np.array(self.categories, dtype=str)
        if self.true_classes is not None:
            arrays[points_file.CLASS_KEY] = np.array(self.true_classes, dtype=str)
        return arrays


def clouds_num_points(model, num_points=None):
    """The points per cloud to read for `model`.

    Args:
        model: an `Encoder`, `Classifier` or `Segmenter`.
        num_points: int or None; default the training `num_points` the model's description records.

    Returns:
        int.

    Raises:
        ValueError: naming `--num_points`, when neither is there or it is below the model's minimum.
    """
    num_points = num_points or model.num_points
    if not num_points:
        raise ValueError(f"this {model.kind}'s description records no training num_points: give --num_points")
    if num_points < model.min_points:
        raise ValueError(f"--num_points={num_points} is below the {model.min_points} points per cloud this "
                         f"{model.kind} needs")
    return int(num_points)


def _cloud_categories(model, listing, category):
    """A part segmenter's category of each file (`category` for all, else the file's class), checked before any
    file is read; None for other models."""
    if getattr(model, "categories", None) is None:
        if category is not None:
            raise ValueError(f"--category is for a part segmenter, not for this {model.kind}")
        return None
    names = [category or entry.class_name for entry in listing.files]
    missing = next((entry.relpath for entry, name in zip(listing.files, names) if name is None), None)
    if missing is not None:
        raise ValueError(f"this part segmenter needs each cloud's category ({missing} has none): give "
                         f"--category=NAME or put the files in a folder per category, one of: "
                         f"{', '.join(model.categories)}")
    unknown = sorted(set(names) - set(model.categories))
    if unknown:
        raise ValueError(f"unknown categories {', '.join(map(repr, unknown))}: this part segmenter knows "
                         f"{', '.join(model.categories)}")
    return names


def _read(entry, stacked, num_points):
    """(num_points, 3) float32 of one cloud of a listing; `readers.UnreadableFile` when it cannot give one."""
    if stacked is None:
        return readers.read_cloud(entry.path, num_points, readers.seed_of(entry.relpath))
    cloud = stacked[entry.index]
    if not np.isfinite(cloud).all():
        raise readers.UnreadableFile(entry.relpath, "non-finite coordinates")
    return readers.sample_cloud(readers.Shape(entry.relpath, cloud), num_points, readers.seed_of(entry.relpath))


def predict_files(model, path, **options):
    """Runs an exported model on every cloud of a file, a folder (searched recursively) or a stacked `.npz`/`.npy`.

    Same as `predict_listing(model, folders.scan(path), **options)`.

    Args:
        model: an `Encoder`, `Classifier` or `Segmenter` (`dcglr_tf.export.load_model`).
        path: str or path-like, the input.
        **options: keyword arguments of `predict_listing`.

    Returns:
        Prediction.

    Raises:
        ValueError: as `folders.scan` and `predict_listing`.
    """
    return predict_listing(model, folders.scan(path), **options)


def predict_listing(model, listing, *, num_points=None, batch_size=32, category=None, strict=False, on_cloud=None):
    """Run an exported model on every cloud of a listing.

    Args:
        model: an `Encoder`, `Classifier` or `Segmenter` (`dcglr_tf.export.load_model`).
        listing: `dcglr_tf.data.folders.Listing`, the input's clouds (`folders.scan`).
        num_points: int or None, points read per cloud (default: the model's training num_points).
        batch_size: int, clouds per model call.
        category: str or None, a part segmenter's category for every cloud (default: each file's folder name).
        strict: bool, raise at the first file that cannot be read instead of skipping it.
        on_cloud: callable(count) after each file (progress), or None.

    Returns:
        Prediction.

    Raises:
        ValueError: naming the input or flag: a wrong num_points or category, no readable file; with `strict`,
            the first unreadable file.
    """
    num_points = clouds_num_points(model, num_points)
    categories = _cloud_categories(model, listing, category)
    stacked = points_file.read_stacked(listing.root) if listing.stacked else None
    paths, kept, skipped, outputs, batch = [], [], [], {}, []

    def run(batch):
        points = np.stack([cloud for _, cloud in batch])
        extra = {} if categories is None else {"categories": [categories[number] for number, _ in batch]}
        result = model(points, **extra)
        if model.kind == "segmenter":
            outputs.setdefault("points", []).append(points)
            outputs.setdefault("labels", []).append(np.argmax(result, axis=-1))
        else:
            outputs.setdefault("embeddings" if model.kind == "encoder" else "probabilities", []).append(result)

    for number, entry in enumerate(listing.files):
        try:
            cloud = _read(entry, stacked, num_points)
        except readers.UnreadableFile as error:
            if strict:
                raise ValueError(f"{error} (--strict: every file must be readable)") from None
            skipped.append((entry.relpath, error.reason))
        else:
            paths.append(entry.relpath)
            kept.append(number)
            batch.append((number, cloud))
        if len(batch) == batch_size or (batch and number == len(listing.files) - 1):
            run(batch)
            batch = []
        if on_cloud is not None:
            on_cloud(1)
    if not paths:
        first = f" (first: {skipped[0][0]}: {skipped[0][1]})" if skipped else ""
        raise ValueError(f"{listing.root}: none of its {len(listing.files):,} files could be read{first}")
    classes = [listing.files[number].class_name for number in kept]
    return Prediction(
        kind=model.kind, root=listing.root, paths=paths,
        outputs={key: np.concatenate(values) for key, values in outputs.items()},
        model_classes=list(getattr(model, "class_names", [])),
        true_classes=None if None in classes else classes,
        categories=None if categories is None else [categories[number] for number in kept],
        skipped=skipped, num_points=num_points)


def skip_report_path(output):
    """The list of skipped files beside the output: `classes.npz` -> `classes.skipped.txt`.

    Args:
        output: str, a `.npz` file name.

    Returns:
        str.

    Raises:
        ValueError: as `check_output`.
    """
    return f"{check_output(output)[:-len('.npz')]}.skipped.txt"


def check_output(output):
    """Checks that `output` names a `.npz` file.

    Args:
        output: str.

    Returns:
        `output`.

    Raises:
        ValueError: naming `--output`, when it does not end in `.npz` or is a folder.
    """
    if not output.endswith(".npz") or os.path.isdir(output):
        raise ValueError(f"--output {output}: expected a .npz file name")
    return output


def write_prediction(prediction, output):
    """Writes `prediction.arrays()` to the `.npz` file `output` (atomically) and the list of skipped files.

    When files were skipped, their list (`relative path<TAB>reason` per line) goes to `skip_report_path(output)`; an
    older list is removed when none was skipped.

    Args:
        prediction: Prediction.
        output: str, a `.npz` file name (its folder is made when missing).

    Returns:
        str, the list's path, or None when no file was skipped.

    Raises:
        ValueError: as `check_output`.
    """
    os.makedirs(os.path.dirname(os.path.abspath(check_output(output))), exist_ok=True)
    with replacing(output) as tmp:
        np.savez(tmp, **prediction.arrays())
    report = skip_report_path(output)
    if not prediction.skipped:
        remove(report)
        return None
    with replacing(report) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(f"# {len(prediction.skipped)} files of {prediction.root} could not be read: path, reason\n")
        f.writelines(f"{path}\t{reason}\n" for path, reason in prediction.skipped)
    return report
