"""synthetic_objects people: a standing person facing -z in one of several poses.

Maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common
from .common import pick


def _limb(start, direction_a, length_a, direction_b, length_b, radius):
    """Two tube segments (upper, lower) from `start`, with a ball joint: [(mesh), ...] and the end point."""
    start = np.asarray(start, dtype=np.float64)
    da, db = (np.asarray(d, dtype=np.float64) / np.linalg.norm(d) for d in (direction_a, direction_b))
    joint = start + length_a * da
    end = joint + length_b * db
    return [meshes.tube(start, joint, radius, segments=8, radius_end=radius * 0.85),
            meshes.sphere(radius * 0.85, center=joint, segments=8, rings=4),
            meshes.tube(joint, end, radius * 0.85, segments=8, radius_end=radius * 0.65)], end


def person(rng):
    """Person: adult or child proportions (height, head, shoulders, hips, build); standing with legs together,
    apart or striding, sitting or crouching; arms down / raised / forward / out / waving / on the hips."""
    child = rng.random() < 0.2
    h = rng.uniform(1.0, 1.4) if child else rng.uniform(1.55, 1.9)
    build = rng.uniform(0.85, 1.2)
    shoulder = h * rng.uniform(0.2, 0.25) * build
    hips = h * rng.uniform(0.15, 0.19) * build
    legs = pick(rng, ["together", "apart", "stride", "sit", "crouch"], [0.25, 0.25, 0.2, 0.2, 0.1])
    thigh, shin = 0.245 * h, 0.235 * h
    drop = {"sit": thigh * 0.95, "crouch": thigh * 0.6}.get(legs, 0.0)  # hips lowered by bending the knees
    hip_y, shoulder_y = h * 0.5 - drop, h * 0.81 - drop
    limb_r = h * 0.028 * build
    # Torso: elliptical sections from the hips to the shoulders.
    ys = np.array([hip_y - 0.04 * h, hip_y + 0.05 * h, hip_y + 0.15 * h, shoulder_y - 0.06 * h, shoulder_y])
    widths = np.array([hips, hips * 0.95, shoulder * rng.uniform(0.7, 0.85), shoulder, shoulder * 0.75]) / 2
    depths = np.array([0.09, 0.085, 0.08, 0.1, 0.07]) * h * build / 2
    a = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    rings = np.stack([np.stack([w * np.cos(a), np.full(len(a), y), d * np.sin(a)], 1)
                      for y, w, d in zip(ys, widths, depths)])
    parts = [(meshes.loft(rings), "torso")]
    if rng.random() < 0.25:  # skirt or coat from the waist to the knees
        hem = h * rng.uniform(0.25, 0.4)
        parts.append((common.vessel([hips * rng.uniform(0.7, 1.0), hips * 0.55], [hem, hip_y + 0.05 * h], 0.01,
                                    closed_bottom=False), "torso"))
    if rng.random() < 0.15:  # backpack
        parts.append((meshes.rounded_box(shoulder * 0.7, h * 0.25, h * 0.1, 0.03,
                                         center=(0, shoulder_y - h * 0.15, depths[3] + h * 0.05), axis="y"), "torso"))
    parts.append((meshes.tube((0, shoulder_y - 0.01, 0), (0, shoulder_y + 0.05 * h, 0), h * 0.025, segments=8),
                  "head"))
    head_r = h * (rng.uniform(0.075, 0.09) if child else rng.uniform(0.06, 0.07))
    head_y = shoulder_y + 0.05 * h + head_r * 0.9
    parts.append((meshes.sphere(head_r, center=(0, head_y, 0), segments=14, rings=7, scale=(0.85, 1.0, 0.95)),
                  "head"))
    if rng.random() < 0.2:  # hat: brim and crown
        parts.append((meshes.cylinder(head_r * rng.uniform(1.1, 1.8), 0.01, center=(0, head_y + head_r * 0.6, 0)),
                      "head"))
        parts.append((meshes.cylinder(head_r * 0.85, head_r * rng.uniform(0.4, 1.0), radius_top=head_r * 0.75,
                                      center=(0, head_y + head_r * 0.9, 0), segments=16), "head"))
    # Legs.
    for s in (-1, 1):
        hip = np.array([s * hips * 0.28, hip_y, 0.0])
        if legs == "sit":  # thighs forward (-z), shins down to the floor
            da, db = (s * rng.uniform(0.0, 0.2), rng.uniform(-0.1, 0.1), -1.0), (0.0, -1.0, rng.uniform(-0.3, 0.2))
        elif legs == "crouch":  # knees forward and up, shins back down
            da, db = (s * 0.2, -0.45, -1.0), (0.0, -1.0, 0.35)
        elif legs == "stride":
            swing = s * rng.uniform(0.25, 0.45)
            da = (0.0, -np.cos(swing), -np.sin(swing))
            db = (0.0, -np.cos(swing * 0.6), -np.sin(swing * 0.6) + (0.15 if s > 0 else 0.0))
        else:
            spread = 0.02 if legs == "together" else rng.uniform(0.1, 0.25)
            da = db = (s * spread, -1.0, 0.0)
        meshes_leg, ankle = _limb(hip, da, thigh, db, shin, limb_r * 1.35)
        parts += [(m, "leg") for m in meshes_leg]
        parts.append((meshes.box(0.09 * h / 1.7, 0.05, 0.24 * h / 1.7, center=(ankle[0], 0.025, ankle[2] - 0.05)),
                      "leg"))
    # Arms.
    pose = pick(rng, ["down", "raised", "forward", "out", "wave", "hips"])
    upper, fore = 0.18 * h, 0.16 * h
    for s in (-1, 1):
        shoulder_pt = np.array([s * shoulder / 2, shoulder_y - 0.02 * h, 0.0])
        this = pose if pose != "wave" else ("raised" if s > 0 else "down")
        if this == "down":
            da = db = (s * rng.uniform(0.05, 0.2), -1.0, rng.uniform(-0.1, 0.1))
        elif this == "raised":
            da, db = (s * 0.3, 1.0, 0.0), (s * rng.uniform(0.0, 0.4), 1.0, 0.0)
        elif this == "forward":
            da, db = (s * 0.1, -rng.uniform(-0.2, 0.3), -1.0), (0.0, rng.uniform(-0.2, 0.3), -1.0)
        elif this == "out":
            da = db = (s * 1.0, rng.uniform(-0.3, 0.3), 0.0)
        else:  # hands on hips
            da, db = (s * 0.6, -1.0, 0.2), (-s * 0.7, -0.6, -0.1)
        meshes_arm, wrist = _limb(shoulder_pt, da, upper, db, fore, limb_r)
        parts += [(m, "arm") for m in meshes_arm]
        parts.append((meshes.sphere(limb_r * 1.1, center=wrist, segments=8, rings=4, scale=(0.8, 1.3, 0.6)), "arm"))
    return parts


MODELS = {
    "person": (("head", "torso", "arm", "leg"), person),
}
