"""synthetic_objects: procedural man-made objects with normals and part labels; the shared mesh primitives."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
import tensorflow as tf

from dcglr_tf.builders import _builder_utils as utils
from dcglr_tf.builders import _meshes as meshes
from dcglr_tf.builders.synthetic_objects import common
from dcglr_tf.builders.synthetic_objects import synthetic_objects_dataset_builder as objects
from dcglr_tf.data import sources
from dcglr_tf.ops.points import farthest_point_sample

CATEGORIES = objects.CATEGORIES


def _objects(seed, count=3, num_points=2048):
    """{category index: [(points, normals, parts), ...]} for `count` seeds per category."""
    return {c: [objects.generate_object(c, np.random.default_rng([seed, c, i]), num_points) for i in range(count)]
            for c in range(len(CATEGORIES))}


@pytest.fixture(scope="module")
def clouds():
    return _objects(seed=11)


def test_categories_parts_and_the_sources_entry_agree():
    assert CATEGORIES == sorted(utils.MODELNET40_CLASS_NAMES)  # the 40 ModelNet40 classes, by their names
    assert list(objects.PART_NAMES) == CATEGORIES
    expected_offset = 0
    for name in CATEGORIES:
        assert 2 <= len(objects.PART_NAMES[name]) <= 6
        assert len(set(objects.PART_NAMES[name])) == len(objects.PART_NAMES[name])
        assert objects.PART_OFFSETS[name] == expected_offset  # consecutive, in CATEGORIES order
        count = len(objects.PART_NAMES[name])
        assert list(objects.part_ids(name)) == list(range(expected_offset, expected_offset + count))
        expected_offset += len(objects.PART_NAMES[name])
    assert objects.NUM_PARTS == expected_offset
    info = sources.DATASETS["synthetic_objects"]
    assert (info.num_classes, info.num_parts, info.num_points) == (len(CATEGORIES), objects.NUM_PARTS, 2048)
    assert info.kind == "classification" and info.has_labels and info.embedded
    assert objects.TRAIN_PER_CATEGORY * len(CATEGORIES) >= 10_000 and objects.TEST_PER_CATEGORY == 75


def test_objects_are_deterministic_unit_sphere_and_labelled_with_their_own_parts(clouds):
    for c, examples in clouds.items():
        ids = objects.part_ids(CATEGORIES[c])
        for points, normals, parts in examples:
            assert points.shape == normals.shape == (2048, 3) and parts.shape == (2048,)
            assert (points.dtype, normals.dtype, parts.dtype) == (np.float32, np.float32, np.int32)
            np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=1e-5)
            assert abs(np.linalg.norm(points, axis=1).max() - 1.0) < 1e-5
            assert parts.min() >= ids.start and parts.max() < ids.stop, CATEGORIES[c]
            assert len(np.unique(parts)) >= 2, CATEGORIES[c]  # every object shows at least two of its parts
        again = objects.generate_object(c, np.random.default_rng([11, c, 0]))
        for a, b in zip(again, examples[0]):
            np.testing.assert_array_equal(a, b)


def test_normals_are_unit_and_perpendicular_to_the_sampled_triangle():
    rng = np.random.default_rng(0)
    for c in range(0, len(CATEGORIES), 3):
        vertices, faces, _ = objects.build_mesh(c, rng)
        points, normals, face = utils.sample_triangles(vertices, faces, 500, rng, return_faces=True)
        tri = vertices[faces[face]]
        np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-9)
        for edge in (tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]):
            assert np.abs(np.einsum("ij,ij->i", normals, edge)).max() < 1e-9
        assert np.abs(np.einsum("ij,ij->i", normals, points - tri[:, 0])).max() < 1e-9  # the point is on it


def test_sampler_is_area_uniform_on_two_triangles_of_known_areas():
    # Triangle A has area 1, triangle B (disjoint, not coplanar) area 3.
    vertices = np.array([[0, 0, 0], [2, 0, 0], [0, 1, 0], [5, 0, 0], [5, 2, 0], [5, 0, 3]], dtype=np.float64)
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    n = 40_000
    points, _, face = utils.sample_triangles(vertices, faces, n, np.random.default_rng(1), return_faces=True)
    share_b = (face == 1).mean()
    assert abs(share_b - 0.75) < 4 * np.sqrt(0.75 * 0.25 / n)
    # Inside a triangle, points are uniform: the 4 congruent sub-triangles (split at the edge midpoints) get 1/4
    # each. Barycentric coordinates of triangle A's points: (u, v) with p = u * (2, 0) + v * (0, 1).
    a = points[face == 0]
    u, v = a[:, 0] / 2, a[:, 1]
    cells = np.where(u > 0.5, 0, np.where(v > 0.5, 1, np.where(u + v < 0.5, 2, 3)))
    counts = np.bincount(cells, minlength=4)
    expected = len(a) / 4
    assert ((counts - expected) ** 2 / expected).sum() < 16.3  # chi-square, 3 dof, p = 0.001


def _area_shares(vertices, faces, face_parts, offset):
    """Share of the surface area of each of a category's parts (6,), exact (no sampling noise)."""
    tri = vertices[faces]
    area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return np.bincount(face_parts - offset, weights=area, minlength=6) / area.sum()


