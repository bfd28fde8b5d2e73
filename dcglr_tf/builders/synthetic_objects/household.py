"""synthetic_objects household objects: bottle, bowl, cup, vase, flower_pot, plant, lamp, cone, tent.

Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common
from .common import pick


def bottle(rng):
    """Bottle: round or square body, sloped or flat shoulder, short or long neck, with or without a cap."""
    style = pick(rng, ["wine", "water", "square", "flask", "jug"])
    r = rng.uniform(0.03, 0.06) if style not in ("flask", "jug") else rng.uniform(0.05, 0.1)
    body_h = r * rng.uniform(1.0, 5.0)
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
        if style == "jug":  # a handle from the shoulder down the side
            path = np.array([(neck_r, body_h + shoulder_h * 0.8, 0), (r * 1.35, body_h, 0),
                             (r * 1.3, body_h * 0.55, 0), (r * 0.95, body_h * 0.45, 0)])
            parts.append((common.sweep(path, r * 0.08), "body"))
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
    r = rng.uniform(0.06, 0.15)
    h = r * rng.uniform(0.25, 1.0)
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
    """Cup / mug: squat to tall, straight, tapered or barrel body; a C- or D-shaped handle on the right (+x),
    two handles, or none (a glass, a paper cup with a lid); sometimes on a saucer."""
    r = rng.uniform(0.03, 0.05)
    h = r * rng.uniform(0.9, 3.5)
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
    handles = pick(rng, [0, 1, 2], [0.3, 0.6, 0.1])  # a glass or paper cup has none, a soup cup two
    parts += [(handle, "handle"), (meshes.mirror_x(handle), "handle")][:handles]
    if handles == 0 and rng.random() < 0.4:  # a lid on a paper cup
        top = radii[-1]
        parts.append((meshes.cylinder(top * 1.05, h * 0.08, radius_top=top * 0.85, center=(0, h + h * 0.04, 0),
                                      segments=20), "lid"))
    elif rng.random() < 0.25:  # on a saucer
        sr = r * rng.uniform(1.6, 2.2)
        saucer = common.vessel([sr * 0.45, sr * 0.9, sr], [0.0, 0.006, 0.015], 0.004)
        parts = [(meshes.transform(mesh, translate=(0, 0.006, 0)), part) for mesh, part in parts]
        parts.append((saucer, "saucer"))
    return parts


def vase(rng):
    """Vase: a random smooth profile (bulb, amphora, cylinder, flute) with a neck and lip, sometimes handles."""
    h = rng.uniform(0.2, 0.5)
    r = h * rng.uniform(0.1, 0.6)
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
    """Lamp: table lamp, floor lamp, arc floor lamp, jointed desk lamp, pendant or chandelier hanging from a
    ceiling plate; disc / dome / urn / tripod bases; open conical, drum or dome shades."""
    style = pick(rng, ["table", "floor", "desk", "pendant", "arc"], [0.3, 0.2, 0.2, 0.18, 0.12])
    if style == "pendant":
        return _pendant_lamp(rng)
    if style == "arc":
        return _arc_lamp(rng)
    if style == "desk":
        return _desk_lamp(rng)
    return standing_lamp(rng, floor=style == "floor")


def _pendant_lamp(rng):
    """Pendant lamp (one shade on a cord) or chandelier (arms from a hub), hanging from a ceiling plate."""
    parts = []
    drop = rng.uniform(0.3, 1.2)
    parts.append((meshes.cylinder(rng.uniform(0.04, 0.1), 0.03, center=(0, drop + 0.015, 0), segments=16), "base"))
    arms = pick(rng, [0, rng.integers(3, 7)], [0.6, 0.4])
    shade_r = rng.uniform(0.1, 0.3) if arms == 0 else rng.uniform(0.04, 0.08)
    hub = drop * rng.uniform(0.2, 0.5) if arms else 0.0
    parts.append((meshes.tube((0, hub, 0), (0, drop, 0), 0.006 if not arms else 0.015, segments=6), "stem"))
    spots = [(0.0, 0.0)]
    if arms:
        reach = rng.uniform(0.2, 0.45)
        spots = [(reach * np.cos(2 * np.pi * k / arms), reach * np.sin(2 * np.pi * k / arms)) for k in range(arms)]
        for x, z in spots:
            path = np.array([(0, hub, 0), (x * 0.5, hub - 0.03, z * 0.5), (x, hub, z)])
            parts.append((common.sweep(path, 0.008, segments=6), "stem"))
    for x, z in spots:
        shade_h = shade_r * rng.uniform(0.6, 1.4)
        kind = pick(rng, ["cone", "drum", "dome"])
        if kind == "dome":
            t = np.linspace(0.0, np.pi / 2, 6)
            shade = common.vessel(shade_r * np.cos(t) + 0.005, shade_h * np.sin(t), 0.004, closed_bottom=False)
        else:
            r_top = shade_r * (1.0 if kind == "drum" else rng.uniform(0.2, 0.5))
            shade = common.vessel([shade_r, r_top], [0.0, shade_h], 0.004, closed_bottom=False)
        parts.append((meshes.transform(shade, translate=(x, hub - shade_h * 0.8, z)), "shade"))
    return parts


def _arc_lamp(rng):
    """Arc floor lamp: a heavy base, a stem curving up and out, a dome shade hanging from its end."""
    height, reach = rng.uniform(1.5, 2.1), rng.uniform(0.8, 1.6)
    base = (meshes.cylinder(rng.uniform(0.12, 0.2), 0.05, center=(0, 0.025, 0), segments=20) if rng.random() < 0.5
            else meshes.box(0.3, 0.08, 0.3, center=(0, 0.04, 0)))
    t = np.linspace(0.0, np.pi / 2, 10)
    path = np.stack([reach * (1 - np.cos(t)), 0.05 + (height - 0.05) * np.sin(t), np.zeros_like(t)], 1)
    shade_r = rng.uniform(0.15, 0.3)
    t = np.linspace(0.0, np.pi / 2, 6)
    shade = common.vessel(shade_r * np.cos(t) + 0.01, shade_r * 0.8 * np.sin(t), 0.004, closed_bottom=False)
    return [(base, "base"), (common.sweep(path, 0.012, segments=6), "stem"),
            (meshes.transform(shade, translate=(reach, height - shade_r, 0)), "shade")]


def _desk_lamp(rng):
    """Jointed desk lamp: a disc base, two arms and a small shade pointing down and forwards."""
    parts = []
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


def standing_lamp(rng, floor=False):
    """Table lamp (or floor lamp with `floor`): a disc, dome, urn or tripod base, a stem and an open shade."""
    parts = []
    height = rng.uniform(1.3, 1.8) if floor else rng.uniform(0.3, 0.6)
    base_kind = pick(rng, ["disc", "dome", "tripod"] if floor else ["disc", "dome", "urn"])
    base_r = height * rng.uniform(0.12, 0.2) if floor else height * rng.uniform(0.2, 0.45)
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
    shade_h = height * rng.uniform(0.18, 0.4) if not floor else rng.uniform(0.2, 0.35)
    r_bottom = shade_h * rng.uniform(0.6, 1.5)
    r_top = r_bottom * rng.uniform(0.4, 1.0)
    y0 = stem_top - shade_h * rng.uniform(0.3, 0.7)
    if floor and rng.random() < 0.4:  # up-light bowl
        r_bottom, r_top = r_top * 0.3, r_bottom
        y0 = stem_top
    parts.append((common.vessel([r_bottom, r_top], [y0, y0 + shade_h], 0.004, closed_bottom=False), "shade"))
    return parts


def _pot(rng, pot_r, pot_h):
    """A plant pot standing on the floor: tapered with a rim, straight, urn-shaped (open) or square."""
    style = pick(rng, ["tapered", "straight", "urn", "square"], [0.4, 0.2, 0.2, 0.2])
    if style == "square":
        taper = rng.uniform(0.7, 1.0)
        rings = np.stack([np.stack([sx * np.array([-1, 1, 1, -1]), np.full(4, y), sx * np.array([-1, -1, 1, 1])], 1)
                          for sx, y in ((pot_r * taper, 0.0), (pot_r, pot_h))])
        return meshes.loft(rings)
    if style == "urn":
        radii = common.smooth_profile(rng, 4, 0.5 * pot_r, pot_r, points=8)
        return common.vessel(radii, np.linspace(0.0, pot_h, 8), 0.01, floor=pot_h * 0.6)
    taper = rng.uniform(0.55, 0.85) if style == "tapered" else 1.0
    rim = rng.uniform(1.0, 1.12) if style == "tapered" else 1.0
    return common.vessel([pot_r * taper, pot_r, pot_r * rim, pot_r * rim], [0, pot_h * 0.88, pot_h * 0.88, pot_h],
                         0.01, floor=pot_h * 0.8)


def _foliage(rng, soil, pot_r, size):
    """What grows from the soil at height `soil`: a bush of leaves on stems, a small tree (trunk and crown) or a
    rosette of long leaves; `size` scales it. [(mesh, "stem" or "leaf"), ...]."""
    style = pick(rng, ["bush", "tree", "rosette"])
    parts = []
    if style == "tree":
        trunk_h = rng.uniform(0.3, 0.9) * size
        parts.append((meshes.tube((0, soil, 0), (rng.normal(0, 0.03), soil + trunk_h, rng.normal(0, 0.03)),
                                  rng.uniform(0.01, 0.025), segments=8), "stem"))
        for _ in range(int(rng.integers(3, 8))):
            c = np.array([0, soil + trunk_h, 0]) + rng.normal(0, 0.08 * size, 3)
            parts.append((meshes.sphere(rng.uniform(0.06, 0.14) * size, center=c, segments=12, rings=6), "leaf"))
        return parts
    count = int(rng.integers(6, 16)) if style == "bush" else int(rng.integers(5, 12))
    for k in range(count):
        yaw = 2 * np.pi * (k + rng.uniform(-0.3, 0.3)) / count
        pitch = rng.uniform(0.15, 0.9) if style == "bush" else rng.uniform(0.3, 1.2)  # from vertical
        direction = np.array([np.sin(pitch) * np.cos(yaw), np.cos(pitch), np.sin(pitch) * np.sin(yaw)])
        stem_l = rng.uniform(0.1, 0.35) * size if style == "bush" else 0.02
        base = np.array([0.0, soil, 0.0]) + 0.3 * pot_r * np.array([np.cos(yaw), 0, np.sin(yaw)])
        tip = base + stem_l * direction
        if style == "bush":
            parts.append((meshes.tube(base, tip, rng.uniform(0.004, 0.008), segments=5), "stem"))
        length = (rng.uniform(0.08, 0.18) if style == "bush" else rng.uniform(0.2, 0.5)) * size
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


def plant(rng):
    """Potted plant: foliage (bush, tree or rosette) that outgrows its pot; the pot round, urn or square, on a
    saucer or a stand sometimes."""
    pot_r = rng.uniform(0.08, 0.2)
    pot_h = pot_r * rng.uniform(0.7, 2.0)
    lift = rng.uniform(0.2, 0.6) if rng.random() < 0.15 else 0.0
    parts = [(meshes.transform(_pot(rng, pot_r, pot_h), translate=(0, lift, 0)), "pot")]
    if lift > 0:  # a plant stand: three legs under the pot
        for k in range(3):
            a = 2 * np.pi * k / 3
            parts.append((meshes.tube((pot_r * 1.2 * np.cos(a), 0, pot_r * 1.2 * np.sin(a)),
                                      (pot_r * 0.8 * np.cos(a), lift, pot_r * 0.8 * np.sin(a)), 0.012, segments=6),
                          "pot"))
    return parts + _foliage(rng, lift + pot_h * 0.85, pot_r, rng.uniform(0.8, 2.0))


def flower_pot(rng):
    """Flower pot: the pot is the object (round, urn or square, often on a saucer), empty or with a small plant
    or a few flowers in it."""
    pot_r = rng.uniform(0.08, 0.25)
    pot_h = pot_r * rng.uniform(0.7, 2.0)
    parts = [(_pot(rng, pot_r, pot_h), "pot")]
    if rng.random() < 0.4:  # saucer
        sr = pot_r * rng.uniform(1.0, 1.3)
        parts = [(meshes.transform(mesh, translate=(0, 0.02, 0)), part) for mesh, part in parts]
        parts.append((common.vessel([sr * 0.8, sr], [0.0, 0.025], 0.006), "saucer"))
    soil = pot_h * 0.85
    kind = pick(rng, ["empty", "plant", "flowers"], [0.3, 0.45, 0.25])
    if kind == "plant":
        parts += [(mesh, "plant") for mesh, _ in _foliage(rng, soil, pot_r, rng.uniform(0.3, 0.9))]
    elif kind == "flowers":
        for _ in range(int(rng.integers(3, 9))):
            tip = np.array([rng.normal(0, pot_r * 0.4), soil + rng.uniform(0.1, 0.35), rng.normal(0, pot_r * 0.4)])
            parts.append((meshes.tube((tip[0] * 0.3, soil, tip[2] * 0.3), tip, 0.004, segments=5), "plant"))
            parts.append((meshes.sphere(rng.uniform(0.015, 0.04), center=tip, segments=8, rings=4,
                                        scale=(1.0, 0.5, 1.0)), "plant"))
    else:  # soil surface
        parts.append((meshes.cylinder(pot_r * 0.9, 0.01, center=(0, soil, 0), segments=20), "plant"))
    return parts


def cone(rng):
    """Cone: a traffic cone or another conical object, squat to slender, pointed or truncated, sometimes banded,
    on a square or round base plate or none."""
    h = rng.uniform(0.3, 0.9)
    r = h * rng.uniform(0.12, 0.6)
    top = r * rng.uniform(0.0, 0.35)
    base_t = h * rng.uniform(0.02, 0.05)
    parts = [(meshes.cylinder(r, h - base_t, radius_top=top, center=(0, base_t + (h - base_t) / 2, 0), segments=28),
              "cone")]
    if rng.random() < 0.4:  # reflective band
        y = base_t + (h - base_t) * rng.uniform(0.4, 0.7)
        ry = r + (top - r) * (y - base_t) / (h - base_t)
        parts.append((meshes.cylinder(ry + 0.004, h * 0.08, radius_top=ry - 0.01 + 0.004, center=(0, y, 0)), "cone"))
    side = r * rng.uniform(2.0, 3.0)
    plate = pick(rng, ["square", "round", "none"], [0.45, 0.3, 0.25])
    if plate == "none":  # a thin rim instead
        parts.append((meshes.cylinder(r * 1.08, base_t, center=(0, base_t / 2, 0), segments=28), "base"))
    elif plate == "square":
        parts.append((meshes.rounded_box(side, base_t, side, side * 0.1, center=(0, base_t / 2, 0), axis="y"), "base"))
    else:
        parts.append((meshes.cylinder(side / 2, base_t, center=(0, base_t / 2, 0), segments=8), "base"))
    return parts


def tent(rng):
    """Tent: ridge (A-frame), dome, tunnel, teepee, cabin (walls and a roof) or canopy (a roof on four poles),
    with its visible poles, sometimes a porch awning."""
    style = pick(rng, ["ridge", "dome", "tunnel", "teepee", "cabin", "canopy"], [0.2, 0.2, 0.15, 0.15, 0.15, 0.15])
    w, length, h = rng.uniform(1.2, 3.0), rng.uniform(1.5, 3.5), rng.uniform(1.0, 2.2)
    parts = []
    if style in ("cabin", "canopy"):  # upright walls (cabin) or open sides (canopy / gazebo) under a roof
        wall_h = h * rng.uniform(0.55, 0.75)
        hip = rng.random() < 0.5
        if style == "cabin":
            parts.append((meshes.box(w, wall_h, length, center=(0, wall_h / 2, 0)), "canopy"))
        out = 0.04 if style == "cabin" else 0.0  # a cabin tent's frame stands just outside its walls
        parts += [(meshes.tube((x, 0, z), (x, wall_h, z), 0.02, segments=6), "pole")
                  for x, z in common.corners(w + out, length + out, 0.0)]
        if style == "canopy" and rng.random() < 0.5:  # a valance strip under the roof edge
            parts.append((meshes.box(w, 0.15, length, center=(0, wall_h - 0.075, 0)), "canopy"))
        ridge = 0.0 if hip else length / 2
        rings = np.stack([np.stack([np.array([-w, w, w, -w]) / 2, np.full(4, wall_h), np.array([-1, -1, 1, 1]) *
                                    length / 2], 1),
                          np.stack([np.array([-0.01, 0.01, 0.01, -0.01]), np.full(4, h),
                                    np.array([-1, -1, 1, 1]) * max(ridge, 0.01)], 1)])
        parts.append((meshes.loft(rings), "canopy"))
    elif style == "ridge":
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
    if rng.random() < 0.5:  # the door flap rolled open into a porch awning on two poles at the front
        aw, ad, ah = w * rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.8), h * rng.uniform(0.5, 0.8)
        z = -length / 2 if style != "teepee" else -w / 2
        awning = meshes.box(aw, 0.01, ad, center=(0, 0, -ad / 2))
        parts.append((meshes.transform(awning, rotate=meshes.rotation("x", -rng.uniform(0.0, 0.4)),
                                       translate=(0, ah, z)), "awning"))
        for s in (-1, 1):
            parts.append((meshes.tube((s * aw / 2, 0, z - ad), (s * aw / 2, ah, z - ad), 0.012, segments=6), "awning"))
    return parts


MODELS = {
    "bottle": (("body", "neck", "cap"), bottle),
    "bowl": (("body", "base", "rim"), bowl),
    "cone": (("cone", "base"), cone),
    "cup": (("body", "handle", "saucer", "lid"), cup),
    "lamp": (("base", "stem", "shade"), lamp),
    "flower_pot": (("pot", "saucer", "plant"), flower_pot),
    "plant": (("pot", "stem", "leaf"), plant),
    "tent": (("canopy", "pole", "awning"), tent),
    "vase": (("body", "neck", "handle"), vase),
}
