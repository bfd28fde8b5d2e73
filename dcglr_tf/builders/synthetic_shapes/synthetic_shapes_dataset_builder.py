"""synthetic_shapes: procedurally generated, labelled point clouds of 14 parametric shape classes.

The embedded default of dcglr_tf: no download, generated with numpy from fixed seeds inside the builder, so
every command runs on a fresh machine. Every class varies strongly inside itself (proportions, part counts,
open/closed surfaces), and every example is further bent, tapered, twisted, partially cut away, sampled with a
non-uniform density and jittered, then rotated about the up (y) axis only (objects stay upright, as in
ModelNet) and centred and scaled into the unit sphere. Points are sampled on the surfaces, area-weighted.
"""

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils
from dcglr_tf.builders import _meshes as meshes

NUM_POINTS = 2048
CLASS_NAMES = [
    "box", "ellipsoid", "cylinder", "cone", "torus", "pyramid", "capsule",
    "table", "chair", "bracket", "cross", "helix", "bowl", "lamp",
]
TRAIN_PER_CLASS = 100
TEST_PER_CLASS = 40
# Disjoint seed streams per split: the per-example seed is (split seed, class index, example index).
SPLIT_SEEDS = {"train": 20240101, "test": 20240202}


# ----------------------------------------------------------------------------------------------------------
# Triangle meshes (y is up): the primitives are `dcglr_tf/builders/_meshes.py`'s, the helix is this set's own.

def _helix(radius, height, turns, tube):
    def fn(u, v):
        t = 2 * np.pi * turns * u
        c = np.stack([radius * np.cos(t), height * (u - 0.5), radius * np.sin(t)], -1)
        tangent = np.stack([-radius * np.sin(t), np.full_like(t, height / (2 * np.pi * turns)),
                            radius * np.cos(t)], -1)
        tangent /= np.linalg.norm(tangent, axis=-1, keepdims=True)
        normal = np.stack([np.cos(t), np.zeros_like(t), np.sin(t)], -1)
        binormal = np.cross(tangent, normal)
        b = 2 * np.pi * v
        p = c + tube * (np.cos(b)[..., None] * normal + np.sin(b)[..., None] * binormal)
        return p[..., 0], p[..., 1], p[..., 2]
    return meshes.grid_mesh(fn, int(48 * turns), 8)










# ----------------------------------------------------------------------------------------------------------
# One function per class: rng -> mesh.

def _make_box(rng):
    return meshes.box(*rng.uniform(0.15, 1.0, 3))


def _make_ellipsoid(rng):
    return meshes.ellipsoid(*rng.uniform(0.3, 1.0, 3))


def _make_cylinder(rng):
    r, h = rng.uniform(0.15, 0.8), rng.uniform(0.3, 2.0)
    caps = rng.random() > 0.3
    mesh = meshes.frustum(r, r, h, bottom_cap=caps, top_cap=caps)
    return meshes.swap_xy(mesh) if rng.random() < 0.25 else mesh  # sometimes lying down


def _make_cone(rng):
    r, h = rng.uniform(0.3, 1.0), rng.uniform(0.4, 2.0)
    top = rng.uniform(0.0, 0.15) * r
    mesh = meshes.frustum(r, top, h, bottom_cap=rng.random() < 0.7, top_cap=True)
    if rng.random() < 0.3:  # upside down
        v, f = mesh
        mesh = v * np.array([1.0, -1.0, 1.0]), f
    return mesh


def _make_torus(rng):
    major = rng.uniform(0.5, 1.0)
    mesh = meshes.torus(major, rng.uniform(0.08, 0.45) * major)
    return meshes.swap_xy(mesh) if rng.random() < 0.3 else mesh  # standing up like a wheel


def _make_pyramid(rng):
    sides = 3 if rng.random() < 0.3 else 4
    return meshes.pyramid(rng.uniform(0.4, 1.0), rng.uniform(0.4, 1.0), rng.uniform(0.4, 1.5), sides,
                          apex_offset=rng.uniform(-0.15, 0.15, 2))


def _make_capsule(rng):
    r, length = rng.uniform(0.15, 0.6), rng.uniform(0.3, 1.6)
    cap = meshes.ellipsoid(r, r, r, center=(0, length / 2, 0), theta_max=np.pi / 2)
    mesh = meshes.merge([meshes.frustum(r, r, length, bottom_cap=False, top_cap=False), cap, meshes.flip_y(cap)])
    return meshes.swap_xy(mesh) if rng.random() < 0.4 else mesh


def _legs(rng, width, depth, height, top_y, inset, thickness, round_legs):
    parts = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            x, z = sx * (width / 2 - inset), sz * (depth / 2 - inset)
            if round_legs:
                parts.append(meshes.frustum(thickness / 2, thickness / 2, height,
                                            center=(x, top_y - height / 2, z), segments=8))
            else:
                parts.append(meshes.box(thickness, height, thickness, center=(x, top_y - height / 2, z)))
    return parts