def test_categories_vary_in_structure():
    varied_counts = 0
    for c in range(len(CATEGORIES)):
        built = [objects.object_parts(c, np.random.default_rng([5, c, i])) for i in range(6)]
        varied_counts += len({len(parts) for parts in built}) > 1  # number of part meshes
        # The parts' shares of the surface differ between objects of the category (proportions, part counts).
        shares = [_area_shares(*meshes.assemble(parts), objects.PART_OFFSETS[CATEGORIES[c]]) for parts in built]
        largest = max(np.abs(a - b).sum() for i, a in enumerate(shares) for b in shares[i + 1:])
        assert largest > 0.1, CATEGORIES[c]
    assert varied_counts >= 0.9 * len(CATEGORIES)  # part counts vary in (nearly) every category


def test_confusable_categories_share_proportions():
    # Height over the larger horizontal extent, 10th-90th percentile over 12 objects: within each group of
    # categories that real data confuses, every category's range overlaps another's by at least 0.1.
    groups = [["bookshelf", "dresser", "wardrobe", "tv_stand", "night_stand", "glass_box", "mantel", "radio", "xbox"],
              ["cup", "bowl", "vase", "bottle", "flower_pot", "plant"], ["chair", "stool", "bench", "sofa"]]
    for group in groups:
        ranges = {}
        for name in group:
            c = CATEGORIES.index(name)
            ratios = []
            for i in range(12):
                extent = np.ptp(objects.build_mesh(c, np.random.default_rng([4, c, i]))[0], axis=0)
                ratios.append(extent[1] / max(extent[0], extent[2]))
            ranges[name] = np.percentile(ratios, [10, 90])
        for name, (low, high) in ranges.items():
            overlaps = [min(high, h) - max(low, l) for other, (l, h) in ranges.items() if other != name]
            assert max(overlaps) > 0.1, (name, ranges)


def _unposed_cloud(c, seed):
    """Points (1024, 3) and global part ids of one object in its canonical facing (before `pose_angle`)."""
    rng = np.random.default_rng(seed)
    vertices, faces, face_parts = meshes.assemble(objects.object_parts(c, rng))
    points, _, face = utils.sample_triangles(vertices, faces, 1024, rng, return_faces=True)
    return points, face_parts[face]


