"""synthetic_objects vehicles: airplane (the ModelNet40 convention: fuselage along z, nose towards -z, wings along
x, y up) and car (nose towards -z).

Each maker: rng -> [(mesh, part name)], y up, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from .common import pick


def _airfoil_ring(chord, thickness, count=10):
    """Closed airfoil-like section (2 * count - 2, 2) in (chord, thickness) coordinates: leading edge at 0,
    counter-clockwise, rounded nose, sharp trailing edge."""
    u = (1 - np.cos(np.linspace(0.0, np.pi, count))) / 2
    half = thickness / 2 * 2.6 * np.sqrt(u) * (1 - u)  # peak near 30 % chord
    upper = np.stack([u * chord, half], 1)
    lower = np.stack([u * chord, -half], 1)[::-1][1:-1]
    return np.concatenate([upper, lower])


def wing(span, root_chord, tip_chord, sweep, dihedral, thickness=0.1, twist_y=0.0):
    """Right wing (x from 0 to `span`) lying in the x-z plane: leading edge at z = 0 at the root, swept back
    (towards +z) by angle `sweep`, tip raised by angle `dihedral`; sections are airfoils `thickness` x chord."""
    rings = []
    for t in np.linspace(0.0, 1.0, 3):
        chord = root_chord + (tip_chord - root_chord) * t
        x = span * t
        section = _airfoil_ring(chord, thickness * chord)
        z_lead = x * np.tan(sweep)
        y = x * np.tan(dihedral) + twist_y * t
        # Sections face the wing's span (x): (chord -> +z, thickness -> y).
        rings.append(np.stack([np.full(len(section), x), y + section[:, 1], z_lead + section[:, 0]], 1))
    return meshes.loft(np.stack(rings))


def _pair(mesh):
    return [mesh, meshes.mirror_x(mesh)]


def _nacelle(radius, length, center):
    """Engine pod along z (intake at the front, -z), centred on `center`."""
    t = np.linspace(0.0, 1.0, 6)
    radii = radius * np.concatenate([[0.0], 0.9 + 0.1 * np.sin(np.pi * t), [0.0]])
    heights = length * np.concatenate([[0.0], t, [1.0]])
    pod = meshes.lathe(radii, heights - length / 2, 14)
    return meshes.transform(pod, rotate=meshes.rotation("x", -np.pi / 2), translate=center)


def airplane(rng):
    """Airplane: airliner (2 or 4 wing engines), business jet (rear engines, T-tail), propeller plane (nose or wing
    props, high or low straight wing), fighter (delta wing, twin or single fin, tail nozzles)."""
    style = pick(rng, ["airliner", "jet", "prop", "fighter"], [0.4, 0.2, 0.2, 0.2])
    length = 1.0
    r = length * (rng.uniform(0.045, 0.06) if style == "fighter" else rng.uniform(0.035, 0.06))
    nose = length * (rng.uniform(0.15, 0.25) if style == "fighter" else rng.uniform(0.07, 0.12))
    tail_start = rng.uniform(0.65, 0.75)
    stations = np.concatenate([np.linspace(0.0, nose, 6)[1:] / length, np.linspace(nose / length, tail_start, 3)[1:],
                               np.linspace(tail_start, 1.0, 5)[1:]])
    aft = np.clip((stations - tail_start) / (1 - tail_start), 0.0, 1.0)  # 0 before the tail cone, 1 at the end
    radius = np.where(stations < nose / length, r * np.sqrt(np.clip(stations * length / nose, 0, 1)),
                      r * (1 - 0.85 * aft))
    rise = r * 0.7 * aft ** 1.5  # the tail cone sweeps up
    a = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    rings = [np.stack([rr * np.cos(a), y + rr * 1.05 * np.sin(a), np.full(len(a), -length / 2 + s * length)], 1)
             for s, rr, y in zip(stations, np.maximum(radius, 0.002), rise)]
    rings.insert(0, np.array([[0.0, 0.0, -length / 2]] * len(a)) + rings[0] * [0.2, 0.2, 0.0])
    parts = [(meshes.loft(np.stack(rings)), "fuselage")]

    # Main wings.
    if style == "fighter":
        span, root, taper = rng.uniform(0.22, 0.32), rng.uniform(0.35, 0.5), rng.uniform(0.05, 0.2)
        sweep, dihedral, wing_y = np.deg2rad(rng.uniform(40, 60)), np.deg2rad(rng.uniform(-3, 2)), 0.0
        root_z = -length / 2 + length * rng.uniform(0.4, 0.5)
    else:
        span, root = rng.uniform(0.38, 0.6), rng.uniform(0.12, 0.2)
        straight = style == "prop"
        taper = rng.uniform(0.5, 0.9) if straight else rng.uniform(0.25, 0.45)
        sweep = np.deg2rad(rng.uniform(0, 6) if straight else rng.uniform(22, 35))
        dihedral = np.deg2rad(rng.uniform(0, 6))
        high = style == "prop" and rng.random() < 0.5
        wing_y = r * (0.75 if high else -0.5)
        root_z = -length / 2 + length * rng.uniform(0.32, 0.45)
    main = meshes.transform(wing(span, root, root * taper, sweep, dihedral), translate=(r * 0.5, wing_y, root_z))
    parts += [(m, "wing") for m in _pair(main)]

    # Tail: horizontal stabiliser and fin(s).
    fin_h = r * rng.uniform(2.5, 4.0)
    fin_chord = length * rng.uniform(0.1, 0.16)
    fin_z = length / 2 - fin_chord * 1.05
    fin_sweep = np.deg2rad(rng.uniform(30, 50))
    t_tail = style == "jet" or (style == "prop" and rng.random() < 0.2)
    fins = [(0.0, 0.0)] if style != "fighter" or rng.random() < 0.4 else [(-r * 0.6, 0.25), (r * 0.6, -0.25)]
    for x, cant in fins:
        fin = wing(fin_h, fin_chord, fin_chord * rng.uniform(0.4, 0.7), fin_sweep, 0.0, thickness=0.08)
        fin = meshes.transform(fin, rotate=meshes.rotation("z", np.pi / 2 + cant),
                               translate=(x, rise[-3] + r * 0.5, fin_z))
        parts.append((fin, "tail"))
    stab_span = span * rng.uniform(0.3, 0.42)
    stab_chord = fin_chord * rng.uniform(0.7, 1.0)
    stab_y = rise[-3] + r * 0.5 + fin_h * 0.95 if t_tail else rise[-3] + r * 0.2
    stab_z = fin_z + (fin_h * np.tan(fin_sweep) * 0.9 if t_tail else fin_chord * 0.1)
    stab = meshes.transform(wing(stab_span, stab_chord, stab_chord * 0.5, np.deg2rad(rng.uniform(15, 35)),
                                 np.deg2rad(rng.uniform(0, 8)), thickness=0.08),
                            translate=(r * 0.3 if not t_tail else 0.0, stab_y, stab_z))
    parts += [(m, "tail") for m in _pair(stab)]

    # Engines.
    if style == "airliner":
        count = pick(rng, [2, 4], [0.7, 0.3])
        er = r * rng.uniform(0.45, 0.7)
        spots = [0.35] if count == 2 else [0.28, 0.6]
        for f in spots:
            x = r * 0.5 + span * f
            z_lead = root_z + (x - r * 0.5) * np.tan(sweep)
            y = wing_y + (x - r * 0.5) * np.tan(dihedral) - er * 1.4
            pod = _nacelle(er, er * rng.uniform(3.5, 5.0), (x, y, z_lead - er))
            pylon = meshes.box(er * 0.25, er * 0.9, er * 2.0, center=(x, y + er * 0.9, z_lead))
            parts += [(m, "engine") for m in _pair(pod) + _pair(pylon)]
    elif style == "jet":
        er = r * rng.uniform(0.4, 0.55)
        pod = _nacelle(er, er * 4.0, (r + er * 1.2, r * 0.5, length / 2 - fin_chord * 2.2))
        parts += [(m, "engine") for m in _pair(pod)]
    elif style == "prop":
        blades = int(rng.integers(2, 5))
        hubs = [(0.0, 0.0, -length / 2)]
        if rng.random() < 0.4:  # twin engines on the wings instead
            x = r * 0.5 + span * 0.35
            y = wing_y + (x - r * 0.5) * np.tan(dihedral)
            er = r * 0.5
            pod = _nacelle(er, root * 1.3, (x, y, root_z + root * 0.3))
            parts += [(m, "engine") for m in _pair(pod)]
            hubs = [(x, y, root_z - root * 0.35), (-x, y, root_z - root * 0.35)]
        blade_l = r * rng.uniform(2.0, 3.2)
        for hx, hy, hz in hubs:
            spinner = meshes.cylinder(r * 0.35, r * 0.8, radius_top=0.002, segments=12)
            parts.append((meshes.transform(spinner, rotate=meshes.rotation("x", -np.pi / 2),
                                           translate=(hx, hy, hz - r * 0.2)), "engine"))
            for k in range(blades):
                ang = 2 * np.pi * k / blades + rng.uniform(0, np.pi)
                tip = np.array([hx + blade_l * np.cos(ang), hy + blade_l * np.sin(ang), hz - r * 0.1])
                parts.append((meshes.bar((hx, hy, hz - r * 0.1), tip, r * 0.35, r * 0.06, roll=ang), "engine"))
    else:  # fighter: one or two nozzles at the tail, intakes at the sides
        nozzles = [0.0] if rng.random() < 0.5 else [-r * 0.45, r * 0.45]
        for x in nozzles:
            nozzle = meshes.cylinder(r * 0.45, length * 0.08, radius_top=r * 0.4, segments=12)
            parts.append((meshes.transform(nozzle, rotate=meshes.rotation("x", np.pi / 2),
                                           translate=(x, rise[-2] * 0.5, length / 2 + length * 0.02)), "engine"))
        intake = meshes.box(r * 0.5, r * 0.9, length * 0.25, center=(r * 1.1, -r * 0.2, -length * 0.1))
        parts += [(m, "engine") for m in _pair(intake)]
    return parts


def car(rng):
    """Car: sedan, hatchback, SUV, van, pickup or sports car; rounded body, tapered cabin, four wheels."""
    style = pick(rng, ["sedan", "hatchback", "suv", "van", "pickup", "sports"])
    length = {"sports": rng.uniform(4.0, 4.6), "van": rng.uniform(4.5, 5.2)}.get(style, rng.uniform(3.8, 5.0))
    width = rng.uniform(1.7, 1.95)
    wheel_r = rng.uniform(0.3, 0.34) if style not in ("suv", "pickup", "van") else rng.uniform(0.34, 0.42)
    clearance = wheel_r * rng.uniform(0.45, 0.7)
    belt = clearance + rng.uniform(0.5, 0.65) if style != "sports" else clearance + rng.uniform(0.4, 0.5)
    roof = belt + (rng.uniform(0.38, 0.5) if style != "sports" else rng.uniform(0.28, 0.36))
    if style == "van":
        roof += rng.uniform(0.2, 0.4)
    # Body: rounded sections along z from the nose (-z) to the tail.
    z = np.linspace(-length / 2, length / 2, 9)
    top = np.full(9, belt)
    top[0], top[-1] = belt - rng.uniform(0.1, 0.25), belt - rng.uniform(0.0, 0.15)
    top[1] = belt - rng.uniform(0.0, 0.08)
    rings = []
    for zz, tt, w in zip(z, top, width * np.array([0.88, 0.97, 1, 1, 1, 1, 1, 0.98, 0.9])):
        xy = meshes.rounded_rect(w, tt - clearance, 0.12, corner_points=3)
        rings.append(np.stack([xy[:, 0], xy[:, 1] + (tt + clearance) / 2, np.full(len(xy), zz)], 1))
    parts = [(meshes.loft(np.stack(rings)), "body")]
    # Cabin (greenhouse): side profile from windscreen base to rear, narrower at the roof.
    hood = {"sports": 0.38, "van": 0.12, "pickup": 0.3}.get(style, rng.uniform(0.25, 0.33)) * length
    rear = {"hatchback": 0.02, "suv": 0.02, "van": 0.02, "pickup": 0.6}.get(style, rng.uniform(0.18, 0.25)) * length
    z0, z3 = -length / 2 + hood, length / 2 - rear
    screen = (roof - belt) * (rng.uniform(0.9, 1.5) if style != "van" else 0.5)
    back = (roof - belt) * (rng.uniform(0.2, 0.5) if style in ("hatchback", "suv", "van", "pickup")
                            else rng.uniform(1.0, 1.6))
    z1, z2 = z0 + screen, min(max(z3 - back, z0 + screen + 0.3), z3)
    side = np.array([[z0, belt - 0.02], [z3, belt - 0.02], [z2, roof], [z1, roof]])  # (z, y)
    cabin_v, cabin_f = meshes.prism(side, width * 0.9, axis="x")
    cabin_v[:, 0] *= 1 - 0.18 * (cabin_v[:, 1] - belt) / (roof - belt)  # tumblehome: narrower at the roof
    parts.append(((cabin_v, cabin_f), "cabin"))
    if style == "pickup":  # open bed behind the cab
        for x in (-width / 2 + 0.03, width / 2 - 0.03):
            parts.append((meshes.box(0.05, 0.35, rear * 0.95, center=(x, belt + 0.17, length / 2 - rear / 2)), "body"))
        parts.append((meshes.box(width, 0.35, 0.05, center=(0, belt + 0.17, length / 2 - 0.03)), "body"))
    if style == "sports" and rng.random() < 0.6:  # rear wing
        parts.append((meshes.box(width * 0.85, 0.03, 0.25, center=(0, belt + 0.18, length / 2 - 0.2)), "body"))
        for s in (-1, 1):
            parts.append((meshes.box(0.04, 0.18, 0.1, center=(s * width * 0.3, belt + 0.09, length / 2 - 0.2)), "body"))
    wheelbase = length * rng.uniform(0.56, 0.64)
    tyre = rng.uniform(0.18, 0.26)
    for wz in (-wheelbase / 2 - length * 0.01, wheelbase / 2):
        for s in (-1, 1):
            wheel = meshes.transform(meshes.cylinder(wheel_r, tyre, segments=20),
                                     rotate=meshes.rotation("z", np.pi / 2),
                                     translate=(s * (width / 2 - tyre / 2 + 0.03), wheel_r, wz))
            parts.append((wheel, "wheel"))
    return parts


MODELS = {
    "airplane": (("fuselage", "wing", "tail", "engine"), airplane),
    "car": (("body", "cabin", "wheel"), car),
}
