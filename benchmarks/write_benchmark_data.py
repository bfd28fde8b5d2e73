"""Write format-exact ModelNet40 h5, ScanObjectNN and ShapeNetPart files of any size, for timing the protocols.

The files have the layout, names, keys, dtypes and list files of the public archives (the builders in
`dcglr_tf/builders/` read them like the real ones), with random or procedural content instead of real shapes:

- `random`: clouds of Gaussian directions scaled into the unit sphere, uniform labels (random parts);
- `procedural`: every class (category) is an ellipsoid of its own proportions with jitter, so that classes can
  be told apart and ShapeNetPart's parts are bands along the height of each shape (learnable per-point labels).

    python benchmarks/write_benchmark_data.py modelnet40_h5 /tmp/mn40              # 9,840 / 2,468, the real sizes
    python benchmarks/write_benchmark_data.py scanobjectnn /tmp/sonn --variants pb_t50_rs --train 2000 --test 500
    python benchmarks/write_benchmark_data.py shapenetpart /tmp/snp --train 512 --val 64 --test 128
    python evaluate.py --task=svm --encoder=ENC --dataset=modelnet40_h5 --manual_dir=/tmp/mn40 --data_dir=/tmp/tfds

Files are written one at a time, large arrays in slices of 2048 clouds (memory: about 0.5 GB at any size). The
class names, categories and ScanObjectNN file names are the builders' tables by default; the tests
(`tests/dataset_files.py`) use these writers with tiny sizes and pass the releases' documented tables instead, so
that a wrong builder constant fails a test; `keep=True` returns what was written so that they can compare.
"""

import argparse
import json
import pathlib
import sys
import time
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MODELNET40_SIZES = {"train": 9840, "test": 2468}
SCANOBJECTNN_SIZES = {"pb_t50_rs": {"train": 11416, "test": 2882}, "obj_bg": {"train": 2309, "test": 581},
                      "obj_only": {"train": 2309, "test": 581}}
SHAPENETPART_SIZES = {"train": 12137, "val": 1870, "test": 2874}
PER_FILE = 2048  # clouds per ModelNet40 h5 file, as in the release
CONTENTS = ("random", "procedural")
Sizes = Union[int, Sequence[int]]


# ----------------------------------------------------------------------------------------------- content
def class_axes(label: int) -> np.ndarray:
    """Ellipsoid half-axes (3,) of a class for procedural content: a fixed, different shape per class."""
    rng = np.random.default_rng(10_000 + int(label))
    return rng.uniform(0.25, 1.0, size=3)


def make_clouds(rng: np.random.Generator, labels: np.ndarray, num_points: int, content: str) -> np.ndarray:
    """(n,) class labels -> (n, num_points, 3) float32 clouds inside the unit sphere."""
    directions = rng.standard_normal((len(labels), num_points, 3))
    directions /= np.linalg.norm(directions, axis=2, keepdims=True)
    if content == "random":
        clouds = directions * rng.uniform(0.0, 1.0, size=(len(labels), num_points, 1)) ** (1 / 3)
    elif content == "procedural":
        axes = np.stack([class_axes(y) for y in labels])[:, None, :]
        clouds = directions * axes * rng.uniform(0.9, 1.1, size=(len(labels), 1, 3))
        clouds += rng.normal(0.0, 0.01, size=clouds.shape)
        clouds /= np.linalg.norm(clouds, axis=2).max(axis=1)[:, None, None]
    else:
        raise ValueError(f"content must be one of {CONTENTS}, got {content!r}")
    return clouds.astype(np.float32)


def _file_sizes(sizes: Sizes, per_file: int):
    """A total split into files of `per_file` clouds, or an explicit list of per-file counts."""
    if isinstance(sizes, (int, np.integer)):
        return [min(per_file, int(sizes) - start) for start in range(0, int(sizes), per_file)]
    return [int(n) for n in sizes]


