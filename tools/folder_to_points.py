"""Turn a folder of point-cloud and mesh files into one NumPy file of stacked clouds with each cloud's class, for
`evaluate.py --task=transfer` and `--task=knn --protocol=loo` on real shapes sampled several times:

    python tools/folder_to_points.py --input MESHES_DIR --output runs/meshes8.npz --up z --order fps
    python evaluate.py --task=transfer --encoder=ENC --points_file=runs/meshes8.npz
    python evaluate.py --task=knn --protocol=loo --points_file=runs/meshes8.npz --num_points=256 --encoder=ENC

The folder is listed as `--dataset` lists it (`dcglr_tf.data.folders`: every supported format below it, the class of
a file is its folder's name, or the labels CSV's; train/test folders set the split) and each file is read by
`dcglr_tf.data.readers`. Every file gives `--samplings` clouds of `--num_points` points: sampling r is drawn with the
seed `readers.seed_of(key)`, key = the file's path relative to the folder for r = 0 (the points a folder dataset
prepares at that count), `<path>#<r>` after; a mesh gives area-uniform surface samples, a point file a random subset.
`--order fps` keeps instead `--num_points` of 10,000 such samples (a point file: of up to 10,000 of its points) by
farthest point sampling, in selection order, so that the first N points of a cloud cover the shape evenly, as the
`modelnet40_off` dataset samples ModelNet's meshes. `--up z` turns z-up files (ModelNet's) y-up like the other
datasets ((x, y, z) -> (x, z, -y)). Clouds are centred and scaled into the unit sphere.

Written: `points` (M, num_points, 3) float32, `class_name` (M,) (when the files have classes), `split` (M,),
`object` (M,) (the file's relative path, so that leave-one-out never matches a cloud with another sampling of its own
file) and `name` (M,) (`<path>#<r>`); M = readable files x samplings, files in sorted path order. A file that cannot
be read is skipped and named with the reason.
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dcglr_tf.builders._builder_utils import farthest_point_indices, normalize_unit_sphere  # noqa: E402
from dcglr_tf.builders.modelnet40_cad.modelnet40_cad_dataset_builder import (  # noqa: E402
    OFF_SURFACE_SAMPLES,
    Z_UP_TO_Y_UP,
)
from dcglr_tf.data import folders, readers  # noqa: E402
from dcglr_tf.utils.progress import Stage  # noqa: E402


def sample(shape, num_points, key, order="random", up="y"):
    """One cloud of a shape: (num_points, 3) float32 in the unit sphere.

    Args:
        shape: readers.Shape.
        num_points: int.
        key: str, the seed's key (`readers.seed_of`).
        order: "random" (num_points samples, in random order) or "fps" (num_points of OFF_SURFACE_SAMPLES samples by
            farthest point sampling, in selection order).
        up: "y" (as stored) or "z" (a z-up shape, turned y-up).

    Raises:
        readers.UnreadableFile: a point file with fewer than `num_points` points.
    """
    seed = readers.seed_of(key)
    if order == "random":
        cloud = readers.sample_cloud(shape, num_points, seed)
    else:
        pool = OFF_SURFACE_SAMPLES if shape.faces is not None else min(len(shape.points), OFF_SURFACE_SAMPLES)
        samples = readers.sample_cloud(shape, max(pool, num_points), seed)
        cloud = samples[farthest_point_indices(samples, num_points)]
    return normalize_unit_sphere(cloud @ Z_UP_TO_Y_UP.T if up == "z" else cloud)


def folder_clouds(listing, plan, num_points, samplings, order="random", up="y", log=print):
    """(arrays to write: points, class_name (when labelled), split, object, name; skipped [(relative path, reason)])
    of every readable file of `listing` (a folders.Listing split by `plan`), `samplings` clouds each."""
    clouds, classes, splits, objects, names, skipped = [], [], [], [], [], []
    with Stage(f"sampling {listing.root}", len(listing.files), "files", log) as stage:
        for entry, split in zip(listing.files, plan.splits):
            try:
                shape = readers.read_shape(entry.path)
                samples = [sample(shape, num_points, entry.relpath if r == 0 else f"{entry.relpath}#{r}", order, up)
                           for r in range(samplings)]
            except readers.UnreadableFile as error:
                skipped.append((entry.relpath, error.reason))
            else:
                clouds += samples
                classes += [entry.class_name] * samplings
                splits += [split] * samplings
                objects += [entry.relpath] * samplings
                names += [f"{entry.relpath}#{r}" for r in range(samplings)]
            stage.update()
    if not clouds:
        raise ValueError(f"{listing.root}: none of its {len(listing.files)} files can be read (first: "
                         f"{'; '.join(f'{path}: {reason}' for path, reason in skipped[:3])})")
    arrays = {"points": np.stack(clouds), "split": np.array(splits), "object": np.array(objects),
              "name": np.array(names)}
    if listing.class_names:
        arrays["class_name"] = np.array(classes)
    return arrays, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", required=True, help="folder of point-cloud and mesh files (searched recursively)")
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("--labels", help="CSV of 'relative path,label' rows (default: labels.csv in the folder, else "
                                         "the class folders)")
    parser.add_argument("--num_points", type=int, default=2048, help="points per cloud")
    parser.add_argument("--samplings", type=int, default=10, help="clouds per file, each from its own sample")
    parser.add_argument("--order", default="random", choices=["random", "fps"],
                        help="random: area-uniform samples in random order; fps: farthest point sampling of 10,000 "
                             "samples, in selection order")
    parser.add_argument("--up", default="y", choices=["y", "z"], help="z: the files are z-up (ModelNet); turn them y-up")
    args = parser.parse_args(argv)
    if args.num_points < 1 or args.samplings < 1 or (args.order == "fps" and args.num_points > OFF_SURFACE_SAMPLES):
        parser.error(f"--num_points must be >= 1 (at most {OFF_SURFACE_SAMPLES} with --order fps) and --samplings "
                     f">= 1; got {args.num_points} and {args.samplings}")
    if not args.output.endswith(".npz"):
        parser.error(f"--output {args.output}: must end in .npz")
    if not os.path.isdir(os.path.expanduser(args.input)):
        parser.error(f"--input {args.input}: no such folder")
    try:
        listing = folders.scan(args.input, labels=args.labels)
        problem = folders.label_problem(listing)
        if listing.class_names and problem:
            raise ValueError(problem)
        arrays, skipped = folder_clouds(listing, folders.plan_splits(listing), args.num_points, args.samplings,
                                        args.order, args.up)
    except ValueError as error:
        parser.error(str(error))
    for relpath, reason in skipped:
        print(f"skipped {relpath}: {reason}")
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(output, **arrays)
    counts = dict(zip(*np.unique(arrays.get("class_name", arrays["split"]), return_counts=True)))
    print(f"wrote {output}: {len(arrays['points']):,} clouds of {args.num_points} points "
          f"({', '.join(f'{c} {n}' for c, n in counts.items())}); skipped {len(skipped)} of {len(listing.files)} "
          f"files")


if __name__ == "__main__":
    main()
