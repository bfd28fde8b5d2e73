"""modelnet40_cad: ModelNet40 from its CAD-derived releases, 2048 points per shape (+ normals).

Two sources, chosen by the builder config:
- `resampled_*` (`modelnet40_normal_resampled`, PointNet++): `<class>/<class>_<id>.txt` with 10,000 lines
  `x,y,z,nx,ny,nz`, `modelnet40_shape_names.txt`, `modelnet40_train.txt` / `modelnet40_test.txt` (ids such as
  `airplane_0001`; 9,843 / 2,468). `resampled_first2048` keeps the first 2048 points of each file (as PointNet++
  does); `resampled_fps2048` picks 2048 by farthest point sampling from the first point. Points as published.
  A listed id whose file is missing, or an id listed twice, is skipped, not fatal: one warning line on stderr
  and every one in `skipped_shapes.txt` beside the prepared data; the test list is read first, so the test
  split stays as published and a shape listed in both lists is never in both splits.
- `off_fps2048` (raw ModelNet40, Princeton): `ModelNet40/<class>/{train,test}/<class>_<id>.off` meshes;
  10,000 points are sampled uniformly on the surface (area-weighted, seeded by the file's id), 2048 are kept by
  farthest point sampling, rotated from the meshes' z-up to the y-up of the other releases ((x, y, z) ->
  (x, z, -y)), then centred and scaled into the unit sphere (CAD units are arbitrary); normals are the sampled
  faces' normals.

Points are stored in selection order, so the first 1024 of an FPS config are the FPS selection of 1024 points
and the first 1024 of `resampled_first2048` are PointNet++'s first 1024.
"""

import dataclasses
import pathlib

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils
from dcglr_tf.data import readers

NAME = "modelnet40_cad"
CLASS_NAMES = utils.MODELNET40_CLASS_NAMES
RESAMPLED_LISTS = {"train": "modelnet40_train.txt", "test": "modelnet40_test.txt"}
RESAMPLED_READ_ORDER = ("test", "train")  # a shape listed twice is kept at its first listing in this order
EXPECTED_RESAMPLED = [
    "modelnet40_shape_names.txt", "modelnet40_train.txt", "modelnet40_test.txt",
    "<class>/<class>_<id>.txt for every id listed (e.g. airplane/airplane_0001.txt), lines 'x,y,z,nx,ny,nz'",
]
EXPECTED_OFF = [
    "ModelNet40/<class>/train/<class>_<id>.off and ModelNet40/<class>/test/<class>_<id>.off for each of the 40 "
    "classes (" + ", ".join(CLASS_NAMES) + ")",
]
OFF_SURFACE_SAMPLES = 10000  # points sampled on each mesh before FPS
Z_UP_TO_Y_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])  # rotation by -90 deg about x


@dataclasses.dataclass
class CadConfig(tfds.core.BuilderConfig):
    """Which release to read and how to select the stored points."""

    source: str = "resampled"  # "resampled" (modelnet40_normal_resampled txt) | "off" (raw ModelNet40 meshes)
    selection: str = "first"  # "first" (first N lines) | "fps" (farthest point sampling)
    num_points: int = 2048


def read_resampled_txt(path: pathlib.Path, *, builder: str = NAME) -> np.ndarray:
    """A modelnet40_normal_resampled file as (n, 6) float32; errors name the file and the line."""
    return utils.read_text_table(path, ("x", "y", "z", "nx", "ny", "nz"), builder=builder, delimiter=",")


def sample_off_mesh(path: pathlib.Path, seed_key: str, num_points: int):
    """A raw ModelNet OFF mesh -> (points (num_points, 3) float32, normals (num_points, 3)) as `off_fps2048`
    stores it: OFF_SURFACE_SAMPLES area-weighted surface samples (the generator seeded by the CRC-32 of
    `seed_key`; the builder uses "<split>/<shape id>"), farthest point sampling to `num_points` in selection
    order, rotated from z-up to y-up, points centred and scaled into the unit sphere. The mesh is read by
    `dcglr_tf.data.readers.read_shape` (trimesh); errors name the file."""
    try:
        mesh = readers.read_shape(path)
    except readers.UnreadableFile as error:
        raise utils.CorruptDatasetFileError(NAME, path, error.reason) from error
    rng = np.random.default_rng(readers.seed_of(seed_key))
    samples, sample_normals = utils.sample_triangles(mesh.points, mesh.faces, OFF_SURFACE_SAMPLES, rng)
    keep = utils.farthest_point_indices(samples, num_points)
    # Raw ModelNet meshes are z-up; the other releases (and dcglr_tf) are y-up: (x, y, z) -> (x, z, -y).
    points = utils.normalize_unit_sphere(samples[keep] @ Z_UP_TO_Y_UP.T)
    return points, sample_normals[keep] @ Z_UP_TO_Y_UP.T