# ----------------------------------------------------------------------------------------------- ModelNet40 h5
def write_modelnet40_h5(root, *, train: Sizes = MODELNET40_SIZES["train"], test: Sizes = MODELNET40_SIZES["test"],
                        per_file: int = PER_FILE, num_points: int = 2048, content: str = "random", seed: int = 0,
                        keep: bool = False, log=None, class_names: Optional[Sequence[str]] = None):
    """`<root>/modelnet40_ply_hdf5_2048/`: shape_names.txt, {train,test}_files.txt (lines with the archive's
    `data/modelnet40_ply_hdf5_2048/` prefix) and ply_data_{train,test}{i}.h5 with `data` [n, num_points, 3]
    float32, `label` [n, 1] uint8, `normal` [n, num_points, 3] float32 and `faceId` [n, num_points] int32.
    train / test: a total (files of `per_file` clouds) or a list of per-file counts. class_names: the 40 names of
    shape_names.txt, in label order (default: the builder's).
    Returns {split: (data, labels (n,) int64)} in file order with keep=True, else {split: count}."""
    import h5py

    from dcglr_tf.builders._builder_utils import MODELNET40_CLASS_NAMES

    class_names = MODELNET40_CLASS_NAMES if class_names is None else class_names
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(root) / "modelnet40_ply_hdf5_2048"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shape_names.txt").write_text("\n".join(class_names) + "\n")
    out = {}
    for split, sizes in (("train", train), ("test", test)):
        lines, datas, labels = [], [], []
        for i, n in enumerate(_file_sizes(sizes, per_file)):
            label = rng.integers(0, len(class_names), size=n)
            data = make_clouds(rng, label, num_points, content)
            name = f"ply_data_{split}{i}.h5"
            with h5py.File(folder / name, "w") as f:
                f.create_dataset("data", data=data)
                f.create_dataset("label", data=label.astype(np.uint8)[:, None])
                f.create_dataset("normal", data=np.zeros_like(data))
                f.create_dataset("faceId", data=np.zeros((n, num_points), np.int32))
            lines.append(f"data/modelnet40_ply_hdf5_2048/{name}")
            if keep:
                datas.append(data)
                labels.append(label.astype(np.int64))
            if log:
                log(f"wrote {folder / name} ({n} clouds)")
        (folder / f"{split}_files.txt").write_text("\n".join(lines) + "\n")
        total = sum(_file_sizes(sizes, per_file))
        out[split] = (np.concatenate(datas), np.concatenate(labels)) if keep else total
    return out


# ----------------------------------------------------------------------------------------------- ScanObjectNN
def write_scanobjectnn(root, *, variants: Sequence[str] = tuple(SCANOBJECTNN_SIZES),
                       sizes: Optional[Dict[str, int]] = None, content: str = "random", seed: int = 0,
                       keep: bool = False, log=None, class_names: Optional[Sequence[str]] = None,
                       files: Optional[Dict[str, Dict[str, str]]] = None, num_points: Optional[int] = None):
    """`<root>/h5_files/main_split[_nobg]/{training,test}_objectdataset[_augmentedrot_scale75].h5` of `variants`
    (pb_t50_rs, obj_bg, obj_only), each with `data` [n, 2048, 3] float32, `label` [n] int64 and `mask` [n, 2048]
    int64 (stand-in values: -1 on a random fifth of the points, 0 elsewhere; the builder does not read it).
    sizes: {"train": n, "test": n} for every variant (a missing or None count: the variant's real size).
    class_names (label order), files ({variant: {split: path inside h5_files/}}) and num_points: the release's
    (default: the builder's).
    Returns {variant: {split: (data, labels)}} with keep=True, else {variant: {split: count}}."""
    import h5py

    from dcglr_tf.builders.scanobjectnn import scanobjectnn_dataset_builder as builder

    class_names = builder.CLASS_NAMES if class_names is None else class_names
    num_points = builder.NUM_POINTS if num_points is None else num_points
    files = files or {variant: {split: f"{config.folder}/{name}" for split, name in config.file_names().items()}
                      for variant, config in builder.VARIANTS.items()}
    rng = np.random.default_rng(seed)
    out = {}
    for variant in variants:
        out[variant] = {}
        for split, name in files[variant].items():
            path = pathlib.Path(root) / "h5_files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            n = (sizes or {}).get(split) or SCANOBJECTNN_SIZES[variant][split]
            label = rng.integers(0, len(class_names), size=n)
            kept = []
            with h5py.File(path, "w") as f:
                data = f.create_dataset("data", shape=(n, num_points, 3), dtype=np.float32)
                f.create_dataset("label", data=label.astype(np.int64))
                mask = f.create_dataset("mask", shape=(n, num_points), dtype=np.int64)
                for start in range(0, n, PER_FILE):  # in slices: memory of PER_FILE clouds, whatever n
                    stop = min(n, start + PER_FILE)
                    clouds = make_clouds(rng, label[start:stop], num_points, content)
                    data[start:stop] = clouds
                    mask[start:stop] = np.where(rng.random((stop - start, num_points)) < 0.2, -1, 0)
                    if keep:
                        kept.append(clouds)
            out[variant][split] = (np.concatenate(kept), label.astype(np.int64)) if keep else n
            if log:
                log(f"wrote {path} ({n} clouds)")
    return out