def _make_table(rng):
    width, depth = rng.uniform(0.8, 2.0), rng.uniform(0.5, 1.2)
    thick, height = rng.uniform(0.03, 0.12), rng.uniform(0.5, 1.0)
    parts = []
    if rng.random() < 0.3:  # round top
        r = rng.uniform(0.4, 0.8)
        parts.append(meshes.frustum(r, r, thick, center=(0, height, 0)))
        width = depth = r * 1.4
    else:
        parts.append(meshes.box(width, thick, depth, center=(0, height, 0)))
    if rng.random() < 0.25:  # pedestal
        parts.append(meshes.frustum(0.05, 0.05, height, center=(0, height / 2, 0), segments=8))
        parts.append(meshes.frustum(0.3, 0.3, 0.03, center=(0, 0.015, 0)))
    else:
        parts += _legs(rng, width, depth, height, height - thick / 2, rng.uniform(0.03, 0.15),
                        rng.uniform(0.03, 0.1), rng.random() < 0.5)
    return meshes.merge(parts)


def _make_chair(rng):
    width, depth = rng.uniform(0.4, 0.7), rng.uniform(0.4, 0.7)
    seat_y, thick = rng.uniform(0.35, 0.6), rng.uniform(0.03, 0.1)
    back_h = rng.uniform(0.3, 0.8)
    tilt = rng.uniform(0.0, 0.3)
    parts = [meshes.box(width, thick, depth, center=(0, seat_y, 0))]
    bv, bf = meshes.box(width, back_h, rng.uniform(0.03, 0.08))
    shear = np.array([[1, 0, 0], [0, 1, -tilt], [0, 0, 1]])  # lean the back
    bv = bv @ shear.T + np.array([0, seat_y + back_h / 2, -depth / 2])
    parts.append((bv, bf))
    parts += _legs(rng, width, depth, seat_y, seat_y - thick / 2, 0.03, rng.uniform(0.03, 0.07),
                    rng.random() < 0.5)
    if rng.random() < 0.3:  # armrests
        for sx in (-1, 1):
            parts.append(meshes.box(0.05, 0.04, depth, center=(sx * width / 2, seat_y + 0.22, 0)))
    return meshes.merge(parts)


def _make_bracket(rng):
    l1, l2 = rng.uniform(0.4, 1.5), rng.uniform(0.4, 1.5)
    t1, t2, w = rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.3), rng.uniform(0.2, 1.0)
    mesh = meshes.merge([meshes.box(l1, t1, w, center=(l1 / 2, t1 / 2, 0)),
                         meshes.box(t2, l2, w, center=(t2 / 2, l2 / 2, 0))])
    if rng.random() < 0.3:
        mesh = meshes.flip_y(mesh)
    return mesh


def _make_cross(rng):
    t = rng.uniform(0.1, 0.35)
    la, lb = rng.uniform(0.8, 2.0), rng.uniform(0.8, 2.0)
    depth = rng.uniform(0.1, 0.6)
    standing = rng.random() < 0.5
    if standing:  # plus sign in the x-y plane
        parts = [meshes.box(la, t, depth), meshes.box(t, lb, depth)]
    else:  # plus sign lying in the x-z plane
        parts = [meshes.box(la, t, t), meshes.box(t, t, lb)]
    if rng.random() < 0.3:  # 3D cross: a third bar along the remaining axis
        lc = rng.uniform(0.8, 2.0)
        parts.append(meshes.box(t, t, lc) if standing else meshes.box(t, lc, t))
    return meshes.merge(parts)


def _make_helix(rng):
    return _helix(rng.uniform(0.3, 0.8), rng.uniform(0.8, 2.5), rng.uniform(1.5, 5.0), rng.uniform(0.03, 0.12))


def _make_bowl(rng):
    r, depth = rng.uniform(0.5, 1.0), rng.uniform(0.3, 1.0)
    v, f = meshes.ellipsoid(r, r * depth, r, theta_max=np.pi / 2)
    parts = [(v * np.array([1.0, -1.0, 1.0]), f)]
    if rng.random() < 0.5:  # wall thickness: inner shell
        parts.append((v * np.array([0.9, -0.88, 0.9]), f))
    if rng.random() < 0.4:  # foot ring
        parts.append(meshes.frustum(0.3 * r, 0.3 * r, 0.06, center=(0, -r * depth - 0.03, 0),
                                    bottom_cap=False, top_cap=False))
    return meshes.merge(parts)