def test_makers_face_minus_z_airplane_nose_forward_chair_back_behind_the_seat():
    for name, front, back in (("airplane", "fuselage", "tail"), ("chair", "seat", "back"),
                              ("bed", "mattress", "headboard"), ("toilet", "bowl", "tank"),
                              ("mantel", "surround", "firebox")):
        c = CATEGORIES.index(name)
        for i in range(3):
            points, parts = _unposed_cloud(c, [3, c, i])
            local = parts - objects.PART_OFFSETS[name]
            names = objects.PART_NAMES[name]
            assert points[local == names.index(back), 2].mean() > points[local == names.index(front), 2].mean(), name
    c = CATEGORIES.index("airplane")
    for i in range(3):
        points, parts = _unposed_cloud(c, [3, c, i])
        fuselage = points[parts == objects.PART_OFFSETS["airplane"]]
        extent = np.ptp(fuselage, axis=0)
        assert extent[2] > 2 * max(extent[0], extent[1])  # fuselage along z
        assert np.ptp(points[:, 1]) < min(np.ptp(points[:, 0]), np.ptp(points[:, 2]))  # y (up) is the thinnest


def test_pose_turns_about_30_percent_by_90_degrees_with_a_small_jitter():
    rng = np.random.default_rng(0)
    angles = np.rad2deg([objects.pose_angle(rng) for _ in range(4000)])
    turned = np.abs(angles) > 45
    assert abs(turned.mean() - objects.TURNED) < 0.03
    assert abs((angles[turned] > 0).mean() - 0.5) < 0.06  # both directions
    jitter = angles - 90 * np.round(angles / 90)
    assert 0.8 * objects.YAW_JITTER_DEG < jitter.std() < 1.2 * objects.YAW_JITTER_DEG
    assert np.abs(jitter).max() < 5 * objects.YAW_JITTER_DEG
    # build_mesh stretches the parts' mesh per axis, then turns it about y by the pose drawn after them.
    c = CATEGORIES.index("airplane")
    vertices, _, _ = meshes.assemble(objects.object_parts(c, np.random.default_rng(7)))
    rng = np.random.default_rng(7)
    objects.object_parts(c, rng)
    stretch = objects.stretch_factors(rng)
    angle = objects.pose_angle(rng)
    assert np.all(np.abs(np.log(stretch)) < 5 * objects.STRETCH) and abs(np.rad2deg(angle)) > 1e-3
    posed, _, _ = objects.build_mesh(c, np.random.default_rng(7))
    np.testing.assert_allclose(posed[:, 1], vertices[:, 1] * stretch[1])
    np.testing.assert_allclose(posed, meshes.rotate_y(vertices * stretch, angle), atol=1e-12)
    ratios = np.log([objects.stretch_factors(rng) for _ in range(2000)])
    np.testing.assert_allclose(ratios.std(axis=0), objects.STRETCH, rtol=0.1)
    # Over a split, turned airplanes lie along x: their longest horizontal extent swaps axes.
    along_x = 0
    for i in range(40):
        points, _, _ = objects.generate_object(c, np.random.default_rng([objects.SPLIT_SEEDS["train"], c, i]), 512)
        along_x += np.ptp(points[:, 0]) > np.ptp(points[:, 2]) * 1.2 and np.ptp(points[:, 1]) < np.ptp(points[:, 0])
    assert 4 <= along_x <= 24


def test_split_generator_matches_single_objects_and_splits_are_disjoint():
    train = list(objects.generate_split("train", per_category=1, num_points=256))
    test = list(objects.generate_split("test", per_category=1, num_points=256))
    assert [key for key, *_ in train] == [f"{name}_0000" for name in CATEGORIES]
    for (_, points, normals, parts, label), (_, other, *_) in zip(train, test):
        single = objects.generate_object(label, np.random.default_rng([objects.SPLIT_SEEDS["train"], label, 0]), 256)
        order = utils.farthest_point_order(single[0][None], objects.FPS_ORDERED)[0]
        np.testing.assert_allclose(points, single[0][order], atol=1e-6)
        np.testing.assert_array_equal(parts, single[2][order])
        assert not np.allclose(points, other)


