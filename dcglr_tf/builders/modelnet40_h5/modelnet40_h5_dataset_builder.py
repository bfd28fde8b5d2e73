"""modelnet40_h5: ModelNet40 as released with PointNet (`modelnet40_ply_hdf5_2048`), 2048 points per shape.

Reads the user's copy of the archive from TFDS's manual directory (the original link is often offline):
`ply_data_train{0..4}.h5` / `ply_data_test{0,1}.h5` with `data` [n, 2048, 3] float32 and `label` [n, 1], listed by
`train_files.txt` / `test_files.txt`, and `shape_names.txt` with the 40 class names. Points are stored as
published (already centred and scaled into the unit sphere by the release). 9,840 train / 2,468 test shapes.
"""

import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

NAME = "modelnet40_h5"
NUM_POINTS = 2048
CLASS_NAMES = utils.MODELNET40_CLASS_NAMES
LIST_FILES = {"train": "train_files.txt", "test": "test_files.txt"}
EXPECTED_FILES = [
    "shape_names.txt", "train_files.txt", "test_files.txt",
    "ply_data_train0.h5 ... ply_data_train4.h5 (as listed in train_files.txt)",
    "ply_data_test0.h5, ply_data_test1.h5 (as listed in test_files.txt)",
]
CHUNK = 256  # clouds read from HDF5 at a time


class Builder(tfds.core.GeneratorBasedBuilder):
    """ModelNet40 (PointNet HDF5 release, 2048 points), from the user's files."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: train/test of modelnet40_ply_hdf5_2048, xyz only."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Put the extracted archive `modelnet40_ply_hdf5_2048` (PointNet, Qi et al. 2017) into the manual directory
(`--manual_dir`, TFDS default `<data_dir>/downloads/manual`), either its files directly or the folder
`modelnet40_ply_hdf5_2048/` itself. Expected: shape_names.txt, train_files.txt, test_files.txt and the
ply_data_*.h5 files they list (ply_data_train0..4.h5, ply_data_test0..1.h5). The archive was distributed as
https://shapenet.cs.stanford.edu/media/modelnet40_ply_hdf5_2048.zip (frequently offline); users usually take
it from a mirror of that file name or from a colleague's copy.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        return utils.classification_info(self, num_points=NUM_POINTS, class_names=CLASS_NAMES,
                                         homepage="https://modelnet.cs.princeton.edu/", description=__doc__)

    def _split_generators(self, dl_manager):
        root = utils.manual_dir_of(dl_manager, NAME, EXPECTED_FILES, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        find = lambda name: utils.find_file(root, name, builder=NAME, expected=EXPECTED_FILES,
                                            instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        utils.check_class_names(find("shape_names.txt"), CLASS_NAMES, builder=NAME)
        splits = {}
        for split, list_name in LIST_FILES.items():
            list_path = find(list_name)
            entries = utils.read_list_file(list_path)
            if not entries:
                raise utils.CorruptDatasetFileError(NAME, list_path, "lists no .h5 files")
            # Lines carry the archive's folder (`data/modelnet40_ply_hdf5_2048/ply_data_train0.h5`): by name.
            splits[split] = self._generate_examples([find(entry) for entry in entries])
        return splits

    def _generate_examples(self, files):
        for path in files:
            for row, points, label in utils.h5_labelled_clouds(path, builder=NAME, num_points=NUM_POINTS,
                                                               num_classes=len(CLASS_NAMES), chunk=CHUNK):
                yield f"{path.stem}_{row:05d}", {"points": points, "label": label}
