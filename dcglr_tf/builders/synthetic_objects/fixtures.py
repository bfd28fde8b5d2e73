"""synthetic_objects fixtures of a house: bathtub, toilet, sink, door, curtain, stairs, range_hood.

Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common
from .common import pick


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
    """Stairs rising towards +z: solid or open treads on stringers, straight or spiral, 0-2 railings; or a
    step ladder (two splayed frames, treads on the front one)."""
    steps = int(rng.integers(2, 16))
    rise, run, w = rng.uniform(0.14, 0.22), rng.uniform(0.22, 0.34), rng.uniform(0.5, 1.6)
    parts = []
    if rng.random() < 0.12:
        return _step_ladder(rng)
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




def _step_ladder(rng):
    """Step ladder: front frame with 3-7 treads and a back frame, splayed apart from a top platform."""
    steps, h = int(rng.integers(3, 8)), rng.uniform(0.8, 2.0)
    w, splay = rng.uniform(0.4, 0.6), h * rng.uniform(0.2, 0.35)
    parts = []
    for s in (-1, 1):
        parts.append((meshes.bar((s * w / 2, 0, -splay), (s * w * 0.4, h, 0), 0.04, 0.02), "stringer"))
        parts.append((meshes.bar((s * w / 2, 0, splay), (s * w * 0.4, h, 0.02), 0.03, 0.02), "stringer"))
    for k in range(1, steps + 1):
        f = k / (steps + 1)
        parts.append((meshes.box(w * (1 - 0.2 * f), 0.02, 0.08, center=(0, h * f, -splay * (1 - f))), "step"))
    parts.append((meshes.box(w * 0.8, 0.03, 0.2, center=(0, h, 0.02)), "step"))
    if rng.random() < 0.5:  # a hand rail loop above the platform
        path = np.array([(-w * 0.4, h, 0.0), (-w * 0.4, h + 0.5, -0.05), (w * 0.4, h + 0.5, -0.05), (w * 0.4, h, 0.0)])
        parts.append((common.sweep(path, 0.012), "railing"))
    return parts


def _faucet(rng, x, y, z, reach):
    """A tap standing on (x, y, z): a vertical post and a spout bending forward (-z) by `reach`."""
    post_h = rng.uniform(0.1, 0.3)
    out = [meshes.tube((x, y, z), (x, y + post_h, z), 0.015, segments=8)]
    if rng.random() < 0.5:  # gooseneck
        out.append(common.sweep(common.arc((x, y + post_h, z - reach / 2), reach / 2, 0.0, np.pi, plane="zy",
                                           count=8), 0.011))
    else:
        out.append(meshes.tube((x, y + post_h, z), (x, y + post_h * 0.9, z - reach), 0.012, segments=8))
    return out


def sink(rng):
    """Sink: a basin set in a vanity cabinet or a kitchen counter (one or two bowls), on a pedestal, or hung on
    the wall on brackets; a tap behind the basin."""
    style = pick(rng, ["vanity", "counter", "pedestal", "wall"], [0.35, 0.2, 0.25, 0.2])
    bowls = 2 if style == "counter" and rng.random() < 0.5 else 1
    w = {"vanity": rng.uniform(0.5, 1.4), "counter": rng.uniform(0.8, 2.0)}.get(style, rng.uniform(0.4, 0.7))
    d = rng.uniform(0.4, 0.6)
    top = rng.uniform(0.78, 0.92)
    parts = []
    depth = rng.uniform(0.12, 0.22)
    slab_t = rng.uniform(0.03, 0.06)
    if style in ("vanity", "counter"):
        parts.append((meshes.box(w, slab_t, d, center=(0, top - slab_t / 2, 0)), "counter"))
        lift = pick(rng, [0.0, rng.uniform(0.08, 0.3)])
        body_h = top - slab_t - lift
        parts.append((meshes.box(w - 0.04, body_h, d - 0.04, center=(0, lift + body_h / 2, 0.02)), "cabinet"))
        doors = int(np.clip(round(w / 0.45), 1, 4))
        fronts, pulls = common.drawer_fronts(rng, -w / 2 + 0.03, w / 2 - 0.03, lift + 0.02, top - slab_t - 0.02,
                                             -d / 2 + 0.02, int(rng.integers(1, 3)), doors)
        parts += [(m, "cabinet") for m in fronts + pulls]
        if lift > 0:
            parts += [(m, "cabinet") for m in common.leg_set(rng, common.corners(w - 0.04, d - 0.04, 0.03), lift,
                                                             0.035)]
        bw = min(w / bowls - 0.1, rng.uniform(0.35, 0.55))
        for k in range(bowls):
            cx = 0.0 if bowls == 1 else (k - 0.5) * (bw + 0.06)
            rim = common.vessel([bw * 0.45, bw * 0.5], [top - depth, top + 0.002], 0.01, segments=24)
            parts.append((meshes.transform(rim, scale=(1.0, 1.0, d * 0.6 / bw), translate=(cx, 0, -0.02)), "basin"))
    else:
        bw = w
        bowl = common.vessel([bw * 0.2, bw * 0.42, bw * 0.5], [top - depth, top - depth * 0.3, top], 0.015,
                             segments=24)
        parts.append((meshes.transform(bowl, scale=(1.0, 1.0, d / bw)), "basin"))
        parts.append((meshes.box(bw, depth * 0.6, 0.04, center=(0, top - depth * 0.3, d / 2)), "basin"))
        if style == "pedestal":
            ped = common.smooth_profile(rng, 3, 0.06, 0.14, points=8)
            heights = np.linspace(0.0, top - depth, 8)
            parts.append((meshes.lathe(np.concatenate([[0.0], ped, [0.0]]),
                                       np.concatenate([[0.0], heights, [top - depth]]), 20), "cabinet"))
        else:  # wall-hung: two brackets and a back plate
            for s in (-1, 1):
                parts.append((meshes.bar((s * bw * 0.3, top - depth - 0.2, d / 2), (s * bw * 0.3, top - depth, 0.0),
                                         0.025), "cabinet"))
            parts.append((meshes.box(bw, 0.25, 0.015, center=(0, top - depth - 0.1, d / 2)), "cabinet"))
    tap_z = d / 2 - 0.06
    parts += [(m, "faucet") for m in _faucet(rng, 0.0, top, tap_z, d * rng.uniform(0.25, 0.45))]
    if style != "wall" and rng.random() < 0.4:  # a splash-back or mirror behind
        bh = rng.uniform(0.1, 0.8)
        parts.append((meshes.box(w, bh, 0.02, center=(0, top + bh / 2, d / 2 + 0.01)), "counter"))
    return parts


def curtain(rng):
    """Curtain: one or two pleated panels (a wavy sheet of some thickness) hanging from a rod or track, open,
    closed or tied back, sometimes under a valance; window, door or shower curtains."""
    w, h = rng.uniform(0.6, 3.0), rng.uniform(1.2, 2.6)
    panels = pick(rng, [1, 2], [0.4, 0.6])
    waves = rng.uniform(6, 14)
    amplitude = rng.uniform(0.02, 0.07)
    drawn = rng.uniform(0.5, 1.0)  # share of its half (or of the width) a panel covers
    tied = rng.random() < 0.3
    parts = []
    panel_w = w / panels
    for k in range(panels):
        side = 1 if (panels == 1 or k == 1) else -1
        outer = side * w / 2 if panels == 2 else w / 2
        width = panel_w * drawn
        tie_y = h * rng.uniform(0.3, 0.55)

        def surface(u, v, outer=outer, width=width, side=side, tie_y=tie_y):
            y = h * (1 - v)  # v from the rod (0) to the hem (1)
            squeeze = np.where(tied, 1 - 0.75 * np.exp(-((y - tie_y) / (0.15 * h)) ** 2), 1.0)
            x = outer - side * width * u * squeeze if panels == 2 else outer - width * u
            z = amplitude * np.sin(2 * np.pi * waves * u) * (1 + 0.5 * v)
            return x, y, z

        sheet = meshes.grid_mesh(surface, 48, 8)
        back = (sheet[0] + np.array([0.0, 0.0, 0.01]), sheet[1][:, ::-1])  # the other face of the cloth
        parts += [(sheet, "cloth"), (back, "cloth")]
    rod_y = h + 0.03
    if rng.random() < 0.75:
        parts.append((meshes.tube((-w / 2 - 0.1, rod_y, 0), (w / 2 + 0.1, rod_y, 0), rng.uniform(0.01, 0.02),
                                  segments=8), "rod"))
        for s in (-1, 1):
            parts.append((meshes.sphere(0.03, center=(s * (w / 2 + 0.1), rod_y, 0), segments=8, rings=4), "rod"))
    else:
        parts.append((meshes.box(w + 0.05, 0.03, 0.05, center=(0, rod_y, 0)), "rod"))
    if rng.random() < 0.3:  # valance (pelmet) across the top
        vh = rng.uniform(0.15, 0.4)
        parts.append((meshes.box(w + 0.1, vh, 0.03, center=(0, h - vh / 2 + 0.05, -0.06)), "valance"))
    return parts


def range_hood(rng):
    """Range hood: a chimney hood (pyramidal or curved-glass canopy under a tall duct), a flat under-cabinet
    slab, or an island hood; sometimes a visor or controls on the front."""
    w, d = rng.uniform(0.5, 1.2), rng.uniform(0.35, 0.65)
    style = pick(rng, ["chimney", "slab", "island", "glass"], [0.4, 0.25, 0.2, 0.15])
    parts = []
    body_h = rng.uniform(0.04, 0.15)
    parts.append((meshes.box(w, body_h, d, center=(0, body_h / 2, 0)), "body"))
    duct_w, duct_d = w * rng.uniform(0.25, 0.45), d * rng.uniform(0.4, 0.7)
    duct_h = rng.uniform(0.3, 1.1)
    duct_z = 0.0 if style == "island" else d / 2 - duct_d / 2
    if style == "slab":  # under a cabinet: a deeper box, no duct, a visor at the front
        box_h = rng.uniform(0.1, 0.3)
        parts.append((meshes.box(w, box_h, d * 0.9, center=(0, body_h + box_h / 2, d * 0.05)), "body"))
        parts.append((meshes.box(w, 0.02, rng.uniform(0.05, 0.2), center=(0, body_h * 0.5, -d / 2 - 0.05)),
                      "canopy"))
    else:
        canopy_h = rng.uniform(0.1, 0.4)
        bottom = np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]])
        upper = np.array([[-duct_w / 2, duct_z - duct_d / 2], [duct_w / 2, duct_z - duct_d / 2],
                          [duct_w / 2, duct_z + duct_d / 2], [-duct_w / 2, duct_z + duct_d / 2]])
        if style == "glass":  # a flat glass visor sloping up from the front edge instead of a canopy
            visor = meshes.box(w, 0.01, d * 0.9, center=(0, 0, 0))
            parts.append((meshes.transform(visor, rotate=meshes.rotation("x", -rng.uniform(0.3, 0.7)),
                                           translate=(0, body_h + canopy_h * 0.5, -d * 0.1)), "canopy"))
        else:
            rings = np.stack([np.stack([bottom[:, 0], np.full(4, body_h), bottom[:, 1]], 1),
                              np.stack([upper[:, 0], np.full(4, body_h + canopy_h), upper[:, 1]], 1)])
            parts.append((meshes.loft(rings), "canopy"))
        top = body_h + canopy_h
        parts.append((meshes.box(duct_w, duct_h, duct_d, center=(0, top + duct_h / 2, duct_z)), "duct"))
    if rng.random() < 0.5:  # control buttons on the front edge
        for x in np.linspace(-w * 0.3, -w * 0.1, int(rng.integers(2, 5))):
            parts.append((meshes.box(0.02, 0.015, 0.01, center=(x, body_h / 2, -d / 2 - 0.005)), "body"))
    return parts


MODELS = {
    "bathtub": (("basin", "apron", "foot", "faucet"), bathtub),
    "curtain": (("cloth", "rod", "valance"), curtain),
    "door": (("panel", "frame", "handle"), door),
    "range_hood": (("body", "canopy", "duct"), range_hood),
    "sink": (("basin", "counter", "cabinet", "faucet"), sink),
    "stairs": (("step", "stringer", "railing"), stairs),
    "toilet": (("bowl", "tank", "seat", "lid"), toilet),
}
