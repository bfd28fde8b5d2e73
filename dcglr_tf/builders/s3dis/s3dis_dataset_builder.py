"""s3dis: S3DIS semantic segmentation as released with PointNet (`indoor3d_sem_seg_hdf5_data`).

`ply_data_all_{0..23}.h5` (listed by `all_files.txt`) hold 23,585 blocks of 1 m x 1 m, each 4096 points with 9
columns (`data` [n, 4096, 9] float32: x, y relative to the block centre and z; r, g, b in [0, 1]; x, y, z
normalised by the room's extent) and per-point labels (`label` [n, 4096], 13 classes). `room_filelist.txt` names
the room of every block, in file order (`Area_5_office_12`). One split per area (`area1` ... `area6`); the
usual protocol trains on one of Areas 1-5 and tests on Area 6.

Per example: `points` = the first 3 columns (what the model sees), `features` = the other 6 columns (kept, not fed
to the model by default), `labels` per point (int64 in [0, 13), names in `CLASS_NAMES` and the dataset's
metadata), `room`.
"""

import re

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

NAME = "s3dis"
NUM_POINTS = 4096
NUM_COLUMNS = 9
CLASS_NAMES = utils.S3DIS_CLASS_NAMES
AREAS = tuple(range(1, 7))
EXPECTED_FILES = [
    "all_files.txt", "room_filelist.txt",
    "ply_data_all_0.h5 ... ply_data_all_23.h5 (as listed in all_files.txt)",
]
ROOM_PATTERN = re.compile(r"^Area_([1-6])_\S+$")
CHUNK = 128  # blocks read from HDF5 at a time (128 x 4096 x 9 float32 = 19 MB)


class Builder(tfds.core.GeneratorBasedBuilder):
    """S3DIS 1 m blocks of 4096 points (PointNet HDF5 release), one split per area, from the user's files."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: splits area1..area6 of indoor3d_sem_seg_hdf5_data."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Put the extracted archive `indoor3d_sem_seg_hdf5_data` (PointNet semantic segmentation, Qi et al. 2017) into the
manual directory (`--manual_dir`, TFDS default `<data_dir>/downloads/manual`): all_files.txt, room_filelist.txt
and ply_data_all_0.h5 ... ply_data_all_23.h5. It was distributed as
https://shapenet.cs.stanford.edu/media/indoor3d_sem_seg_hdf5_data.zip (frequently offline); users take it from a
mirror of that file name, or regenerate it from Stanford3dDataset_v1.2_Aligned_Version (http://buildingparser.
stanford.edu/, registration required) with PointNet's sem_seg/collect_indoor3d_data.py and gen_indoor3d_h5.py.
"""

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=utils.segmentation_features(NUM_POINTS),
            metadata=tfds.core.MetadataDict(class_names=CLASS_NAMES),
            homepage="http://buildingparser.stanford.edu/dataset.html",
        )

    def _split_generators(self, dl_manager):
        root = utils.manual_dir_of(dl_manager, NAME, EXPECTED_FILES, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        find = lambda name: utils.find_file(root, name, builder=NAME, expected=EXPECTED_FILES,
                                            instructions=self.MANUAL_DOWNLOAD_INSTRUCTIONS)
        list_path = find("all_files.txt")
        files = [find(entry) for entry in utils.read_list_file(list_path)]
        if not files:
            raise utils.CorruptDatasetFileError(NAME, list_path, "lists no .h5 files")
        rooms_path = find("room_filelist.txt")
        rooms = utils.read_list_file(rooms_path)
        areas = []
        for line_number, room in enumerate(rooms, start=1):
            match = ROOM_PATTERN.match(room)
            if not match:
                raise utils.CorruptDatasetFileError(NAME, rooms_path, f"line {line_number} is {room!r}, expected "
                                                    "'Area_<1-6>_<room>'")
            areas.append(int(match.group(1)))
        areas = np.array(areas)
        # Block counts per file (metadata only), checked against the room list.
        offsets, start = [], 0
        for path in files:
            with utils.open_h5(path, builder=NAME) as handle:
                n = self._check_shapes(handle, path)
            offsets.append((path, start, n))
            start += n
        if start != len(rooms):
            raise utils.CorruptDatasetFileError(
                NAME, rooms_path, f"has {len(rooms)} block lines but the .h5 files listed in all_files.txt hold "
                f"{start} blocks (one line per block, in file order)")
        splits = {}
        for area in AREAS:
            if not np.any(areas == area):
                raise utils.CorruptDatasetFileError(NAME, rooms_path, f"no block of Area_{area}")
            plan = []
            for path, first, n in offsets:
                rows = np.nonzero(areas[first:first + n] == area)[0]
                if rows.size:
                    plan.append((path, rows, [rooms[first + r] for r in rows]))
            splits[f"area{area}"] = self._generate_examples(plan)
        return splits

    @staticmethod
    def _check_shapes(handle, path):
        data = utils.h5_array(handle, "data", builder=NAME, path=path, ndim=3)
        label = utils.h5_array(handle, "label", builder=NAME, path=path, ndim=2)
        n = data.shape[0]
        if data.shape[1:] != (NUM_POINTS, NUM_COLUMNS):
            raise utils.CorruptDatasetFileError(NAME, path, f"'data' has shape {data.shape}, expected "
                                                f"(n, {NUM_POINTS}, {NUM_COLUMNS})")
        if label.shape != (n, NUM_POINTS):
            raise utils.CorruptDatasetFileError(NAME, path, f"'label' has shape {label.shape}, expected "
                                                f"({n}, {NUM_POINTS}) to match 'data'")
        return n

    def _generate_examples(self, plan):
        for path, rows, room_names in plan:
            with utils.open_h5(path, builder=NAME) as handle:
                data, label = handle["data"], handle["label"]
                for c in range(0, len(rows), CHUNK):
                    part = rows[c:c + CHUNK]
                    lo, hi = int(part[0]), int(part[-1]) + 1  # rows of one area are (nearly) contiguous
                    block = utils.read_h5_rows(data, lo, hi, builder=NAME, path=path, key="data")[part - lo]
                    labels = utils.read_h5_rows(label, lo, hi, builder=NAME, path=path, key="label")[part - lo]
                    utils.check_points(block, builder=NAME, path=path, what=f"'data' (blocks from {lo})")
                    utils.check_labels(labels, len(CLASS_NAMES), builder=NAME, path=path,
                                       what=f"'label' (blocks from {lo})")
                    block = block.astype(np.float32)
                    labels = labels.astype(np.int64)
                    for i, row in enumerate(part):
                        yield f"{path.stem}_{int(row):05d}", {
                            "points": np.ascontiguousarray(block[i, :, :3]),
                            "features": np.ascontiguousarray(block[i, :, 3:]),
                            "labels": labels[i],
                            "room": room_names[c + i],
                        }
