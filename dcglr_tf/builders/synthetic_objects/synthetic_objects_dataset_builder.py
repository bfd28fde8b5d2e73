"""synthetic_objects: procedurally generated man-made objects with a part label on every point.

The embedded corpus of dcglr_tf: no download, generated with NumPy from fixed seeds inside the builder. Each of the
40 ModelNet40 categories is assembled from parts (boxes, tubes, surfaces of revolution, lofted and extruded
sections, thin panels, slats) with varied part counts, proportions and styles, so that confusable categories
overlap in overall shape and differ in structure, as real CAD models do. Objects stand upright (y up) and are
built facing -z (an airplane's nose, a chair's seat edge, a screen), left-right symmetric about x = 0; each is
then stretched per axis (`STRETCH`) and posed like ModelNet40's aligned release: 30 % turned by +-90 degrees
about y, all with a few degrees of yaw jitter (`pose_angle`). 2048 points per object are
sampled area-uniformly on the triangle meshes (so they come in random order and the first n are a uniform
subset), then centred and scaled into the unit sphere; each point keeps its face's unit normal (pointing out of
the part) and its part label. Part ids are global over all categories (ShapeNetPart convention): category c's parts
are `PART_OFFSETS[c] .. PART_OFFSETS[c] + len(PART_NAMES[c]) - 1`, consecutive in `CATEGORIES` order.
"""

import concurrent.futures

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils
from dcglr_tf.builders import _meshes as meshes
from dcglr_tf.builders.synthetic_objects import devices, fixtures, furniture, household, people, storage, vehicles

_MODELS = {}
for _module in (furniture, storage, household, fixtures, devices, vehicles, people):
    _MODELS.update(_module.MODELS)

NUM_POINTS = 2048
CATEGORIES = sorted(_MODELS)
PART_NAMES = {name: list(_MODELS[name][0]) for name in CATEGORIES}
PART_OFFSETS = {name: int(offset) for name, offset in
                zip(CATEGORIES, np.cumsum([0] + [len(PART_NAMES[n]) for n in CATEGORIES])[:-1])}
NUM_PARTS = sum(len(parts) for parts in PART_NAMES.values())
TRAIN_PER_CATEGORY = 300
TEST_PER_CATEGORY = 75
TURNED = 0.3  # share of objects turned by +-90 degrees about y
YAW_JITTER_DEG = 3.0
STRETCH = 0.15  # standard deviation of the log scale factor per axis
# Disjoint seed streams per split: the per-example seed is (split seed, category index, example index).
SPLIT_SEEDS = {"train": 20250101, "test": 20250202}


FPS_ORDERED = 1024  # the first FPS_ORDERED stored points of an object are in farthest-point order

def part_ids(category: str) -> range:
    """The global part ids of `category`: PART_OFFSETS[category] + 0 .. len(PART_NAMES[category]) - 1."""
    return range(PART_OFFSETS[category], PART_OFFSETS[category] + len(PART_NAMES[category]))


def object_parts(category_index: int, rng: np.random.Generator):
    """The part meshes of one object of `CATEGORIES[category_index]`: [(mesh, global part id), ...]."""
    name = CATEGORIES[category_index]
    global_id = {part: i + PART_OFFSETS[name] for i, part in enumerate(PART_NAMES[name])}
    return [(mesh, global_id[part]) for mesh, part in _MODELS[name][1](rng)]


def pose_angle(rng: np.random.Generator) -> float:
    """Yaw (radians, about +y) of one object, as ModelNet40's aligned release poses its shapes.

    Most objects face -z; a share `TURNED` (measured on the 726 real airplanes: 227 lie along x) is turned by
    +-90 degrees; every object gets a small jitter of `YAW_JITTER_DEG` (standard deviation).
    """
    turn = rng.choice([-0.5 * np.pi, 0.5 * np.pi]) if rng.random() < TURNED else 0.0
    return float(turn + np.deg2rad(rng.normal(0.0, YAW_JITTER_DEG)))


def stretch_factors(rng: np.random.Generator) -> np.ndarray:
    """(3,) scale factors of one object along x, y, z, log-normal with standard deviation `STRETCH`: every
    category's proportions vary beyond what its maker draws (a wider chair, a taller cabinet)."""
    return np.exp(rng.normal(0.0, STRETCH, 3))


def build_mesh(category_index: int, rng: np.random.Generator):
    """The mesh of one object, stretched (`stretch_factors`) and posed (`pose_angle`): (vertices (V, 3),
    faces (F, 3), global part id per face (F,))."""
    vertices, faces, face_parts = meshes.assemble(object_parts(category_index, rng))
    vertices = vertices * stretch_factors(rng)
    return meshes.rotate_y(vertices, pose_angle(rng)), faces, face_parts