def _make_lamp(rng):
    base_r, base_h = rng.uniform(0.15, 0.4), rng.uniform(0.03, 0.1)
    pole_h = rng.uniform(0.5, 1.5)
    parts = [meshes.frustum(base_r, base_r * rng.uniform(0.6, 1.0), base_h, center=(0, base_h / 2, 0)),
             meshes.frustum(0.02, 0.02, pole_h, center=(0, base_h + pole_h / 2, 0), segments=8)]
    top = base_h + pole_h
    if rng.random() < 0.7:  # open shade
        rb, rt, h = rng.uniform(0.2, 0.5), rng.uniform(0.1, 0.3), rng.uniform(0.2, 0.5)
        parts.append(meshes.frustum(rb, rt, h, center=(0, top, 0), bottom_cap=False, top_cap=False))
    else:  # globe
        r = rng.uniform(0.12, 0.3)
        parts.append(meshes.ellipsoid(r, r, r, center=(0, top + r * 0.8, 0)))
    return meshes.merge(parts)


_MAKERS = [
    _make_box, _make_ellipsoid, _make_cylinder, _make_cone, _make_torus, _make_pyramid, _make_capsule,
    _make_table, _make_chair, _make_bracket, _make_cross, _make_helix, _make_bowl, _make_lamp,
]
assert len(_MAKERS) == len(CLASS_NAMES)


# ----------------------------------------------------------------------------------------------------------

def _deform(points, rng):
    """Random anisotropic scale, taper, twist and bend (non-rigid, y is up)."""
    p = utils.normalize_unit_sphere(points).astype(np.float64)
    p *= np.exp(rng.uniform(-0.3, 0.3, 3))
    y = p[:, 1]
    if rng.random() < 0.5:  # taper along y
        p[:, [0, 2]] *= (1.0 + rng.uniform(-0.5, 0.5) * y)[:, None]
    if rng.random() < 0.4:  # twist about y
        angle = rng.uniform(-1.2, 1.2) * y
        c, s = np.cos(angle), np.sin(angle)
        p[:, 0], p[:, 2] = c * p[:, 0] - s * p[:, 2], s * p[:, 0] + c * p[:, 2]
    if rng.random() < 0.4:  # bend: shear x (or z) quadratically with height
        axis = 0 if rng.random() < 0.5 else 2
        p[:, axis] += rng.uniform(-0.4, 0.4) * y ** 2
    return p


def generate_shape(class_index: int, rng: np.random.Generator, num_points: int = NUM_POINTS) -> np.ndarray:
    """One cloud of class `class_index`: (num_points, 3) float32 in the unit sphere, y up."""
    vertices, faces = _MAKERS[class_index](rng)
    candidates, _ = utils.sample_triangles(vertices, faces, 2 * num_points, rng)
    candidates = _deform(candidates, rng)
    keep = np.ones(len(candidates), dtype=bool)
    if rng.random() < 0.5:  # partial surface: cut away the region around a random surface point
        seed = candidates[rng.integers(len(candidates))]
        radius = rng.uniform(0.2, 0.6)
        keep = ((candidates - seed) ** 2).sum(1) > radius ** 2
        if keep.sum() < num_points:  # never cut away more than half of the surface
            keep[:] = True
    candidates = candidates[keep]
    # Non-uniform density: Gumbel top-k selection with weights exp(s * <p, d>) (denser on one side).
    direction = rng.normal(size=3)
    direction /= np.linalg.norm(direction)
    logits = rng.uniform(0.0, 2.5) * candidates @ direction
    if len(candidates) >= num_points:
        keys = logits + rng.gumbel(size=len(candidates))
        chosen = np.argpartition(-keys, num_points - 1)[:num_points]
    else:
        chosen = rng.integers(len(candidates), size=num_points)
    points = candidates[rng.permutation(chosen)]
    points = utils.normalize_unit_sphere(points).astype(np.float64)
    points += rng.normal(scale=rng.uniform(0.0, 0.02), size=points.shape)
    points = meshes.rotate_y(points, rng.uniform(0.0, 2 * np.pi))
    return utils.normalize_unit_sphere(points)


def generate_split(split: str, per_class: int = None, num_points: int = NUM_POINTS):
    """Yield (key, points, label) of a split, deterministic: seed = (split seed, class, index)."""
    if per_class is None:
        per_class = TRAIN_PER_CLASS if split == "train" else TEST_PER_CLASS
    for label in range(len(CLASS_NAMES)):
        for i in range(per_class):
            rng = np.random.default_rng([SPLIT_SEEDS[split], label, i])
            yield f"{CLASS_NAMES[label]}_{i:04d}", generate_shape(label, rng, num_points), label


class Builder(tfds.core.GeneratorBasedBuilder):
    """Procedural labelled point clouds of 14 parametric shape classes (embedded default)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release: 14 classes, 100 train / 40 test clouds per class, 2048 points each.",
    }

    def _info(self) -> tfds.core.DatasetInfo:
        return utils.classification_info(self, num_points=NUM_POINTS, class_names=CLASS_NAMES,
                                         homepage="https://github.com/dcglr-tf/dcglr_tf", description=__doc__)

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download
        return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

    def _generate_examples(self, split):
        for key, points, label in generate_split(split):
            yield key, {"points": points, "label": label}