# ----------------------------------------------------------------------------------------------- ShapeNetPart
def shapenetpart_shape(rng: np.random.Generator, category: int, parts, num: int, content: str):
    """One shape of category index `category` whose global part ids are [parts[0], parts[1]): (num, 7) float64
    rows x y z nx ny nz part."""
    low, high = parts
    directions = rng.standard_normal((num, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    if content == "random":
        points = directions * rng.uniform(0.0, 1.0, size=(num, 1)) ** (1 / 3)
        normals = rng.standard_normal((num, 3))
        parts = rng.integers(low, high, size=num)
    elif content == "procedural":
        axes = class_axes(category)
        points = directions * axes + rng.normal(0.0, 0.005, size=(num, 3))
        normals = directions / axes
        # Parts are bands along the height (y) of the shape, one per part of the category.
        band = np.clip(((points[:, 1] / axes[1] + 1) / 2 * (high - low)).astype(np.int64), 0, high - low - 1)
        parts = low + band
    else:
        raise ValueError(f"content must be one of {CONTENTS}, got {content!r}")
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    return np.concatenate([points, normals, parts[:, None]], axis=1)


def write_shapenetpart(root, *, train: int = SHAPENETPART_SIZES["train"], val: int = SHAPENETPART_SIZES["val"],
                       test: int = SHAPENETPART_SIZES["test"], points=(1500, 3500), content: str = "procedural",
                       seed: int = 0, keep: bool = False, log=None,
                       categories: Optional[Sequence[Tuple[str, str, int]]] = None, archive: Optional[str] = None):
    """`<root>/shapenetcore_partanno_segmentation_benchmark_v0_normal/`: synsetoffset2category.txt,
    train_test_split/shuffled_{train,val,test}_file_list.json (entries `shape_data/<synset>/<id>`) and one
    `<synset>/<id>.txt` per shape with lines `x y z nx ny nz part` (`%.6f`, part ids global, 0-49). Categories
    take turns over the shapes of each split; each shape has a point count drawn from [points[0], points[1]].
    categories: [(name in synsetoffset2category.txt, synset, number of parts)] in the release's order (the part-id
    order); archive: the archive folder's name (defaults: the builder's).
    Returns {split: [(synset/id, (num, 7) array as written)]} with keep=True, else {split: count}."""
    from dcglr_tf.builders.shapenetpart import shapenetpart_dataset_builder as builder

    if categories is None:
        categories = [(name, synset, len(builder.PART_NAMES[category])) for category, name, synset
                      in builder.CATEGORY_TABLE]
    first_parts = np.cumsum([0] + [num_parts for _, _, num_parts in categories])
    rng = np.random.default_rng(seed)
    base = pathlib.Path(root) / (archive or builder.ARCHIVE)
    (base / "train_test_split").mkdir(parents=True, exist_ok=True)
    (base / "synsetoffset2category.txt").write_text("".join(f"{name}\t{synset}\n" for name, synset, _ in categories))
    out, start = {}, time.perf_counter()
    for split, count in (("train", train), ("val", val), ("test", test)):
        entries, kept = [], []
        for index in range(count):
            category = index % len(categories)
            synset = categories[category][1]
            shape_id = f"{rng.integers(0, 2**63):016x}{split}{index}"
            parts = (int(first_parts[category]), int(first_parts[category + 1]))
            rows = shapenetpart_shape(rng, category, parts, int(rng.integers(points[0], points[1] + 1)), content)
            (base / synset).mkdir(exist_ok=True)
            (base / synset / f"{shape_id}.txt").write_text(("%.6f %.6f %.6f %.6f %.6f %.6f %.6f\n" * len(rows))
                                                            % tuple(rows.ravel()))
            entries.append(f"shape_data/{synset}/{shape_id}")
            if keep:
                kept.append((f"{synset}/{shape_id}", rows))
            if log and (index + 1) % 1000 == 0:
                log(f"{split}: {index + 1} / {count} shapes ({time.perf_counter() - start:.0f} s)")
        (base / "train_test_split" / f"shuffled_{split}_file_list.json").write_text(json.dumps(entries))
        out[split] = kept if keep else count
        if log:
            log(f"wrote {count} {split} shapes and {base / 'train_test_split'}/shuffled_{split}_file_list.json")
    return out


# ----------------------------------------------------------------------------------------------- command line
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("format", choices=["modelnet40_h5", "scanobjectnn", "shapenetpart"], help="archive to write")
    parser.add_argument("output", help="folder to write into (becomes the --manual_dir of the builders)")
    parser.add_argument("--train", type=int, help="train clouds/shapes (default: the real archive's count)")
    parser.add_argument("--val", type=int, help="shapenetpart: val shapes (default 1,870)")
    parser.add_argument("--test", type=int, help="test clouds/shapes (default: the real archive's count)")
    parser.add_argument("--variants", nargs="+", choices=sorted(SCANOBJECTNN_SIZES), default=list(SCANOBJECTNN_SIZES),
                        help="scanobjectnn: variants to write (default all three)")
    parser.add_argument("--content", choices=CONTENTS,
                        help="random clouds or procedural per-class shapes (default: random; shapenetpart: procedural)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("train", "val", "test"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    start = time.perf_counter()
    if args.format == "modelnet40_h5":
        written = write_modelnet40_h5(args.output, train=args.train or MODELNET40_SIZES["train"],
                                      test=args.test or MODELNET40_SIZES["test"], content=args.content or "random",
                                      seed=args.seed, log=print)
    elif args.format == "scanobjectnn":
        written = write_scanobjectnn(args.output, variants=args.variants, sizes={"train": args.train, "test": args.test},
                                     content=args.content or "random", seed=args.seed, log=print)
    else:
        written = write_shapenetpart(args.output, **{k: getattr(args, k) or SHAPENETPART_SIZES[k] for k in SHAPENETPART_SIZES},
                                     content=args.content or "procedural", seed=args.seed, log=print)
    print(f"{args.format}: {json.dumps(written)} written to {args.output} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