def test_points_are_stored_in_farthest_point_order_like_modelnet40_files():
    """The first k stored points of an object are its FPS selection of k (from its first point), for every k up
    to FPS_ORDERED; the others follow in sampling order."""
    for _, points, normals, parts, _ in list(objects.generate_split("test", per_category=1, num_points=512))[:3]:
        picks = farthest_point_sample(tf.constant(points[None]), 512).numpy()[0]
        np.testing.assert_array_equal(picks, np.arange(512))
    clouds = np.random.default_rng(0).normal(size=(2, 40, 3))
    order = utils.farthest_point_order(clouds, 10)
    for cloud, row in zip(clouds, order):
        assert sorted(row) == list(range(40)) and list(row[10:]) == sorted(row[10:])
        np.testing.assert_array_equal(row[:10], farthest_point_sample(tf.constant(cloud[None], tf.float32), 10)[0])
        np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)


def test_closed_primitives_are_wound_outward_with_the_right_volume():
    n = 24
    polygon_area = n / 2 * np.sin(2 * np.pi / n)  # area of the n-gon inscribed in the unit circle
    cases = [
        (meshes.cylinder(0.5, 2.0, segments=n), polygon_area * 0.25 * 2.0),
        (meshes.box(1.0, 2.0, 3.0), 6.0),
        (meshes.bar((0, 0, 0), (1, 2, 2), 0.1), 3.0 * 0.01),
        (meshes.tube((1, 0, 0), (1, 0, 3), 0.5, segments=n), polygon_area * 0.25 * 3.0),
        (meshes.prism([[0, 0], [2, 0], [2, 1], [0, 1]], 3.0, axis="x"), 6.0),
        (meshes.rounded_box(1.0, 1.0, 2.0, 0.2), (1.0 - (4 - np.pi) * 0.04) * 2.0),
        (meshes.mirror_x(meshes.cylinder(0.5, 2.0, segments=n)), polygon_area * 0.25 * 2.0),
        (common.vessel([1.0, 1.0], [0.0, 1.0], 0.1, segments=n), polygon_area * (1.0 - 0.81 * 0.9)),
        (meshes.transform(meshes.sphere(1.0, segments=64, rings=32), scale=(1, 2, 3)), 4 / 3 * np.pi * 6),
    ]
    for mesh, volume in cases:
        assert meshes.signed_volume(mesh) == pytest.approx(volume, rel=0.02)
    # Outward: on a box every sampled normal points away from the centre.
    vertices, faces = meshes.box(1.0, 2.0, 3.0, center=(1, 1, 1))
    points, normals = utils.sample_triangles(vertices, faces, 200, np.random.default_rng(0))
    assert (np.einsum("ij,ij->i", normals, points - 1.0) > 0).all()


def test_load_split_builds_the_tfds_dataset_with_parts(tmp_path, monkeypatch):
    monkeypatch.setattr(objects, "TRAIN_PER_CATEGORY", 2)
    monkeypatch.setattr(objects, "TEST_PER_CATEGORY", 1)
    ds = sources.load_split("synthetic_objects", "train", data_dir=tmp_path)
    assert ds.element_spec["points"].shape == (2048, 3) and ds.element_spec["parts"].shape == (2048,)
    examples = list(ds.as_numpy_iterator())
    assert sorted(int(e["label"]) for e in examples) == sorted(list(range(len(CATEGORIES))) * 2)
    for e in examples:
        assert e["points"].dtype == np.float32 and e["parts"].dtype == np.int64
        ids = objects.part_ids(CATEGORIES[int(e["label"])])
        assert e["parts"].min() >= ids.start and e["parts"].max() < ids.stop
    assert sources.num_examples("synthetic_objects", "test", data_dir=tmp_path) == len(CATEGORIES)
    assert sources.class_names("synthetic_objects", data_dir=tmp_path) == CATEGORIES
    # The stored normals survive the round trip: unit length.
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel
    raw = next(iter(tfds.builder("synthetic_objects", data_dir=str(tmp_path)).as_dataset(split="test").take(1)))
    np.testing.assert_allclose(np.linalg.norm(raw["normals"].numpy(), axis=1), 1.0, atol=1e-5)