class Builder(tfds.core.GeneratorBasedBuilder):
    """ModelNet40 from modelnet40_normal_resampled txt files or raw OFF meshes, from the user's files."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: normal_resampled (first-N or FPS) and OFF-mesh sampling configs."}
    BUILDER_CONFIGS = [
        CadConfig(name="resampled_first2048", source="resampled", selection="first", num_points=2048,
                  description="modelnet40_normal_resampled, first 2048 points of each file (PointNet++)."),
        CadConfig(name="resampled_fps2048", source="resampled", selection="fps", num_points=2048,
                  description="modelnet40_normal_resampled, 2048 points by farthest point sampling."),
        CadConfig(name="off_fps2048", source="off", selection="fps", num_points=2048,
                  description="raw ModelNet40 OFF meshes: 10,000 area-weighted surface samples, FPS to 2048."),
    ]
    DEFAULT_CONFIG_NAME = "resampled_first2048"
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Configs `resampled_*`: put the extracted `modelnet40_normal_resampled` folder (PointNet++, Qi et al. 2017;
distributed as https://shapenet.cs.stanford.edu/media/modelnet40_normal_resampled.zip, frequently offline,
users take it from mirrors of that file name) into the manual directory: modelnet40_shape_names.txt,
modelnet40_train.txt, modelnet40_test.txt and the 40 class folders `<class>/<class>_<id>.txt`.
Config `off_fps2048`: put the extracted Princeton ModelNet40 archive (ModelNet40.zip from
https://modelnet.cs.princeton.edu/) into the manual directory, so that it holds
`ModelNet40/<class>/{train,test}/<class>_<id>.off`.
The manual directory is `--manual_dir` (TFDS default `<data_dir>/downloads/manual`).
"""

    def _info(self) -> tfds.core.DatasetInfo:
        n = self.builder_config.num_points
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "points": utils.xyz_feature(n),
                "normals": utils.xyz_feature(n),
                "label": tfds.features.ClassLabel(names=CLASS_NAMES),
                "name": tfds.features.Text(doc="shape id, e.g. airplane_0001"),
            }),
            supervised_keys=("points", "label"),
            homepage="https://modelnet.cs.princeton.edu/",
        )

    def _split_generators(self, dl_manager):
        config = self.builder_config
        expected = EXPECTED_RESAMPLED if config.source == "resampled" else EXPECTED_OFF
        root = utils.manual_dir_of(dl_manager, NAME, expected, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        if config.source == "resampled":
            items = self._resampled_items(root)
        else:
            items = self._off_items(root)
        return {split: self._generate_examples(split, entries) for split, entries in items.items()}

    # ------------------------------------------------------------------------------------------------------
    def _missing(self, root, expected, detail):
        return utils.DatasetFilesMissingError(NAME, root, expected, self.MANUAL_DOWNLOAD_INSTRUCTIONS,
                                              detail=detail)

    def _resampled_items(self, root):
        find = lambda name: utils.find_file(root, name, builder=NAME, expected=EXPECTED_RESAMPLED,
                                            instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        names_path = find("modelnet40_shape_names.txt")
        utils.check_class_names(names_path, CLASS_NAMES, builder=NAME)
        base = names_path.parent
        list_paths = {split: find(RESAMPLED_LISTS[split]) for split in RESAMPLED_READ_ORDER}
        listed = {}
        for split, list_path in list_paths.items():
            listed[split] = []
            for line_number, shape_id in enumerate(utils.read_list_file(list_path), start=1):
                cls = shape_id.rsplit("_", 1)[0]
                if cls not in CLASS_NAMES:
                    raise utils.CorruptDatasetFileError(
                        NAME, list_path, f"line {line_number}: id {shape_id!r} does not start with a class name")
                listed[split].append((shape_id, CLASS_NAMES.index(cls), base / cls / f"{shape_id}.txt"))
            if not listed[split]:
                raise utils.CorruptDatasetFileError(NAME, list_path, "lists no shapes")
        items, skipped = utils.drop_missing_and_repeated(listed, lambda entry: entry[2])
        for split, entries in items.items():
            if not entries:
                raise self._missing(base, EXPECTED_RESAMPLED, f"none of the {len(listed[split])} shape files listed "
                                    f"in {RESAMPLED_LISTS[split]} found (e.g. {listed[split][0][2].relative_to(base)})")
        if skipped:
            utils.report_skipped(self, [(reason, RESAMPLED_LISTS[split], str(path.relative_to(base)))
                                        for reason, split, (_, _, path) in skipped])
        return {split: items[split] for split in RESAMPLED_LISTS}

    def _off_items(self, root):
        candidates = [root, root / "ModelNet40"] + sorted(p for p in root.rglob("ModelNet40") if p.is_dir())
        base = next((c for c in candidates if (c / CLASS_NAMES[0]).is_dir()), None)
        if base is None:
            raise self._missing(root, EXPECTED_OFF, "no ModelNet40 folder with class folders found")
        absent = [c for c in CLASS_NAMES if not (base / c).is_dir()]
        if absent:
            raise self._missing(base, EXPECTED_OFF, f"class folders missing in {base}: {', '.join(absent)}")
        items = {}
        for split in ("train", "test"):
            entries = []
            for label, cls in enumerate(CLASS_NAMES):
                for path in sorted((base / cls / split).glob("*.off")):
                    entries.append((path.stem, label, path))
            if not entries:
                raise self._missing(base, EXPECTED_OFF, f"no .off files in any <class>/{split}/ folder")
            items[split] = entries
        return items

    # ------------------------------------------------------------------------------------------------------
    def _generate_examples(self, split, entries):
        config = self.builder_config
        n = config.num_points
        for shape_id, label, path in entries:
            if config.source == "resampled":
                values = read_resampled_txt(path)
                if len(values) < n:
                    raise utils.CorruptDatasetFileError(NAME, path, f"has {len(values)} points, fewer than the "
                                                        f"{n} this config keeps")
                if config.selection == "fps":
                    values = values[utils.farthest_point_indices(values[:, :3], n)]
                points, normals = values[:n, :3], values[:n, 3:]
            else:
                points, normals = sample_off_mesh(path, f"{split}/{shape_id}", n)
            yield shape_id, {
                "points": np.ascontiguousarray(points, dtype=np.float32),
                "normals": np.ascontiguousarray(normals, dtype=np.float32),
                "label": label,
                "name": shape_id,
            }
