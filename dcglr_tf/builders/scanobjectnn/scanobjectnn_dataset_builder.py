"""scanobjectnn: ScanObjectNN (Uy et al., ICCV 2019), real scanned indoor objects in 15 classes, 2048 points each.

Reads the user's copy of the authors' `h5_files` release from TFDS's manual directory. One builder, three configs,
the three variants papers report:

| config (`--dataset`) | files | train / test |
| --- | --- | --- |
| `pb_t50_rs` (`scanobjectnn`) | `main_split/{training,test}_objectdataset_augmentedrot_scale75.h5` | 11,416 / 2,882 |
| `obj_bg` (`scanobjectnn_obj_bg`) | `main_split/{training,test}_objectdataset.h5` | 2,309 / 581 |
| `obj_only` (`scanobjectnn_obj_only`) | `main_split_nobg/{training,test}_objectdataset.h5` | 2,309 / 581 |

Each file holds `data` [n, 2048, 3] float32, `label` [n] (integer class) and `mask` [n, 2048] (the per-point
background mask used by the authors' BGA models; not read). `main_split/` and `main_split_nobg/` hold files of the
same names, so files are looked up inside their folder. Points are stored as published (the pipeline centres and
scales every cloud).
"""

import dataclasses

import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

NAME = "scanobjectnn"
NUM_POINTS = 2048
# Class order of the release (label k is CLASS_NAMES[k]), as in the authors' code.
CLASS_NAMES = ["bag", "bin", "box", "cabinet", "chair", "desk", "display", "door", "shelf", "table", "bed", "pillow",
               "sink", "sofa", "toilet"]
SPLIT_PREFIXES = {"train": "training", "test": "test"}
CHUNK = 256  # clouds read from HDF5 at a time


@dataclasses.dataclass
class ScanObjectNNConfig(tfds.core.BuilderConfig):
    """One variant: the folder of `h5_files/` and the file-name suffix after `training` / `test`."""

    folder: str = "main_split"
    suffix: str = "_objectdataset_augmentedrot_scale75.h5"

    def file_names(self):
        """{split: file name} of this variant."""
        return {split: prefix + self.suffix for split, prefix in SPLIT_PREFIXES.items()}

    def expected_files(self):
        return [f"h5_files/{self.folder}/{name}" for name in self.file_names().values()]


VARIANTS = {
    "pb_t50_rs": ScanObjectNNConfig(
        name="pb_t50_rs", folder="main_split", suffix="_objectdataset_augmentedrot_scale75.h5",
        description="PB_T50_RS, the hardest variant: bounding boxes perturbed by up to 50 % with rotation and "
                    "scaling, background included (main_split/*_objectdataset_augmentedrot_scale75.h5)."),
    "obj_bg": ScanObjectNNConfig(
        name="obj_bg", folder="main_split", suffix="_objectdataset.h5",
        description="OBJ_BG: objects with their background points (main_split/*_objectdataset.h5)."),
    "obj_only": ScanObjectNNConfig(
        name="obj_only", folder="main_split_nobg", suffix="_objectdataset.h5",
        description="OBJ_ONLY: objects without background (main_split_nobg/*_objectdataset.h5)."),
}


class Builder(tfds.core.GeneratorBasedBuilder):
    """ScanObjectNN (15 classes, 2048 points), three variants, from the user's h5_files."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: PB_T50_RS, OBJ_BG and OBJ_ONLY of the h5_files release, xyz only."}
    BUILDER_CONFIGS = list(VARIANTS.values())
    DEFAULT_CONFIG_NAME = "pb_t50_rs"
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Put the extracted ScanObjectNN archive `h5_files` (Uy et al. 2019; the authors hand out the download link after
agreeing to the terms of use at https://hkust-vgd.github.io/scanobjectnn/) into the manual directory
(`--manual_dir`, TFDS default `<data_dir>/downloads/manual`): `--manual_dir` may be the `h5_files` folder itself or
the folder that holds it. Expected inside `h5_files/`:
  main_split/training_objectdataset_augmentedrot_scale75.h5, main_split/test_objectdataset_augmentedrot_scale75.h5
    (PB_T50_RS, --dataset=scanobjectnn)
  main_split/training_objectdataset.h5, main_split/test_objectdataset.h5 (OBJ_BG, --dataset=scanobjectnn_obj_bg)
  main_split_nobg/training_objectdataset.h5, main_split_nobg/test_objectdataset.h5
    (OBJ_ONLY, --dataset=scanobjectnn_obj_only)
Each variant needs only its own two files.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        return utils.classification_info(self, num_points=NUM_POINTS, class_names=CLASS_NAMES,
                                         homepage="https://hkust-vgd.github.io/scanobjectnn/", description=__doc__)

    def _split_generators(self, dl_manager):
        config = self.builder_config
        expected = config.expected_files()
        root = utils.manual_dir_of(dl_manager, NAME, expected, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        folder = utils.find_folder(root, config.folder, builder=NAME, expected=expected,
                                   instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        splits = {}
        for split, name in config.file_names().items():
            path = folder / name
            if not path.is_file():
                raise utils.DatasetFilesMissingError(NAME, root, expected, self.MANUAL_DOWNLOAD_INSTRUCTIONS,
                                                     detail=f"file '{config.folder}/{name}' not found in {folder}")
            splits[split] = self._generate_examples(path)
        return splits

    def _generate_examples(self, path):
        for row, points, label in utils.h5_labelled_clouds(path, builder=NAME, num_points=NUM_POINTS,
                                                           num_classes=len(CLASS_NAMES), chunk=CHUNK):
            yield f"{row:05d}", {"points": points, "label": label}
