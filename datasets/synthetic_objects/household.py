"""synthetic_objects household objects and fixtures: bottle, bowl, cup, vase, lamp, plant, cone, bathtub, toilet,
door, stairs, tent.

Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common
from .common import pick


def bottle(rng):
    """Bottle: round or square body, sloped or flat shoulder, short or long neck, with or without a cap."""
    style = pick(rng, ["wine", "water", "square", "flask"])
    r = rng.uniform(0.03, 0.05) if style != "flask" else rng.uniform(0.05, 0.08)
    body_h = rng.uniform(0.12, 0.25)
    neck_r = r * rng.uniform(0.25, 0.45)
    shoulder_h = {"wine": rng.uniform(0.04, 0.08), "water": rng.uniform(0.01, 0.03)}.get(style, rng.uniform(0.02, 0.05))
    neck_h = rng.uniform(0.05, 0.1) if style == "wine" else rng.uniform(0.015, 0.05)
    parts = []
    if style == "square":
        parts.append((meshes.rounded_box(2 * r, body_h, 2 * r, r * 0.3, center=(0, body_h / 2, 0), axis="y"), "body"))
        parts.append((meshes.cylinder(r * 0.95, shoulder_h, radius_top=neck_r, center=(0, body_h + shoulder_h / 2, 0)),
                      "body"))
    else:
        t = np.linspace(0.0, 1.0, 6)
        radii = [0.0, r * 0.92, r] + [r] + list(neck_r + (r - neck_r) * np.cos(t[1:] * np.pi / 2)) + [0.0]
        heights = [0.0, 0.0, r * 0.08, body_h] + list(body_h + shoulder_h * t[1:]) + [body_h + shoulder_h]
        if style == "flask":  # flattened front to back
            parts.append((meshes.transform(meshes.lathe(radii, heights, 24), scale=(1.0, 1.0, 0.45)), "body"))
        else:
            parts.append((meshes.lathe(radii, heights, 24), "body"))
    top = body_h + shoulder_h
    lip = rng.random() < 0.6
    neck_radii = [0.0, neck_r, neck_r] + ([neck_r * 1.15, neck_r * 1.15] if lip else []) + [0.0]
    neck_heights = [top, top, top + neck_h] + ([top + neck_h, top + neck_h + 0.008] if lip else []) + \
        [top + neck_h + (0.008 if lip else 0.0)]
    parts.append((meshes.lathe(neck_radii, neck_heights, 16), "neck"))
    if rng.random() < 0.7:
        cap_h = rng.uniform(0.01, 0.03)
        parts.append((meshes.cylinder(neck_r * 1.2, cap_h, center=(0, top + neck_h + cap_h / 2, 0), segments=16),
                      "cap"))
    return parts


def bowl(rng):
    """Bowl: shallow to deep, round or flared wall of some thickness, on a foot ring, a flat base or a pedestal,
    sometimes with a wide flat rim (pasta bowl)."""
    r, h = rng.uniform(0.06, 0.15), rng.uniform(0.03, 0.1)
    bottom_r = r * rng.uniform(0.3, 0.6)
    flare = rng.uniform(0.5, 2.0)
    t = np.linspace(0.0, 1.0, 9)
    radii = bottom_r + (r - bottom_r) * t ** (1.0 / flare)
    foot = pick(rng, ["ring", "flat", "pedestal"], [0.45, 0.35, 0.2])
    foot_h = rng.uniform(0.04, 0.1) if foot == "pedestal" else rng.uniform(0.005, 0.02)
    wall = rng.uniform(0.003, 0.01)
    parts = [(common.vessel(radii, foot_h + h * t, wall), "body")]
    if foot == "ring":
        fr = bottom_r * rng.uniform(0.7, 1.0)
        parts.append((common.vessel([fr, fr], [0.0, foot_h], 0.004, closed_bottom=False), "base"))
    elif foot == "flat":
        parts.append((meshes.cylinder(bottom_r * 0.9, foot_h, center=(0, foot_h / 2, 0)), "base"))
    else:  # a stem on a disc
        disc_r = bottom_r * rng.uniform(0.8, 1.3)
        parts.append((meshes.lathe([0.0, disc_r, disc_r * 0.9, bottom_r * 0.25, bottom_r * 0.35, 0.0],
                                   [0.0, 0.0, 0.008, foot_h * 0.4, foot_h, foot_h], 24), "base"))
    if rng.random() < 0.3:  # flat rim around the top
        width = r * rng.uniform(0.15, 0.4)
        y = foot_h + h
        parts.append((common.vessel([r - wall, r + width], [y - 0.004, y], 0.004, closed_bottom=False), "rim"))
    return parts


def cup(rng):
    """Cup / mug: straight, tapered or barrel body, C- or D-shaped handle on the right (+x) (sometimes a second
    one), sometimes on a saucer."""
    r, h = rng.uniform(0.035, 0.05), rng.uniform(0.06, 0.12)
    shape = pick(rng, ["straight", "tapered", "barrel"])
    t = np.linspace(0.0, 1.0, 7)
    if shape == "straight":
        radii = np.full(7, r)
    elif shape == "tapered":
        radii = r * (rng.uniform(0.6, 0.85) + (1 - 0.7) * t)
    else:
        radii = r * (0.85 + 0.2 * np.sin(np.pi * t))
    parts = [(common.vessel(radii, h * t, rng.uniform(0.003, 0.006)), "body")]
    y0, y1 = h * rng.uniform(0.15, 0.3), h * rng.uniform(0.7, 0.88)
    reach = rng.uniform(0.025, 0.045)
    x0 = np.interp(y0 / h, t, radii) - 0.003
    x1 = np.interp(y1 / h, t, radii) - 0.003
    if rng.random() < 0.6:  # C: a half ellipse
        a = np.linspace(-np.pi / 2, np.pi / 2, 12)
        path = np.stack([(x0 + x1) / 2 + reach * np.cos(a), (y0 + y1) / 2 + (y1 - y0) / 2 * np.sin(a),
                         np.zeros_like(a)], 1)
        path[0, 0], path[-1, 0] = x0, x1
    else:  # D: out, down, in
        path = np.array([(x1, y1, 0), (x1 + reach, y1, 0), (x1 + reach, y0, 0), (x0, y0, 0)])[::-1]
    handle = common.sweep(path, rng.uniform(0.004, 0.008))
    parts.append((handle, "handle"))
    if rng.random() < 0.15:  # a second handle opposite (soup cup)
        parts.append((meshes.mirror_x(handle), "handle"))
    if rng.random() < 0.25:  # on a saucer
        sr = r * rng.uniform(1.6, 2.2)
        saucer = common.vessel([sr * 0.45, sr * 0.9, sr], [0.0, 0.006, 0.015], 0.004)
        parts = [(meshes.transform(mesh, translate=(0, 0.006, 0)), part) for mesh, part in parts]
        parts.append((saucer, "saucer"))
    return parts


def vase(rng):
    """Vase: a random smooth profile (bulb, amphora, cylinder, flute) with a neck and lip, sometimes handles."""
    h = rng.uniform(0.2, 0.5)
    r = h * rng.uniform(0.15, 0.4)
    body_h = h * rng.uniform(0.6, 0.85)
    radii = common.smooth_profile(rng, 4, 0.35 * r, r, points=12)
    radii[0] = max(radii[0], 0.4 * r)
    neck_r = min(radii[-1], r * rng.uniform(0.3, 0.7))
    radii[-1] = neck_r
    heights = np.linspace(0.0, body_h, 12)
    parts = [(meshes.lathe(np.concatenate([[0.0], radii, [0.0]]), np.concatenate([[0.0], heights, [body_h]]), 28),
              "body")]
    neck_h = h - body_h
    flare = neck_r * rng.uniform(1.0, 1.6)
    parts.append((common.vessel(np.linspace(neck_r, flare, 5) ** 1.0, body_h + neck_h * np.linspace(0, 1, 5) ** 1.5,
                                0.006, floor=body_h - 0.01), "neck"))
    if rng.random() < 0.3:
        for s in (-1, 1):
            a = np.linspace(0.0, np.pi, 10)
            y_top, y_bot = body_h + neck_h * 0.6, body_h * 0.7
            path = np.stack([s * (neck_r + (np.interp(y_bot, heights, radii) - neck_r) * (1 - np.cos(a)) / 2 +
                                  0.04 * h * np.sin(a)),
                             y_top + (y_bot - y_top) * (1 - np.cos(a)) / 2, np.zeros_like(a)], 1)
            parts.append((common.sweep(path, 0.006), "handle"))
    return parts


def lamp(rng):
    """Lamp: table lamp, floor lamp or jointed desk lamp; disc / dome / tripod base; open conical shades."""
    style = pick(rng, ["table", "floor", "desk"])
    parts = []
    if style == "desk":
        base_r = rng.uniform(0.06, 0.1)
        parts.append((meshes.cylinder(base_r, 0.02, center=(0, 0.01, 0), segments=20), "base"))
        a1, a2 = rng.uniform(-0.5, 0.3), rng.uniform(0.6, 1.5)  # tilt from vertical (towards -z) per arm
        l1, l2 = rng.uniform(0.2, 0.35), rng.uniform(0.2, 0.35)
        elbow = np.array([0.0, 0.02 + l1 * np.cos(a1), -l1 * np.sin(a1)])
        head = elbow + np.array([0.0, l2 * np.cos(a2), -l2 * np.sin(a2)])
        parts.append((meshes.tube((0, 0.02, 0), elbow, 0.008, segments=8), "stem"))
        parts.append((meshes.tube(elbow, head, 0.008, segments=8), "stem"))
        parts.append((meshes.sphere(0.015, center=elbow, segments=8, rings=4), "stem"))
        shade = common.vessel([0.02, 0.025, 0.06, rng.uniform(0.06, 0.09)], [0, 0.02, 0.08, 0.12], 0.003,
                              closed_bottom=True)
        down = np.array([0.0, -np.cos(rng.uniform(0.2, 0.8)), -np.sin(rng.uniform(0.2, 0.8))])
        parts.append((common.oriented(meshes.transform(shade, translate=(0, -0.01, 0)), down, head), "shade"))
        return parts
    floor = style == "floor"
    height = rng.uniform(1.3, 1.8) if floor else rng.uniform(0.3, 0.6)
    base_kind = pick(rng, ["disc", "dome", "tripod"] if floor else ["disc", "dome", "urn"])
    base_r = height * rng.uniform(0.12, 0.2) if floor else height * rng.uniform(0.2, 0.35)
    stem_top = height * rng.uniform(0.75, 0.85)
    if base_kind == "disc":
        parts.append((meshes.cylinder(base_r, 0.025, center=(0, 0.0125, 0), segments=24), "base"))
        stem_start = 0.025
    elif base_kind == "dome":
        t = np.linspace(0, np.pi / 2, 6)
        parts.append((meshes.lathe(np.concatenate([[0], base_r * np.cos(t)]),
                                   np.concatenate([[0], base_r * 0.5 * np.sin(t)]), 24), "base"))
        stem_start = base_r * 0.5
    elif base_kind == "urn":
        urn_h = height * rng.uniform(0.3, 0.45)
        radii = common.smooth_profile(rng, 4, 0.3 * base_r, base_r, points=10)
        parts.append((meshes.lathe(np.concatenate([[0], radii, [0]]),
                                   np.concatenate([[0], np.linspace(0, urn_h, 10), [urn_h]]), 24), "base"))
        stem_start = urn_h
    else:  # tripod legs
        for k in range(3):
            a = 2 * np.pi * k / 3
            parts.append((meshes.tube((base_r * np.cos(a), 0, base_r * np.sin(a)), (0, height * 0.3, 0), 0.01,
                                      segments=6), "base"))
        stem_start = height * 0.3
    parts.append((meshes.tube((0, stem_start, 0), (0, stem_top, 0), rng.uniform(0.008, 0.015), segments=8), "stem"))
    shade_h = height * rng.uniform(0.18, 0.3) if not floor else rng.uniform(0.2, 0.35)
    r_bottom = shade_h * rng.uniform(0.6, 1.2)
    r_top = r_bottom * rng.uniform(0.4, 1.0)
    y0 = stem_top - shade_h * rng.uniform(0.3, 0.7)
    if floor and rng.random() < 0.4:  # up-light bowl
        r_bottom, r_top = r_top * 0.3, r_bottom
        y0 = stem_top
    parts.append((common.vessel([r_bottom, r_top], [y0, y0 + shade_h], 0.004, closed_bottom=False), "shade"))
    return parts


def plant(rng):
    """Potted plant: a pot (round or square) with a bush of leaves, a small tree, or a rosette of long leaves."""
    pot_r, pot_h = rng.uniform(0.08, 0.18), rng.uniform(0.1, 0.25)
    parts = []
    if rng.random() < 0.7:
        taper = rng.uniform(0.6, 1.0)
        parts.append((common.vessel([pot_r * taper, pot_r, pot_r * 1.08, pot_r * 1.08], [0, pot_h * 0.9, pot_h * 0.9,
                                                                                      pot_h], 0.01,
                                    floor=pot_h * 0.8), "pot"))
    else:
        parts.append((meshes.box(2 * pot_r, pot_h, 2 * pot_r, center=(0, pot_h / 2, 0)), "pot"))
    style = pick(rng, ["bush", "tree", "rosette"])
    soil = pot_h * 0.85
    if style == "tree":
        trunk_h = rng.uniform(0.3, 0.8)
        parts.append((meshes.tube((0, soil, 0), (rng.normal(0, 0.03), soil + trunk_h, rng.normal(0, 0.03)),
                                  rng.uniform(0.01, 0.025), segments=8), "stem"))
        for _ in range(int(rng.integers(3, 8))):
            c = np.array([0, soil + trunk_h, 0]) + rng.normal(0, 0.08, 3)
            parts.append((meshes.sphere(rng.uniform(0.06, 0.14), center=c, segments=12, rings=6), "leaf"))
        return parts
    count = int(rng.integers(6, 16)) if style == "bush" else int(rng.integers(5, 12))
    for k in range(count):
        yaw = 2 * np.pi * (k + rng.uniform(-0.3, 0.3)) / count
        pitch = rng.uniform(0.15, 0.9) if style == "bush" else rng.uniform(0.3, 1.2)  # from vertical
        direction = np.array([np.sin(pitch) * np.cos(yaw), np.cos(pitch), np.sin(pitch) * np.sin(yaw)])
        stem_l = rng.uniform(0.1, 0.35) if style == "bush" else 0.02
        base = np.array([0.0, soil, 0.0]) + 0.3 * pot_r * np.array([np.cos(yaw), 0, np.sin(yaw)])
        tip = base + stem_l * direction
        if style == "bush":
            parts.append((meshes.tube(base, tip, rng.uniform(0.004, 0.008), segments=5), "stem"))
        length = rng.uniform(0.08, 0.18) if style == "bush" else rng.uniform(0.2, 0.5)
        width = length * (rng.uniform(0.3, 0.6) if style == "bush" else rng.uniform(0.08, 0.2))
        leaf = meshes.sphere(1.0, center=(0, length / 2, 0), segments=10, rings=5,
                             scale=(width / 2, length / 2, 0.004))
        parts.append((common.oriented(leaf, direction, tip), "leaf"))
        if style == "bush" and rng.random() < 0.6:  # a second leaf half-way along the stem
            side = np.cross(direction, [0.0, 1.0, 0.0])
            side = direction + 0.8 * side / max(np.linalg.norm(side), 1e-9)
            parts.append((common.oriented(leaf, side, (base + tip) / 2), "leaf"))
    if style == "rosette":
        parts.append((meshes.cylinder(0.02, 0.05, center=(0, soil + 0.025, 0), segments=8), "stem"))
    return parts


def cone(rng):
    """Cone: a traffic cone (hollow or not) on a square or round base plate, sometimes banded."""
    h = rng.uniform(0.3, 0.9)
    r = h * rng.uniform(0.15, 0.3)
    top = r * rng.uniform(0.05, 0.3)
    base_t = h * rng.uniform(0.02, 0.05)
    parts = [(meshes.cylinder(r, h - base_t, radius_top=top, center=(0, base_t + (h - base_t) / 2, 0), segments=28),
              "cone")]
    if rng.random() < 0.4:  # reflective band
        y = base_t + (h - base_t) * rng.uniform(0.4, 0.7)
        ry = r + (top - r) * (y - base_t) / (h - base_t)
        parts.append((meshes.cylinder(ry + 0.004, h * 0.08, radius_top=ry - 0.01 + 0.004, center=(0, y, 0)), "cone"))
    side = r * rng.uniform(2.2, 3.0)
    if rng.random() < 0.6:
        parts.append((meshes.rounded_box(side, base_t, side, side * 0.1, center=(0, base_t / 2, 0), axis="y"), "base"))
    else:
        parts.append((meshes.cylinder(side / 2, base_t, center=(0, base_t / 2, 0), segments=8), "base"))
    return parts


def _tub_rings(length, width, depth, radius, wall, rounded):
    """Rings (4, M, 3) of a bathtub basin: outer bottom, outer top (rim), inner top, inner floor (along x)."""
    def ring(l, w, y):
        xy = meshes.rounded_rect(l, w, radius if not rounded else w / 2, corner_points=6)
        return np.stack([xy[:, 0], np.full(len(xy), y), -xy[:, 1]], 1)
    taper = 0.85
    return np.stack([ring(length * taper, width * taper, 0.0), ring(length, width, depth),
                     ring(length - 2 * wall, width - 2 * wall, depth),
                     ring((length - 2 * wall) * taper, (width - 2 * wall) * taper, wall)])


def bathtub(rng):
    """Bathtub: freestanding (oval or rectangular, on feet or a plinth) or built in behind an apron, tap or not."""
    length, width = rng.uniform(1.4, 1.9), rng.uniform(0.65, 0.85)
    depth = rng.uniform(0.4, 0.6)
    freestanding = rng.random() < 0.5
    lift = rng.uniform(0.05, 0.15) if freestanding else 0.0
    rings = _tub_rings(length, width, depth, rng.uniform(0.05, 0.2), rng.uniform(0.04, 0.08),
                       rounded=freestanding and rng.random() < 0.6)
    rings[:, :, 1] += lift
    parts = [(meshes.loft(rings), "basin")]
    if freestanding:
        if rng.random() < 0.7:
            for x, z in common.corners(length * 0.8, width * 0.8, 0.05):
                parts.append((meshes.sphere(lift * 0.6, center=(x, lift * 0.6, z), segments=8, rings=4,
                                            scale=(1.0, 1.0, 1.0)), "foot"))
        else:
            parts.append((meshes.rounded_box(length * 0.7, lift + 0.01, width * 0.6, 0.05,
                                             center=(0, (lift + 0.01) / 2, 0), axis="y"), "foot"))
    else:  # apron: front and side panels down from the rim
        parts.append((meshes.box(length, depth, 0.03, center=(0, depth / 2, -width / 2 - 0.015)), "apron"))
        if rng.random() < 0.5:
            parts.append((meshes.box(0.03, depth, width, center=(-length / 2 - 0.015, depth / 2, 0)), "apron"))
    if rng.random() < 0.65:  # tap at the +x end
        x, y = length / 2 - 0.12, depth + lift
        parts.append((meshes.tube((x + 0.05, y, 0), (x + 0.05, y + 0.15, 0), 0.012, segments=8), "faucet"))
        parts.append((meshes.tube((x + 0.05, y + 0.15, 0), (x - 0.05, y + 0.14, 0), 0.01, segments=8), "faucet"))
    return parts


def toilet(rng):
    """Toilet: pedestal or wall-hung bowl, cistern, seat ring, lid closed or raised."""
    wall_hung = rng.random() < 0.25
    bowl_y = rng.uniform(0.38, 0.44)
    r = rng.uniform(0.17, 0.21)
    stretch = rng.uniform(1.15, 1.45)  # the bowl is longer front to back (z)
    t = np.linspace(0.0, 1.0, 7)
    bottom = bowl_y * (0.45 if wall_hung else 0.0)
    radii = np.where(t < 0.5, r * (0.55 + 0.3 * t), r * (0.55 + 0.15 + 0.6 * (t - 0.5)))
    if not wall_hung:
        radii[0] = r * rng.uniform(0.45, 0.6)
    bowl = common.vessel(radii, bottom + (bowl_y - bottom) * t, 0.02, floor=bowl_y * 0.55)
    bowl_z = -r * stretch * 0.35
    parts = [(meshes.transform(bowl, scale=(1.0, 1.0, stretch), translate=(0, 0, bowl_z)), "bowl")]
    tank_w, tank_d = rng.uniform(0.35, 0.45), rng.uniform(0.14, 0.22)
    tank_z = bowl_z + r * stretch + tank_d / 2 - 0.04
    if wall_hung:  # a flush plate on the wall instead of a cistern
        parts.append((meshes.box(tank_w, 0.3, 0.03, center=(0, bowl_y + 0.35, tank_z + tank_d / 2)), "tank"))
    else:
        tank_h = rng.uniform(0.3, 0.42)
        parts.append((meshes.rounded_box(tank_w, tank_h, tank_d, 0.02, center=(0, bowl_y + tank_h / 2 - 0.04, tank_z),
                                         axis="y"), "tank"))
    if rng.random() < 0.85:
        ring = meshes.lathe(np.array([r * 0.6, r * 1.02, r * 1.02, r * 0.6]), bowl_y + np.array([0, 0, 0.025, 0.025]),
                            28, closed_profile=True)
        parts.append((meshes.transform(ring, scale=(1.0, 1.0, stretch), translate=(0, 0.0, bowl_z)), "seat"))
        lid = meshes.transform(meshes.cylinder(r * 1.02, 0.015, segments=28), scale=(1.0, 1.0, stretch))
        if rng.random() < 0.5:  # closed
            parts.append((meshes.transform(lid, translate=(0, bowl_y + 0.035, bowl_z)), "lid"))
        else:  # raised against the cistern
            hinge_z = bowl_z + r * stretch
            lid = meshes.transform(lid, translate=(0, 0, -r * stretch))
            lid = meshes.transform(lid, rotate=meshes.rotation("x", -rng.uniform(1.4, 1.7)),
                                   translate=(0, bowl_y + 0.04, hinge_z))
            parts.append((lid, "lid"))
    return parts


def door(rng):
    """Door: a leaf with 0-6 raised panels or a glazed opening, in a frame or not, single or double, knob/lever."""
    double = rng.random() < 0.15
    w, h, t = rng.uniform(0.7, 1.0) * (1.8 if double else 1.0), rng.uniform(1.95, 2.2), rng.uniform(0.035, 0.05)
    parts = []
    leaves = 2 if double else 1
    leaf_w = w / leaves
    for k in range(leaves):
        cx = -w / 2 + leaf_w * (k + 0.5)
        parts.append((meshes.box(leaf_w - 0.004, h, t, center=(cx, h / 2, 0)), "panel"))
        style = pick(rng, ["flat", "panels", "glass"], [0.25, 0.55, 0.2])
        if style != "flat":
            rows = int(rng.integers(1, 4))
            columns = 1 if style == "glass" else int(rng.integers(1, 3))
            mw, mh = leaf_w * 0.14, h * 0.08
            xs = np.linspace(cx - leaf_w / 2 + mw, cx + leaf_w / 2 - mw, columns + 1)
            ys = np.linspace(mh, h - mh, rows + 1)
            for i in range(columns):
                for j in range(rows):
                    pw, ph = xs[i + 1] - xs[i] - mw * 0.6, ys[j + 1] - ys[j] - mh * 0.6
                    center = ((xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2)
                    for s in (-1, 1):  # raised (panels) or sunken (glass) on both faces
                        depth = t / 2 + (0.008 if style == "panels" else -0.01)
                        parts.append((meshes.box(pw, ph, 0.004, center=(center[0], center[1], s * depth)), "panel"))
        handle_x = cx + (leaf_w / 2 - 0.07) * (1 if k == leaves - 1 else -1) * (-1 if double and k == 0 else 1)
        for s in (-1, 1):
            if rng.random() < 0.5:
                parts.append((meshes.sphere(0.028, center=(handle_x, 1.0, s * (t / 2 + 0.05)), segments=10, rings=5),
                              "handle"))
                parts.append((meshes.tube((handle_x, 1.0, s * t / 2), (handle_x, 1.0, s * (t / 2 + 0.035)), 0.01,
                                          segments=8), "handle"))
            else:
                direction = -1 if handle_x > cx else 1
                parts.append((meshes.tube((handle_x, 1.0, s * t / 2), (handle_x, 1.0, s * (t / 2 + 0.05)), 0.01,
                                          segments=8), "handle"))
                parts.append((meshes.bar((handle_x, 1.0, s * (t / 2 + 0.05)),
                                         (handle_x + direction * 0.12, 1.0, s * (t / 2 + 0.05)), 0.018), "handle"))
    if rng.random() < 0.7:  # frame: two jambs and a head
        fw, fd = rng.uniform(0.05, 0.1), t * rng.uniform(1.5, 3.0)
        parts.append((meshes.box(fw, h + fw, fd, center=(-w / 2 - fw / 2, (h + fw) / 2, 0)), "frame"))
        parts.append((meshes.box(fw, h + fw, fd, center=(w / 2 + fw / 2, (h + fw) / 2, 0)), "frame"))
        parts.append((meshes.box(w + 2 * fw, fw, fd, center=(0, h + fw / 2, 0)), "frame"))
    return parts


def stairs(rng):
    """Stairs rising towards +z: solid or open treads on stringers, straight or spiral, 0-2 railings."""
    steps = int(rng.integers(4, 15))
    rise, run, w = rng.uniform(0.15, 0.2), rng.uniform(0.24, 0.32), rng.uniform(0.7, 1.5)
    parts = []
    if rng.random() < 0.15:  # spiral around a central column
        turn = rng.uniform(0.35, 0.6)
        for k in range(steps):
            a = k * turn
            tread = meshes.box(w, 0.04, 0.25, center=(w / 2 + 0.06, 0, 0))
            parts.append((meshes.transform(tread, rotate=meshes.rotation("y", a), translate=(0, (k + 1) * rise, 0)),
                          "step"))
        parts.append((meshes.tube((0, 0, 0), (0, (steps + 1) * rise + 0.9, 0), 0.06, segments=12), "stringer"))
        if rng.random() < 0.6:
            path = np.array([[(w + 0.06) * np.cos(-k * turn), (k + 1) * rise + 0.9, (w + 0.06) * np.sin(-k * turn)]
                             for k in np.linspace(0, steps - 1, 4 * steps)])
            parts.append((common.sweep(path, 0.02), "railing"))
            for k in range(steps):
                p = np.array([(w + 0.06) * np.cos(-k * turn), 0, (w + 0.06) * np.sin(-k * turn)])
                parts.append((meshes.tube(p + [0, (k + 1) * rise, 0], p + [0, (k + 1) * rise + 0.9, 0], 0.01,
                                          segments=6), "railing"))
        return parts
    solid = rng.random() < 0.5
    z0 = -steps * run / 2
    for k in range(steps):
        z = z0 + (k + 0.5) * run
        if solid:
            parts.append((meshes.box(w, (k + 1) * rise, run, center=(0, (k + 1) * rise / 2, z)), "step"))
        else:
            parts.append((meshes.box(w, 0.04, run * 1.05, center=(0, (k + 1) * rise - 0.02, z)), "step"))
    if not solid or rng.random() < 0.4:  # sloped stringers at the sides
        slope = np.array([[z0, 0.0], [z0 + run, 0.0], [z0 + steps * run, (steps - 1) * rise],
                          [z0 + steps * run, steps * rise + 0.05], [z0, rise + 0.05]])
        polygon = np.stack([slope[:, 0], slope[:, 1]], 1)
        for s in (-1, 1):
            parts.append((meshes.prism(polygon, 0.05, axis="x", center=(s * (w / 2 + 0.025), 0, 0)), "stringer"))
    for s in [s for s in (-1, 1) if rng.random() < 0.55]:
        x = s * (w / 2 + 0.03)
        bottom = np.array([x, rise + 0.9, z0 + run / 2])
        top = np.array([x, steps * rise + 0.9, z0 + (steps - 0.5) * run])
        parts.append((meshes.tube(bottom, top, 0.025, segments=8), "railing"))
        for k in range(0, steps, int(rng.integers(1, 3))):
            z = z0 + (k + 0.5) * run
            parts.append((meshes.bar((x, (k + 1) * rise, z), (x, (k + 1) * rise + 0.9, z), 0.025), "railing"))
    return parts


def tent(rng):
    """Tent: ridge (A-frame), dome, tunnel or teepee canopy, with its visible poles."""
    style = pick(rng, ["ridge", "dome", "tunnel", "teepee"])
    w, length, h = rng.uniform(1.2, 2.5), rng.uniform(1.5, 3.0), rng.uniform(1.0, 1.8)
    parts = []
    if style == "ridge":
        sag = rng.uniform(0.0, 0.2)
        polygon = np.array([[-w / 2, 0.0], [w / 2, 0.0], [w / 4 * (1 - sag), h * 0.5], [0.0, h],
                            [-w / 4 * (1 - sag), h * 0.5]])
        parts.append((meshes.prism(polygon, length, axis="z"), "canopy"))
        for s in (-1, 1):
            parts.append((meshes.tube((0, 0, s * (length / 2 + 0.02)), (0, h + 0.15, s * (length / 2 + 0.02)), 0.015,
                                      segments=6), "pole"))
        if rng.random() < 0.5:
            parts.append((meshes.tube((0, h + 0.02, -length / 2), (0, h + 0.02, length / 2), 0.015, segments=6),
                          "pole"))
    elif style == "dome":
        t = np.linspace(0, np.pi / 2, 8)
        dome = meshes.lathe(np.concatenate([[0.0], np.cos(t)]), np.concatenate([[0.0], np.sin(t)]), 24)
        parts.append((meshes.transform(dome, scale=(w / 2, h, length / 2)), "canopy"))
        for a in (np.pi / 4, -np.pi / 4) + ((0.0,) if rng.random() < 0.4 else ()):
            arc = common.arc((0, 0, 0), 1.03, 0, np.pi, plane="xy", count=16) * np.array([w / 2, h, 1.0])
            parts.append((meshes.transform(common.sweep(arc, 0.012), rotate=meshes.rotation("y", a)), "pole"))
        if rng.random() < 0.6:  # porch awning at the front
            parts.append((meshes.box(w * 0.4, 0.01, 0.5, center=(0, h * 0.55, -length / 2 - 0.2)), "canopy"))
    elif style == "tunnel":
        hoops = int(rng.integers(2, 5))
        t = np.linspace(0, np.pi, 12)
        rings = np.stack([np.stack([w / 2 * np.cos(t), h * np.sin(t), np.full_like(t, z)], 1)
                          for z in np.linspace(-length / 2, length / 2, 6)])
        parts.append((meshes.loft(rings, cap_start=False, cap_end=False), "canopy"))
        for z in np.linspace(-length / 2 * 0.8, length / 2 * 0.8, hoops):
            arc = common.arc((0, 0, z), 1.0, 0, np.pi, plane="xy", count=14) * np.array([w / 2 + 0.02, h + 0.02, 1.0])
            parts.append((common.sweep(arc, 0.015), "pole"))
    else:  # teepee: a many-sided cone with poles sticking out of the top
        sides = int(rng.integers(6, 11))
        parts.append((meshes.lathe([0.0, w / 2, 0.05, 0.0], [0.0, 0.0, h, h], sides), "canopy"))
        for k in range(int(rng.integers(3, 7))):
            a = 2 * np.pi * k / 5 + rng.uniform(-0.2, 0.2)
            foot = np.array([w / 2 * np.cos(a), 0.0, w / 2 * np.sin(a)])
            parts.append((meshes.tube(foot, -foot * 0.25 + [0, h * 1.25, 0], 0.015, segments=6), "pole"))
    return parts


MODELS = {
    "bathtub": (("basin", "apron", "foot", "faucet"), bathtub),
    "bottle": (("body", "neck", "cap"), bottle),
    "bowl": (("body", "base", "rim"), bowl),
    "cone": (("cone", "base"), cone),
    "cup": (("body", "handle", "saucer"), cup),
    "door": (("panel", "frame", "handle"), door),
    "lamp": (("base", "stem", "shade"), lamp),
    "plant": (("pot", "stem", "leaf"), plant),
    "stairs": (("step", "stringer", "railing"), stairs),
    "tent": (("canopy", "pole"), tent),
    "toilet": (("bowl", "tank", "seat", "lid"), toilet),
    "vase": (("body", "neck", "handle"), vase),
}
