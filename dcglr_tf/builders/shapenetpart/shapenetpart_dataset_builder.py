"""shapenetpart: ShapeNetPart (Yi et al. 2016), 16,881 shapes of 16 categories with 50 part labels per point.

Reads the user's copy of `shapenetcore_partanno_segmentation_benchmark_v0_normal` (the release with normals used
by PointNet++, DGCNN and the self-supervised papers) from TFDS's manual directory:

    shapenetcore_partanno_segmentation_benchmark_v0_normal/
      synsetoffset2category.txt                      # "Airplane<TAB>02691156", one line per category
      train_test_split/shuffled_{train,val,test}_file_list.json   # ["shape_data/02691156/1a04e3...", ...]
      02691156/1a04e3eab45ca15dd86060f189eb133.txt   # one line per point: x y z nx ny nz part
      ...

Splits train / val / test (12,137 / 1,870 / 2,874 shapes). A shape listed in a split list whose file is missing, or
listed a second time (in the same list or in another one), is skipped, not fatal: one warning line on stderr with
the count and the first few, and every skipped shape in `skipped_shapes.txt` beside the prepared data
(`<data_dir>/shapenetpart/<version>/`). The lists are read test, val, train, and a shape is kept at its first
listing, so the test split stays as published and a shape listed in two splits is never in both.

Part ids are global: 0-49 over all categories, each category's parts consecutive in category order (Airplane 0-3,
Bag 4-5, ..., Table 47-49); `PART_NAMES` names them. A shape's points must carry its own category's part ids only.

Shapes have different point counts (about 2,500 on average), so every example stores a fixed `NUM_POINTS` = 2048
(static batch shapes): a random subset without replacement, or, for a shape with fewer points, all its points
plus random repeats; in random order, so that the first k stored points are a random subset of k. The choice is
seeded by the shape's `synset/id`, so it is the same in every preparation. Per example: `points` (2048, 3),
`normals` (2048, 3), `parts` (2048,) int64 global part ids, `label` the category, `name` = `synset/id`,
`num_points_original`.
"""

import json
import zlib

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

NAME = "shapenetpart"
ARCHIVE = "shapenetcore_partanno_segmentation_benchmark_v0_normal"
NUM_POINTS = 2048
# Category (ClassLabel order = the release's part-id order), its name in synsetoffset2category.txt, its synset.
CATEGORY_TABLE = [
    ("airplane", "Airplane", "02691156"), ("bag", "Bag", "02773838"), ("cap", "Cap", "02954340"),
    ("car", "Car", "02958343"), ("chair", "Chair", "03001627"), ("earphone", "Earphone", "03261776"),
    ("guitar", "Guitar", "03467517"), ("knife", "Knife", "03624134"), ("lamp", "Lamp", "03636649"),
    ("laptop", "Laptop", "03642806"), ("motorbike", "Motorbike", "03790512"), ("mug", "Mug", "03797390"),
    ("pistol", "Pistol", "03948459"), ("rocket", "Rocket", "04099429"), ("skateboard", "Skateboard", "04225987"),
    ("table", "Table", "04379243"),
]
CATEGORIES = [category for category, _, _ in CATEGORY_TABLE]
# Parts of each category in global-id order (names of the part annotation; the ids are what the files hold).
PART_NAMES = {
    "airplane": ["body", "wing", "tail", "engine"],
    "bag": ["handle", "body"],
    "cap": ["panels", "peak"],
    "car": ["roof", "hood", "wheel", "body"],
    "chair": ["back", "seat", "leg", "arm"],
    "earphone": ["earcup", "headband", "data_wire"],
    "guitar": ["head", "neck", "body"],
    "knife": ["blade", "handle"],
    "lamp": ["base", "lampshade", "canopy", "tube"],
    "laptop": ["keyboard", "screen"],
    "motorbike": ["gas_tank", "seat", "wheel", "handle", "light", "body"],
    "mug": ["handle", "body"],
    "pistol": ["barrel", "handle", "trigger_and_guard"],
    "rocket": ["body", "fin", "nose"],
    "skateboard": ["wheel", "deck", "belt_for_foot"],
    "table": ["desktop", "leg", "support"],
}
NUM_PARTS = sum(len(PART_NAMES[c]) for c in CATEGORIES)  # 50
SPLITS = ("train", "val", "test")
LIST_READ_ORDER = ("test", "val", "train")  # a shape listed twice is kept at its first listing in this order
COLUMNS = ("x", "y", "z", "nx", "ny", "nz", "part")
EXPECTED_FILES = [
    f"{ARCHIVE}/synsetoffset2category.txt",
    f"{ARCHIVE}/train_test_split/shuffled_train_file_list.json (and _val_, _test_)",
    f"{ARCHIVE}/<synset>/<id>.txt for every shape listed ('x y z nx ny nz part' per line)",
]


