"""synthetic_objects devices and instruments: laptop, monitor, keyboard, piano, guitar, radio, xbox.

Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common
from .common import pick


def _key_grid(x0, x1, z0, z1, rows, columns, y, height, gap_fraction=0.2):
    """Keys of a rows x columns grid over x0..x1 (left-right) and z0..z1 (front-back), tops at y + height."""
    pitch_x, pitch_z = (x1 - x0) / columns, (z1 - z0) / rows
    xs = x0 + pitch_x * (np.arange(columns) + 0.5)
    zs = z0 + pitch_z * (np.arange(rows) + 0.5)
    centers = np.stack(np.meshgrid(xs, [y + height / 2], zs, indexing="ij"), -1).reshape(-1, 3)
    return meshes.boxes(centers, (pitch_x * (1 - gap_fraction), height, pitch_z * (1 - gap_fraction)))


def laptop(rng):
    """Laptop: slim or thick base with a key field (with or without a numeric pad) and a touchpad or not, a
    hinge barrel or not, 4:3 to wide screen opened 80-140 degrees about the back edge."""
    w, d = rng.uniform(0.28, 0.4), rng.uniform(0.2, 0.28)
    t, screen_t = rng.uniform(0.01, 0.035), rng.uniform(0.004, 0.02)
    parts = [(meshes.rounded_box(w, t, d, 0.01, center=(0, t / 2, 0), axis="y"), "base")]
    rows, columns = int(rng.integers(5, 8)), int(rng.integers(12, 19))
    keys_z1 = d / 2 - 0.02
    keys_z0 = keys_z1 - d * rng.uniform(0.35, 0.55)
    half = w / 2 * rng.uniform(0.6, 0.92)
    parts.append((_key_grid(-half, half, keys_z0, keys_z1, rows, columns, t, rng.uniform(0.002, 0.006)), "keyboard"))
    if rng.random() < 0.7:  # touchpad
        pad_d = (keys_z0 + d / 2) * rng.uniform(0.4, 0.7)
        parts.append((meshes.box(w * rng.uniform(0.25, 0.45), 0.001, pad_d,
                                 center=(0, t + 0.0005, (keys_z0 - d / 2) / 2)), "keyboard"))
    if rng.random() < 0.4:  # hinge barrel along the back edge
        barrel = meshes.transform(meshes.cylinder(t * 0.6, w * rng.uniform(0.5, 0.9), segments=12),
                                  rotate=meshes.rotation("z", np.pi / 2), translate=(0, t, d / 2))
        parts.append((barrel, "base"))
    opening = np.deg2rad(pick(rng, [rng.uniform(0, 5), rng.uniform(20, 80), rng.uniform(80, 180)], [0.08, 0.12, 0.8]))
    height = d * rng.uniform(0.75, 1.0)
    screen = meshes.rounded_box(w, height, screen_t, 0.01, center=(0, height / 2, 0), axis="z")
    screen = meshes.transform(screen, rotate=meshes.rotation("x", opening - np.pi / 2),
                              translate=(0, t, d / 2 - screen_t / 2))
    parts.append((screen, "screen"))
    return parts


def monitor(rng):
    """Monitor: flat panel (wide or 4:3) or deep CRT, on a neck with a disc / plate / V base."""
    crt = rng.random() < 0.2
    w = rng.uniform(0.35, 0.5) if crt else rng.uniform(0.45, 1.2)
    h = w * (0.75 if crt else pick(rng, [0.42, 0.5625, 0.625, 0.75, 0.8])) * rng.uniform(1.0, 1.1)
    depth = w * rng.uniform(0.8, 1.0) if crt else rng.uniform(0.015, 0.05)
    neck_h = rng.uniform(0.03, 0.08) if crt else rng.uniform(0.02, 0.35)
    base_t = 0.02
    bottom = base_t + neck_h
    screen = meshes.rounded_box(w, h, min(depth, 0.08), rng.uniform(0.005, 0.02), center=(0, bottom + h / 2, 0),
                                axis="z")
    parts = [(screen, "screen")]
    if crt:  # the tube's housing tapering to the back
        ring = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
        front = np.stack([ring[:, 0] * w / 2 * 0.95, bottom + h / 2 + ring[:, 1] * h / 2 * 0.95,
                          np.full(4, 0.04)], 1)
        back = np.stack([ring[:, 0] * w / 4, bottom + h / 2 + ring[:, 1] * h / 4, np.full(4, depth)], 1)
        parts.append((meshes.loft(np.stack([front, back])), "screen"))
    elif rng.random() < 0.6:  # a shallow bulge on the back
        parts.append((meshes.box(w * 0.5, h * 0.5, depth, center=(0, bottom + h / 2, depth * 0.75)), "screen"))
    stand_z = min(depth, 0.08) / 2 + 0.02 if not crt else depth * 0.4
    top = bottom + h * rng.uniform(0.3, 0.5)
    parts.append((meshes.bar((0, base_t, stand_z), (0, top, stand_z), rng.uniform(0.03, 0.07), 0.02), "stand"))
    kind = pick(rng, ["disc", "plate", "vee"])
    if kind == "disc":
        parts.append((meshes.cylinder(rng.uniform(0.08, 0.14), base_t, center=(0, base_t / 2, stand_z - 0.02)),
                      "base"))
    elif kind == "plate":
        parts.append((meshes.rounded_box(w * rng.uniform(0.35, 0.6), base_t, rng.uniform(0.15, 0.22), 0.02,
                                         center=(0, base_t / 2, stand_z - 0.03), axis="y"), "base"))
    else:
        for s in (-1, 1):
            parts.append((meshes.bar((0, base_t / 2, stand_z), (s * w * 0.3, base_t / 2, stand_z - 0.15), 0.04,
                                     base_t), "base"))
    return parts


def keyboard(rng):
    """Computer keyboard: a flat case with 5-6 key rows, with or without a numeric pad and spacebar gap."""
    rows = int(rng.integers(5, 7))
    pitch = rng.uniform(0.018, 0.02)
    main_columns = int(rng.integers(14, 16))
    numpad = rng.random() < 0.55
    w = pitch * (main_columns + (5 if numpad else 0)) + 0.03
    d = pitch * rows + 0.03
    t = rng.uniform(0.015, 0.03)
    case = meshes.rounded_box(w, t, d, 0.008, center=(0, t / 2, 0), axis="y")
    tilt = rng.uniform(0.0, 0.12)  # the back edge raised
    parts = [(case, "case")]
    x0 = -w / 2 + 0.015
    z0 = -d / 2 + 0.015
    key_h = rng.uniform(0.006, 0.012)
    grid = _key_grid(x0, x0 + pitch * main_columns, z0 + pitch, z0 + pitch * rows, rows - 1, main_columns, t, key_h)
    parts.append((grid, "key"))
    space_w = pitch * rng.uniform(5, 7)
    side = (pitch * main_columns - space_w) / 2
    parts.append((meshes.boxes([(0 + x0 + pitch * main_columns / 2, t + key_h / 2, z0 + pitch / 2),
                                (x0 + side / 2, t + key_h / 2, z0 + pitch / 2),
                                (x0 + pitch * main_columns - side / 2, t + key_h / 2, z0 + pitch / 2)],
                               [(space_w * 0.95, key_h, pitch * 0.8), (side * 0.9, key_h, pitch * 0.8),
                                (side * 0.9, key_h, pitch * 0.8)]), "key"))
    if numpad:
        nx = x0 + pitch * (main_columns + 1)
        parts.append((_key_grid(nx, nx + pitch * 4, z0, z0 + pitch * rows, rows, 4, t, key_h), "key"))
    return [(meshes.transform(mesh, rotate=meshes.rotation("x", -tilt)), part) for mesh, part in parts]


def piano(rng):
    """Piano: an upright (tall case, key shelf, toe blocks), a grand (curved case on 3 legs, lid up or down) or a
    digital piano (a slim case on side panels or an X stand), sometimes with a music desk and a bench."""
    parts = []
    key_y = rng.uniform(0.68, 0.75)
    style = pick(rng, ["upright", "grand", "digital"], [0.45, 0.35, 0.2])
    if style == "digital":
        w, d, case_h = rng.uniform(1.25, 1.45), rng.uniform(0.3, 0.45), rng.uniform(0.08, 0.15)
        parts.append((meshes.box(w, case_h, d, center=(0, key_y + case_h / 2 - 0.03, d * 0.1)), "body"))
        if rng.random() < 0.6:  # side panels and a pedal board
            for s in (-1, 1):
                parts.append((meshes.box(0.04, key_y - 0.03, d, center=(s * (w / 2 - 0.02), (key_y - 0.03) / 2,
                                                                         d * 0.1)), "leg"))
            parts.append((meshes.box(w - 0.08, rng.uniform(0.1, 0.5), 0.02, center=(0, 0.3, d * 0.5)), "leg"))
        else:  # an X stand
            for s in (-1, 1):
                x = s * w * 0.3
                parts.append((meshes.bar((x - 0.2, 0, 0), (x + 0.2, key_y - 0.05, 0), 0.04), "leg"))
                parts.append((meshes.bar((x + 0.2, 0, 0), (x - 0.2, key_y - 0.05, 0), 0.04), "leg"))
        key_z0, key_z1 = -d / 2 + d * 0.1 - 0.18, -d / 2 + d * 0.1
        x_keys = w / 2 - 0.08
    elif style == "upright":
        w, h, d = rng.uniform(1.4, 1.6), rng.uniform(1.0, 1.35), rng.uniform(0.5, 0.65)
        parts.append((meshes.box(w, h, d * 0.55, center=(0, h / 2, d * 0.225)), "body"))
        parts.append((meshes.box(w, h - key_y - 0.1, d * 0.1, center=(0, key_y + 0.1 + (h - key_y - 0.1) / 2,
                                                                      -d * 0.1)), "body"))
        parts.append((meshes.box(w, 0.03, d * 0.05, center=(0, h + 0.015, d * 0.2)), "lid"))
        key_z0, key_z1 = -d / 2, -d * 0.05
        for s in (-1, 1):
            parts.append((meshes.box(0.05, key_y + 0.05, d * 0.5, center=(s * (w / 2 - 0.025), (key_y + 0.05) / 2,
                                                                           -d * 0.25)), "leg"))
        x_keys = w / 2 - 0.06
    else:  # grand
        w, length = rng.uniform(1.4, 1.6), rng.uniform(1.5, 2.7)
        case_y, case_h = rng.uniform(0.6, 0.7), rng.uniform(0.25, 0.35)
        t = np.linspace(0, 1, 12)
        bent = np.stack([w / 2 - (w - 0.3) * (t ** 1.5) * 0.9,
                         -length / 2 + 0.4 + (length - 0.4) * np.sin(t * np.pi / 2)], 1)
        outline = np.concatenate([[[-w / 2, -length / 2], [w / 2, -length / 2]], bent, [[-w / 2, length / 2]]])
        polygon = np.stack([outline[:, 0], -outline[:, 1]], 1)  # (x, -z): counter-clockwise seen from above
        case = meshes.prism(polygon, case_h, axis="y", center=(0, case_y + case_h / 2, 0))
        parts.append((case, "body"))
        lid = meshes.prism(polygon, 0.02, axis="y")
        if rng.random() < 0.6:  # raised about the straight (left) side
            lid = meshes.transform(lid, translate=(w / 2, 0, 0))
            lid = meshes.transform(lid, rotate=meshes.rotation("z", rng.uniform(0.4, 0.8)),
                                   translate=(-w / 2, case_y + case_h + 0.01, 0))
        else:
            lid = meshes.transform(lid, translate=(0, case_y + case_h + 0.01, 0))
        parts.append((lid, "lid"))
        feet = [(-w / 2 + 0.12, -length / 2 + 0.3), (w / 2 - 0.12, -length / 2 + 0.3), (-w / 4, length / 2 - 0.3)]
        for x, z in feet:
            parts.append((meshes.tube((x, 0, z), (x, case_y, z), rng.uniform(0.04, 0.06), segments=10), "leg"))
        key_z0, key_z1 = -length / 2 - 0.18, -length / 2
        parts.append((meshes.box(w, 0.06, 0.2, center=(0, key_y - 0.04, -length / 2 - 0.1)), "body"))
        # Seen from the keys the straight side is on the left (+x here, as the player faces +z).
        parts = [(meshes.mirror_x(mesh), part) for mesh, part in parts]
        x_keys = w / 2 - 0.05
    parts.append((meshes.box(2 * x_keys, 0.025, key_z1 - key_z0, center=(0, key_y, (key_z0 + key_z1) / 2)),
                  "keyboard"))
    black = 36
    xs = np.linspace(-x_keys + 0.03, x_keys - 0.03, black)
    centers = np.stack([xs, np.full(black, key_y + 0.02), np.full(black, key_z1 - (key_z1 - key_z0) * 0.35)], 1)
    parts.append((meshes.boxes(centers, (0.012, 0.015, (key_z1 - key_z0) * 0.6)), "keyboard"))
    if rng.random() < 0.5:  # music desk above the keys, leaning back
        stand = meshes.box(w * 0.5, 0.3, 0.015, center=(0, 0.15, 0))
        parts.append((meshes.transform(stand, rotate=meshes.rotation("x", 0.25),
                                       translate=(0, key_y + 0.12, key_z1 + 0.05)), "body"))
    if rng.random() < 0.4:  # a bench in front of the keys
        bw, bd, bh = rng.uniform(0.6, 0.9), rng.uniform(0.3, 0.38), rng.uniform(0.45, 0.52)
        bz = key_z0 - rng.uniform(0.3, 0.45)
        parts.append((meshes.box(bw, 0.06, bd, center=(0, bh - 0.03, bz)), "bench"))
        for x, z in common.corners(bw, bd, 0.04):
            parts.append((common.leg("square", x, z + bz, bh - 0.06, 0.045), "bench"))
    return parts


def _guitar_outline(rng, length, electric):
    """(K, 2) counter-clockwise body outline in (x, y) from y = 0 to `length`: lower bout, waist, upper bout;
    an electric body is asymmetric (a longer upper horn on the right)."""
    lower, upper = rng.uniform(0.17, 0.21), rng.uniform(0.12, 0.16)
    waist = rng.uniform(0.6, 0.75)
    y = length * (1 - np.cos(np.linspace(0.0, np.pi, 26))) / 2
    half = lower * np.interp(y / length, [0.0, 0.03, 0.1, 0.28, 0.52, 0.62, 0.8, 0.95, 1.0],
                             [0.0, 0.62, 0.88, 1.0, waist, waist * 1.02, upper / lower, 0.6 * upper / lower, 0.0])
    right, left = half.copy(), half.copy()
    if electric:
        right *= np.where(y > 0.6 * length, 1.15, 1.0)
        left *= np.where(y > 0.6 * length, 0.8, 1.0)
    return np.concatenate([np.stack([right, y], 1)[:-1], np.stack([-left, y], 1)[::-1][:-1]])


def guitar(rng):
    """Guitar standing upright facing -z: acoustic (deep body, waist) or electric (thin, horns), neck, head."""
    electric = rng.random() < 0.4
    length = rng.uniform(0.46, 0.54)
    depth = rng.uniform(0.03, 0.05) if electric else rng.uniform(0.08, 0.12)
    outline = _guitar_outline(rng, length, electric)
    parts = [(meshes.prism(outline, depth, axis="z"), "body")]
    if not electric:
        parts.append((meshes.cylinder(0.04, 0.002, center=(0, 0, 0), segments=16), "body"))
        parts[-1] = (meshes.transform(parts[-1][0], rotate=meshes.rotation("x", np.pi / 2),
                                      translate=(0, length * 0.6, -depth / 2 - 0.001)), "body")
    neck_l = rng.uniform(0.33, 0.42) * (1.3 if rng.random() < 0.2 else 1.0)
    neck_w = rng.uniform(0.045, 0.06)
    neck_top = length * 0.85 + neck_l
    parts.append((meshes.bar((0, length * 0.85, -depth / 2 + 0.01), (0, neck_top, -depth / 2 + 0.01), neck_w, 0.025),
                  "neck"))
    head_l = rng.uniform(0.14, 0.18)
    head = meshes.box(neck_w * rng.uniform(1.2, 1.7), head_l, 0.018, center=(0, head_l / 2, 0))
    parts.append((meshes.transform(head, rotate=meshes.rotation("x", rng.uniform(0.05, 0.25)),
                                   translate=(0, neck_top, -depth / 2 + 0.01)), "head"))
    return parts


def _grille(radius, depth, center):
    """A round speaker grille on a front face (facing -z) at `center`: a shallow disc."""
    disc = meshes.transform(meshes.cylinder(radius, depth, segments=20), rotate=meshes.rotation("x", np.pi / 2))
    return meshes.transform(disc, translate=center)


def radio(rng):
    """Radio: a boombox (two speakers, carrying handle), a table radio (one grille, dial, arched or square top),
    a clock radio or a shortwave set with a telescopic antenna; knobs on the front or the top."""
    style = pick(rng, ["boombox", "table", "clock", "shortwave"])
    w = {"boombox": rng.uniform(0.35, 0.7), "clock": rng.uniform(0.15, 0.25)}.get(style, rng.uniform(0.2, 0.45))
    h = w * (rng.uniform(0.35, 0.6) if style in ("boombox", "clock") else rng.uniform(0.5, 0.9))
    d = w * rng.uniform(0.25, 0.6)
    radius = min(h, d) * rng.uniform(0.05, 0.3)
    parts = [(meshes.rounded_box(w, h, d, radius, center=(0, h / 2, 0), axis="z"), "case")]
    if style == "table" and rng.random() < 0.5:  # arched (cathedral) top
        a = np.linspace(0, np.pi, 13)
        arch = np.stack([w / 2 * np.cos(a), h + h * 0.35 * np.sin(a)], 1)
        parts.append((meshes.prism(np.concatenate([[[-w / 2, h * 0.9], [w / 2, h * 0.9]], arch]), d * 0.95,
                                   axis="z"), "case"))
    front = -d / 2
    if style == "boombox":
        r = min(h * 0.38, w * 0.2)
        for s in (-1, 1):
            parts.append((_grille(r, 0.01, (s * (w / 2 - r * 1.2), h * 0.45, front)), "speaker"))
        parts.append((meshes.box(w * 0.3, h * 0.3, 0.01, center=(0, h * 0.55, front)), "dial"))
    elif style == "clock":
        parts.append((meshes.box(w * 0.5, h * 0.5, 0.01, center=(-w * 0.15, h * 0.5, front)), "dial"))
        parts.append((meshes.boxes([(x, h * 0.5, front) for x in np.linspace(w * 0.2, w * 0.4, 3)], (0.01, h * 0.3,
                                                                                                       0.01)),
                      "speaker"))
    else:
        r = min(h, w) * rng.uniform(0.2, 0.35)
        side = pick(rng, [-1, 1])
        parts.append((_grille(r, 0.01, (side * w * 0.22, h * 0.5, front)), "speaker"))
        parts.append((meshes.box(w * 0.35, h * 0.25, 0.01, center=(-side * w * 0.22, h * 0.65, front)), "dial"))
    knobs = int(rng.integers(1, 5))
    on_top = rng.random() < 0.4
    for x in np.linspace(-w * 0.35, w * 0.35, knobs) if knobs > 1 else [w * 0.3]:
        knob = meshes.cylinder(min(h, w) * 0.06, 0.02, segments=10)
        if on_top:
            parts.append((meshes.transform(knob, translate=(x, h + 0.01, 0)), "knob"))
        else:
            parts.append((meshes.transform(knob, rotate=meshes.rotation("x", np.pi / 2),
                                           translate=(x, h * 0.15, front - 0.01)), "knob"))
    if style == "boombox" or (style == "table" and rng.random() < 0.3):  # carrying handle
        lift = h * rng.uniform(0.2, 0.4)
        path = np.array([(-w * 0.35, h, 0), (-w * 0.3, h + lift, 0), (w * 0.3, h + lift, 0), (w * 0.35, h, 0)])
        parts.append((common.sweep(path, min(h, w) * 0.03), "case"))
    if style == "shortwave" or rng.random() < 0.2:  # telescopic antenna, tilted
        tip = np.array([w * rng.uniform(-0.5, 0.5), h * rng.uniform(1.5, 3.0), d * rng.uniform(-1.0, 1.0)])
        parts.append((meshes.tube((w * 0.4, h, d * 0.3), tip, 0.004, segments=6), "antenna"))
    return parts


def xbox(rng):
    """Game console: a flat or upright box (the original's big box with a round jewel, a slim one with vents,
    a cube), a disc tray slot, feet or an upright stand, sometimes with a controller or a sensor bar beside it."""
    style = pick(rng, ["original", "slim", "cube"])
    if style == "cube":
        w = h = d = rng.uniform(0.25, 0.3)
        h *= rng.uniform(0.6, 1.0)
    else:
        w, h, d = rng.uniform(0.26, 0.34), rng.uniform(0.06, 0.11), rng.uniform(0.22, 0.28)
    radius = h * rng.uniform(0.05, 0.3)
    console = [(meshes.rounded_box(w, h, d, radius, center=(0, h / 2, 0), axis="z"), "body")]
    console.append((meshes.box(w * 0.5, h * 0.08, 0.006, center=(-w * 0.1, h * 0.6, -d / 2 - 0.003)), "tray"))
    if style == "original":
        console.append((_grille(h * 0.25, 0.01, (w * 0.3, h * 0.55, -d / 2)), "tray"))
    else:  # vent slots on the top
        centers = [(x, h + 0.002, d * 0.1) for x in np.linspace(-w * 0.4, w * 0.4, int(rng.integers(8, 20)))]
        console.append((meshes.boxes(centers, (0.004, 0.004, d * 0.6)), "body"))
    upright = style == "slim" and rng.random() < 0.5
    if upright:  # stood on its side on a stand
        console = [(meshes.transform(m, rotate=meshes.rotation("z", np.pi / 2), translate=(h / 2 + 0.02, 0.0, 0.0)),
                    part) for m, part in console]
        console.append((meshes.box(h * 1.6, 0.02, d * 0.6, center=(0, 0.01, 0)), "stand"))
        console = [(meshes.transform(m, translate=(0, 0.02, 0)) if part != "stand" else m, part)
                   for m, part in console]
        console = [(meshes.transform(m, translate=(-(h / 2 + 0.02), 0, 0)), part) for m, part in console]
    else:
        console = [(meshes.transform(m, translate=(0, 0.01, 0)), part) for m, part in console]
        console += [(meshes.cylinder(0.012, 0.01, center=(x, 0.005, z), segments=8), "stand")
                    for x, z in common.corners(w, d, 0.03)]
    if rng.random() < 0.3:  # a controller beside the console
        pad = meshes.sphere(1.0, center=(0, 0.02, 0), segments=12, rings=6, scale=(0.075, 0.02, 0.05))
        grips = [meshes.sphere(1.0, center=(s * 0.05, 0.015, 0.03), segments=8, rings=4, scale=(0.025, 0.015, 0.04))
                 for s in (-1, 1)]
        x = w / 2 + 0.12
        console += [(meshes.transform(m, rotate=meshes.rotation("y", rng.uniform(-0.5, 0.5)),
                                      translate=(x, 0.0, rng.uniform(-0.1, 0.1))), "controller")
                    for m in [pad] + grips]
    return console


MODELS = {
    "guitar": (("body", "neck", "head"), guitar),
    "keyboard": (("case", "key"), keyboard),
    "laptop": (("base", "screen", "keyboard"), laptop),
    "monitor": (("screen", "stand", "base"), monitor),
    "piano": (("body", "keyboard", "leg", "lid", "bench"), piano),
    "radio": (("case", "speaker", "dial", "knob", "antenna"), radio),
    "xbox": (("body", "tray", "stand", "controller"), xbox),
}