def sample_object(category_index: int, rng: np.random.Generator, num_points: int = NUM_POINTS):
    """One object of `CATEGORIES[category_index]` before normalisation: points (num_points, 3) float64 in metres,
    unit normals (num_points, 3) float32, global part ids (num_points,) int32; points in random (sampling) order."""
    vertices, faces, face_parts = build_mesh(category_index, rng)
    points, normals, face = utils.sample_triangles(vertices, faces, num_points, rng, return_faces=True)
    return points, normals.astype(np.float32), face_parts[face]


def generate_object(category_index: int, rng: np.random.Generator, num_points: int = NUM_POINTS):
    """`sample_object` with the points centred and scaled into the unit sphere (float32)."""
    points, normals, parts = sample_object(category_index, rng, num_points)
    return utils.normalize_unit_sphere(points), normals, parts


def generate_split(split: str, per_category: int = None, num_points: int = NUM_POINTS, chunk: int = 50):
    """Yield (key, points, normals, parts, label) of a split, deterministic: seed = (split seed, category, index).
    Points are stored in farthest-point order, like the modelnet40_normal_resampled files (`farthest_point_order`):
    the first N <= FPS_ORDERED points of an object are its FPS selection of N.

    Objects are normalised and ordered `chunk` at a time (one call of the library's ops per chunk: the per-call
    overhead dominates the cost of a single cloud), in a second thread while this one builds the next chunk's
    meshes (TensorFlow's ops release the GIL, so the two run on two cores; half the time on 2 cores).
    """
    if per_category is None:
        per_category = TRAIN_PER_CATEGORY if split == "train" else TEST_PER_CATEGORY

    def sampled_chunks():  # (label, indices, [(points, normals, parts)]) in key order
        for label in range(len(CATEGORIES)):
            for start in range(0, per_category, chunk):
                indices = range(start, min(start + chunk, per_category))
                yield label, indices, [sample_object(label, np.random.default_rng([SPLIT_SEEDS[split], label, i]),
                                                     num_points) for i in indices]

    def finished(label, indices, objects):  # normalised, in farthest-point order
        points = utils.normalize_unit_sphere(np.stack([points for points, _, _ in objects]))
        orders = utils.farthest_point_order(points, FPS_ORDERED)
        return [(f"{CATEGORIES[label]}_{i:04d}", cloud[order], normals[order], parts[order], label)
                for i, cloud, order, (_, normals, parts) in zip(indices, points, orders, objects)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ordering:
        pending = None
        for sampled in sampled_chunks():
            submitted = ordering.submit(finished, *sampled)
            if pending is not None:
                yield from pending.result()
            pending = submitted
        if pending is not None:
            yield from pending.result()


class Builder(tfds.core.GeneratorBasedBuilder):
    """Procedural man-made objects with per-point normals and part labels (embedded corpus)."""

    VERSION = tfds.core.Version("2.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: 31 man-made object categories assembled from 107 labelled parts, 500 train / "
                  "100 test objects per category, 2048 points with normals and global part ids.",
        "2.0.0": "The 40 ModelNet40 categories (140 parts); wider proportions and more styles per category so that "
                  "confusable categories overlap in overall shape; ModelNet40-like pose (30 % turned by +-90 "
                  "degrees about y, a few degrees of yaw jitter); 300 train / 75 test objects per category.",
        "2.1.0": "Points of each object stored in farthest-point order (from a random first point), as in the "
                  "modelnet40_normal_resampled files: the first N <= 1024 points are the object's FPS selection of N.",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            # Normals and part ids are zlib-compressed (normals of flat faces repeat: 24 KiB -> ~3 KiB per object;
            # part ids ~14x); points barely compress (1.2x for 2 ms per object) and stay raw bytes.
            features=tfds.features.FeaturesDict({
                "points": utils.xyz_feature(NUM_POINTS, doc="x, y, z in the unit sphere, y up, front towards -z"),
                "normals": tfds.features.Tensor(shape=(NUM_POINTS, 3), dtype=np.float32,
                                                encoding=tfds.features.Encoding.ZLIB,
                                                doc="unit normal of the sampled face, out of the part"),
                "parts": tfds.features.Tensor(shape=(NUM_POINTS,), dtype=np.int32,
                                              encoding=tfds.features.Encoding.ZLIB,
                                              doc="global part id (see PART_NAMES / PART_OFFSETS)"),
                "label": tfds.features.ClassLabel(names=CATEGORIES),
            }),
            supervised_keys=("points", "label"),
            homepage="https://github.com/dcglr-tf/dcglr_tf",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        for key, points, normals, parts, label in generate_split(split):
            yield key, {"points": points, "normals": normals, "parts": parts, "label": label}