def part_ranges():
    """{category: (first global part id, end)}: the consecutive ids of each category's parts."""
    ranges, start = {}, 0
    for category in CATEGORIES:
        ranges[category] = (start, start + len(PART_NAMES[category]))
        start += len(PART_NAMES[category])
    return ranges


def fixed_count_indices(num: int, key: str, count: int = NUM_POINTS) -> np.ndarray:
    """(count,) indices into a shape of `num` points, seeded by `key`: a random subset without replacement when
    num >= count, else every point once plus random repeats; in random order."""
    rng = np.random.default_rng(zlib.crc32(key.encode("utf-8")))
    if num >= count:
        return rng.permutation(num)[:count]
    return rng.permutation(np.concatenate([np.arange(num), rng.integers(0, num, count - num)]))


def list_name(split: str) -> str:
    """The release's split list of `split`: shuffled_<split>_file_list.json."""
    return f"shuffled_{split}_file_list.json"


def shape_file(shape) -> str:
    """(synset, id) -> '<synset>/<id>.txt', the shape's file relative to the archive folder."""
    return f"{shape[0]}/{shape[1]}.txt"


class Builder(tfds.core.GeneratorBasedBuilder):
    """ShapeNetPart with normals and per-point part labels (16 categories, 50 parts), from the user's files."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: train/val/test of the v0_normal release, 2048 points per shape."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Put the extracted archive `{ARCHIVE}` (ShapeNetPart with normals, as used
by PointNet++ and DGCNN; distributed as https://shapenet.cs.stanford.edu/media/{ARCHIVE}.zip,
frequently offline, users take it from mirrors of that file name) into the manual directory (`--manual_dir`, TFDS
default `<data_dir>/downloads/manual`): `--manual_dir` may be that folder itself or the folder that holds it.
Expected inside: synsetoffset2category.txt, train_test_split/shuffled_{{train,val,test}}_file_list.json and the 16
synset folders of per-shape .txt files.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        part_doc = "; ".join(f"{c}: {', '.join(f'{i} {n}' for i, n in enumerate(PART_NAMES[c], part_ranges()[c][0]))}"
                             for c in CATEGORIES)
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "points": utils.xyz_feature(NUM_POINTS),
                "normals": utils.xyz_feature(NUM_POINTS, doc="unit normals as released"),
                # A Tensor, not Sequence(ClassLabel): TFDS encodes a Sequence element by element (slow).
                "parts": tfds.features.Tensor(shape=(NUM_POINTS,), dtype=np.int64,
                                             encoding=tfds.features.Encoding.BYTES,
                                             doc=f"global part id per point in [0, {NUM_PARTS}): {part_doc}"),
                "label": tfds.features.ClassLabel(names=CATEGORIES),
                "name": tfds.features.Text(doc="synset/id of the shape"),
                "num_points_original": tfds.features.Scalar(dtype=np.int64, doc="points in the shape's file"),
            }),
            supervised_keys=("points", "label"),
            homepage="https://cs.stanford.edu/~ericyi/project_page/part_annotation/",
        )

    def _split_generators(self, dl_manager):
        root = utils.manual_dir_of(dl_manager, NAME, EXPECTED_FILES, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        find = lambda name: utils.find_file(root, name, builder=NAME, expected=EXPECTED_FILES,
                                            instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        categories_path = find("synsetoffset2category.txt")
        base = categories_path.parent  # the archive folder: shape files are <base>/<synset>/<id>.txt
        synsets = self._read_categories(categories_path)
        list_paths = {split: find(list_name(split)) for split in SPLITS}
        listed = {split: self._read_split_list(list_paths[split], synsets) for split in LIST_READ_ORDER}
        kept, skipped = utils.drop_missing_and_repeated(listed, lambda shape: base / shape_file(shape))
        for split, shapes in kept.items():
            if not shapes:
                raise utils.DatasetFilesMissingError(
                    NAME, base, EXPECTED_FILES, self.MANUAL_DOWNLOAD_INSTRUCTIONS,
                    detail=f"none of the {len(listed[split])} shape files listed in {list_paths[split].name} "
                           f"found (e.g. {shape_file(listed[split][0])})")
        if skipped:
            utils.report_skipped(self, [(reason, list_name(split), shape_file(shape))
                                        for reason, split, shape in skipped])
        return {split: self._generate_examples(base, kept[split], synsets) for split in SPLITS}

    @staticmethod
    def _read_categories(path):
        """{synset: category} from synsetoffset2category.txt, checked against the release's 16 categories."""
        found = {}
        for line_number, line in enumerate(utils.read_list_file(path), start=1):
            fields = line.split()
            if len(fields) != 2:
                raise utils.CorruptDatasetFileError(NAME, path, f"line {line_number} is {line!r}, expected "
                                                    "'<Category> <synset>'")
            found[fields[0]] = fields[1]
        expected = {name: synset for _, name, synset in CATEGORY_TABLE}
        if found != expected:
            wrong = sorted(set(found.items()) ^ set(expected.items()))
            raise utils.CorruptDatasetFileError(
                NAME, path, f"categories differ from the release's 16 (Airplane 02691156 ... Table 04379243): "
                f"{', '.join(f'{n} {s}' for n, s in wrong[:6])}")
        return {synset: category for category, _, synset in CATEGORY_TABLE}

    @staticmethod
    def _read_split_list(path, synsets):
        """[(synset, id)] of a shuffled_*_file_list.json (entries 'shape_data/<synset>/<id>')."""
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise utils.CorruptDatasetFileError(NAME, path, f"not valid JSON: {error}") from error
        if not isinstance(entries, list) or not entries:
            raise utils.CorruptDatasetFileError(NAME, path, "expected a non-empty JSON list of "
                                                "'shape_data/<synset>/<id>' strings")
        shapes = []
        for index, entry in enumerate(entries):
            parts = entry.split("/") if isinstance(entry, str) else []
            if len(parts) < 2 or parts[-2] not in synsets or not parts[-1]:
                raise utils.CorruptDatasetFileError(NAME, path, f"entry {index} is {entry!r}, expected "
                                                    "'shape_data/<synset>/<id>' with one of the 16 synsets")
            shapes.append((parts[-2], parts[-1]))
        return shapes

    def _generate_examples(self, base, shapes, synsets):
        ranges = part_ranges()
        for synset, shape_id in shapes:
            path = base / synset / f"{shape_id}.txt"
            category = synsets[synset]
            values = utils.read_text_table(path, COLUMNS, builder=NAME)
            parts = values[:, 6]
            if not np.all(parts == np.round(parts)):
                raise utils.CorruptDatasetFileError(NAME, path, "part column (7th) holds non-integer values")
            parts = parts.astype(np.int64)
            low, high = ranges[category]
            if parts.min() < low or parts.max() >= high:
                bad = parts[(parts < low) | (parts >= high)][0]
                raise utils.CorruptDatasetFileError(
                    NAME, path, f"part id {bad} is not a {category} part ({category}: ids {low}-{high - 1})")
            key = f"{synset}/{shape_id}"
            keep = fixed_count_indices(len(values), key)
            yield key, {
                "points": np.ascontiguousarray(values[keep, :3]),
                "normals": np.ascontiguousarray(values[keep, 3:6]),
                "parts": parts[keep],
                "label": category,
                "name": key,
                "num_points_original": len(values),
            }
