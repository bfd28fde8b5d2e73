"""synthetic_objects furniture: chair, table, desk, sofa, bed, bench, stool (storage furniture: storage.py).

Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common, devices, household
from .common import pick


def _back_panel(rng, width, height, thickness, style):
    """Chair/bench back in local coordinates: bottom edge on y = 0, centred on x = 0 and z = 0."""
    post = max(thickness, 0.025)
    if style == "solid":
        return [meshes.box(width, height, thickness, center=(0.0, height / 2, 0.0))]
    out = [meshes.box(post, height, thickness, center=(s * (width / 2 - post / 2), height / 2, 0.0))
           for s in (-1, 1)]
    rail = rng.uniform(0.04, 0.1)
    out.append(meshes.box(width, rail, thickness, center=(0.0, height - rail / 2, 0.0)))
    inner = width - 2 * post
    if style == "vertical":
        n = int(rng.integers(2, 7))
        w = min(rng.uniform(0.015, 0.06), inner / (n + 1))
        out += common.slats(-inner / 2 + inner / (n + 1), inner / 2 - inner / (n + 1), n,
                            (w, height - rail, thickness * 0.7), y=(height - rail) / 2)
    elif style == "horizontal":
        n = int(rng.integers(1, 5))
        for y in np.linspace(height * 0.3, height - rail * 2.5, n):
            out.append(meshes.box(inner, rail * 0.8, thickness * 0.7, center=(0.0, y, 0.0)))
    else:  # "frame": an upholstered pad between the posts
        out.append(meshes.box(inner, height * rng.uniform(0.4, 0.7), thickness * 0.8,
                              center=(0.0, height * 0.55, 0.0)))
    return out


def chair(rng):
    """Chair: 4 legs / swivel pedestal / sled base / upholstered block, solid / slatted / railed / padded back,
    low to high back, dining to bar height, with or without arms."""
    if rng.random() < 0.15:
        return _armchair(rng)
    w, d = rng.uniform(0.38, 0.65), rng.uniform(0.38, 0.6)
    seat_y = rng.uniform(0.38, 0.5) if rng.random() < 0.8 else rng.uniform(0.6, 0.8)  # bar chair
    t = rng.uniform(0.02, 0.08)
    parts = [(meshes.rounded_box(w, t, d, min(t / 2, 0.02), center=(0, seat_y, 0), axis="x"), "seat")]
    back_h, back_t, tilt = rng.uniform(0.15, 0.85), rng.uniform(0.02, 0.06), rng.uniform(0.0, 0.3)
    back = meshes.merge(_back_panel(rng, w, back_h, back_t, pick(rng, ["solid", "vertical", "horizontal",
                                                                       "frame"])))
    back = meshes.transform(back, rotate=meshes.rotation("x", tilt),
                            translate=(0, seat_y + t / 2, d / 2 - back_t / 2))
    parts.append((back, "back"))
    base = pick(rng, ["legs", "pedestal", "sled"], [0.65, 0.2, 0.15])
    under = seat_y - t / 2
    if base == "legs":
        thick = rng.uniform(0.025, 0.05)
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(w, d, thick), under, thick,
                                                       splay=rng.uniform(0.0, 0.08))]
        if rng.random() < 0.4:  # H-stretcher
            y = under * rng.uniform(0.2, 0.4)
            x = w / 2 - thick
            for s in (-1, 1):
                parts.append((meshes.bar((s * x, y, -d / 2 + thick), (s * x, y, d / 2 - thick), thick * 0.5), "leg"))
            parts.append((meshes.bar((-x, y, 0), (x, y, 0), thick * 0.5), "leg"))
    elif base == "pedestal":
        parts.append((meshes.tube((0, 0.08, 0), (0, under, 0), rng.uniform(0.02, 0.035), segments=10), "leg"))
        arms = int(rng.integers(4, 6))
        reach = rng.uniform(0.25, 0.33)
        for k in range(arms):
            a = 2 * np.pi * k / arms
            end = (reach * np.sin(a), 0.05, -reach * np.cos(a))
            parts.append((meshes.bar((0, 0.08, 0), end, 0.035), "leg"))
            parts.append((meshes.sphere(0.03, center=(end[0], 0.03, end[2]), segments=8, rings=4), "leg"))
    else:  # sled: one bent tube per side
        r = rng.uniform(0.01, 0.018)
        for s in (-1, 1):
            x = s * (w / 2 - 0.02)
            path = np.array([(x, under, -d / 2 + 0.03), (x, 0.02, -d / 2 - 0.02), (x, 0.02, d / 2),
                             (x, under, d / 2 - 0.03)])
            parts.append((common.sweep(path, r), "leg"))
    if rng.random() < 0.35:  # armrests
        arm_y = seat_y + rng.uniform(0.17, 0.26)
        solid = rng.random() < 0.3
        for s in (-1, 1):
            x = s * (w / 2 + 0.03)
            if solid:
                parts.append((meshes.box(0.05, arm_y, d * 0.9, center=(x, arm_y / 2, 0.0)), "arm"))
            else:
                parts.append((meshes.box(0.06, 0.03, d * 0.85, center=(x, arm_y, 0.02)), "arm"))
                parts.append((meshes.bar((x, seat_y, -d / 2 + 0.06), (x, arm_y, -d / 2 + 0.06), 0.025), "arm"))
    return parts


def table(rng):
    """Table: coffee, dining, side or bar table; rectangular / round, wooden or glass top on 4 legs (apron, lower
    shelf), a pedestal or two trestles; sometimes a vase, bowl, plant or lamp on it."""
    kind = pick(rng, ["coffee", "dining", "side", "bar"], [0.3, 0.45, 0.15, 0.1])
    h = {"coffee": rng.uniform(0.3, 0.5), "side": rng.uniform(0.45, 0.7), "bar": rng.uniform(0.9, 1.1)}.get(
        kind, rng.uniform(0.68, 0.78))
    style = pick(rng, ["legs", "pedestal", "trestle"], [0.6, 0.25, 0.15])
    glass = rng.random() < 0.2  # a thin glass top on slim metal legs
    t = 0.01 if glass else rng.uniform(0.015, 0.06)
    if style == "pedestal" or (style == "legs" and rng.random() < 0.2):
        r = rng.uniform(0.2, 0.35) if kind in ("side", "bar") else rng.uniform(0.3, 0.7)
        w = d = 2 * r
        top = meshes.cylinder(r, t, center=(0, h - t / 2, 0), segments=32)
    else:
        w = rng.uniform(0.4, 0.7) if kind in ("side", "bar") else rng.uniform(0.7, 2.4)
        d = w * rng.uniform(0.5, 1.0) if kind in ("side", "bar") else rng.uniform(0.4, 1.2)
        top = meshes.rounded_box(w, t, d, rng.uniform(0.0, 0.15), center=(0, h - t / 2, 0), axis="y")
    parts = [(top, "top")]
    under = h - t
    if style == "legs":
        thick = rng.uniform(0.015, 0.03) if glass else rng.uniform(0.03, 0.08)
        inset = rng.uniform(0.03, 0.12) + (0.15 * w if w == d else 0.0)
        positions = common.corners(w, d, inset)
        parts += [(m, "leg") for m in common.leg_set(rng, positions, under, thick, splay=rng.uniform(0, 0.05))]
        if rng.random() < 0.5:  # apron boards under the top
            a = rng.uniform(0.05, 0.12)
            xi, zi = w / 2 - inset, d / 2 - inset
            parts.append((meshes.box(2 * xi, a, 0.02, center=(0, under - a / 2, -zi)), "support"))
            parts.append((meshes.box(2 * xi, a, 0.02, center=(0, under - a / 2, zi)), "support"))
            parts.append((meshes.box(0.02, a, 2 * zi, center=(-xi, under - a / 2, 0)), "support"))
            parts.append((meshes.box(0.02, a, 2 * zi, center=(xi, under - a / 2, 0)), "support"))
        if kind != "dining" and rng.random() < 0.5:  # lower shelf
            parts.append((meshes.box(w - 2 * inset, 0.02, d - 2 * inset, center=(0, h * 0.25, 0)), "support"))
    elif style == "pedestal":
        parts.append((meshes.tube((0, 0.03, 0), (0, under, 0), rng.uniform(0.04, 0.09), segments=12), "leg"))
        if rng.random() < 0.5:
            parts.append((meshes.cylinder(rng.uniform(0.2, 0.35), 0.03, center=(0, 0.015, 0), segments=24), "leg"))
        else:
            feet = int(rng.integers(3, 5))
            for k in range(feet):
                a = 2 * np.pi * k / feet + np.pi / 4
                parts.append((meshes.bar((0, 0.06, 0), (0.35 * np.cos(a), 0.015, 0.35 * np.sin(a)), 0.05), "leg"))
    else:  # trestle: two slab legs with feet, joined by a stretcher
        x = w / 2 - rng.uniform(0.1, 0.25)
        for s in (-1, 1):
            parts.append((meshes.box(0.05, under, d * 0.5, center=(s * x, under / 2, 0)), "leg"))
            parts.append((meshes.box(0.07, 0.05, d * 0.85, center=(s * x, 0.025, 0)), "leg"))
        parts.append((meshes.box(2 * x, 0.06, 0.04, center=(0, under * 0.35, 0)), "support"))
    if rng.random() < 0.2:  # a vase, a bowl, a plant or a lamp on the table
        makers = [household.vase, household.bowl, household.plant, household.standing_lamp]
        parts = common.on_top(rng, parts, "decor", makers, rng.uniform(0.08, 0.3),
                              at=(rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)))
    return parts


def desk(rng):
    """Desk: one or two drawer pedestals, side panels or legs, often a modesty panel at the back, sometimes a
    hutch of shelves on top or a return (L-shaped)."""
    w, d, h = rng.uniform(0.8, 2.0), rng.uniform(0.45, 0.9), rng.uniform(0.7, 0.78)
    t = rng.uniform(0.025, 0.045)
    parts = [(meshes.box(w, t, d, center=(0, h - t / 2, 0)), "top")]
    under = h - t
    pedestals = pick(rng, [0, 1, 2], [0.3, 0.45, 0.25]) if w > 1.1 else pick(rng, [0, 1])
    sides = []
    unit_w = rng.uniform(0.3, 0.45)
    for k in range(pedestals):
        s = 1 if k == 0 else -1
        cx = s * (w / 2 - unit_w / 2 - 0.01)
        parts.append((meshes.box(unit_w, under, d * 0.92, center=(cx, under / 2, 0.0)), "drawer"))
        fronts, pulls = common.drawer_fronts(rng, cx - unit_w / 2 + 0.01, cx + unit_w / 2 - 0.01, 0.05, under - 0.01,
                                       -d * 0.46, int(rng.integers(2, 5)))
        parts += [(m, "drawer") for m in fronts + pulls]
        sides.append(s)
    free = [s for s in (1, -1) if s not in sides]
    panel_sides = rng.random() < 0.5
    for s in free:
        if panel_sides:
            parts.append((meshes.box(0.03, under, d * 0.95, center=(s * (w / 2 - 0.03), under / 2, 0)), "leg"))
        else:
            for z in (-d / 2 + 0.05, d / 2 - 0.05):
                parts.append((common.leg("square", s * (w / 2 - 0.05), z, under, 0.045), "leg"))
    if rng.random() < 0.7 or (pedestals == 0 and panel_sides):  # modesty panel at the back
        ph = under * rng.uniform(0.35, 0.7)
        parts.append((meshes.box(w - 0.1, ph, 0.02, center=(0, under - ph / 2, d / 2 - 0.06)), "panel"))
    if pedestals < 2 and rng.random() < 0.4:  # a shallow centre drawer under the top
        fronts, pulls = common.drawer_fronts(rng, -0.25, 0.25, under - 0.1, under - 0.01, -d * 0.46, 1)
        parts += [(m, "drawer") for m in fronts + pulls]
    if rng.random() < 0.35:  # a monitor (and a keyboard) on the desk
        parts = common.on_top(rng, parts, "decor", [devices.monitor], rng.uniform(0.25, 0.4), at=(0.0, 0.15))
        if rng.random() < 0.6:
            parts = common.on_top(rng, parts[:-1], "decor", [devices.keyboard], rng.uniform(0.02, 0.04),
                                  at=(0.0, -0.2)) + parts[-1:]
    extra = pick(rng, ["none", "hutch", "return"], [0.6, 0.25, 0.15])
    if extra == "hutch":  # shelves on the back half of the top
        hh, hd = rng.uniform(0.3, 0.9), d * rng.uniform(0.3, 0.5)
        hutch = common.cabinet(w, hh, hd, 0.02, bottom=h)
        parts += [(meshes.transform(m, translate=(0, 0, d / 2 - hd / 2)), "panel") for m in hutch]
        if hh > 0.5:
            parts.append((meshes.box(w - 0.04, 0.02, hd - 0.02, center=(0, h + hh / 2, d / 2 - hd / 2)), "panel"))
    elif extra == "return":  # a lower wing at a right angle on the left, towards the front
        rl, rd = rng.uniform(0.6, 1.1), rng.uniform(0.4, 0.55)
        x = -w / 2 + rd / 2
        parts.append((meshes.box(rd, t, rl, center=(x, h - t / 2, -d / 2 - rl / 2)), "top"))
        parts.append((meshes.box(rd * 0.9, under, 0.03, center=(x, under / 2, -d / 2 - rl + 0.03)), "leg"))
    return parts


def sofa(rng):
    """Sofa: 1-3 seats, box / rolled / no arms, loose or fixed cushions, legs or plinth, sometimes L-shaped."""
    seats = pick(rng, [1, 2, 3, 4], [0.15, 0.35, 0.35, 0.15])
    seat_w, d = rng.uniform(0.5, 0.8), rng.uniform(0.7, 1.1)
    arm_style = pick(rng, ["box", "rolled", "none"], [0.5, 0.35, 0.15])
    arm_w = 0.0 if arm_style == "none" else rng.uniform(0.1, 0.25)
    w = seats * seat_w + 2 * arm_w
    leg_h = pick(rng, [0.0, rng.uniform(0.05, 0.15)])
    base_h, back_h, back_t = rng.uniform(0.15, 0.35), rng.uniform(0.2, 0.6), rng.uniform(0.1, 0.3)
    base_top = leg_h + base_h
    r = rng.uniform(0.02, 0.08)
    parts = [(meshes.rounded_box(w, base_h, d, r, center=(0, leg_h + base_h / 2, 0), axis="x"), "base")]
    back = meshes.rounded_box(w, back_h, back_t, r, center=(0, base_top + back_h / 2, d / 2 - back_t / 2), axis="x")
    parts.append((meshes.transform(back, rotate=meshes.rotation("x", rng.uniform(0, 0.15)),
                                   translate=(0, 0, 0)), "back"))
    arm_h = rng.uniform(0.15, 0.3)
    for s in (-1, 1):
        if arm_style == "none":
            break
        x = s * (w / 2 - arm_w / 2)
        parts.append((meshes.rounded_box(arm_w, base_h + arm_h, d, r, center=(x, leg_h + (base_h + arm_h) / 2, 0),
                                         axis="x"), "arm"))
        if arm_style == "rolled":
            top_y = leg_h + base_h + arm_h
            parts.append((meshes.transform(meshes.cylinder(arm_w * 0.6, d, segments=16),
                                           rotate=meshes.rotation("x", np.pi / 2),
                                           translate=(x, top_y, 0)), "arm"))
    cushion_h = rng.uniform(0.08, 0.16)
    inner = w - 2 * arm_w
    count = seats if rng.random() < 0.7 else 1
    cw = inner / count
    for k in range(count):
        cx = -inner / 2 + cw * (k + 0.5)
        parts.append((meshes.rounded_box(cw - 0.01, cushion_h, d - back_t, cushion_h / 2,
                                         center=(cx, base_top + cushion_h / 2, -back_t / 2), axis="x"), "cushion"))
        if rng.random() < 0.5:  # back cushion
            parts.append((meshes.rounded_box(cw - 0.02, back_h * 0.8, 0.14, 0.05,
                                             center=(cx, base_top + cushion_h + back_h * 0.4,
                                                     d / 2 - back_t - 0.07), axis="x"), "cushion"))
    if seats >= 2 and rng.random() < 0.25:  # chaise: the left seat runs forward
        length = rng.uniform(0.5, 0.8)
        x = -w / 2 + arm_w + seat_w / 2
        parts.append((meshes.rounded_box(seat_w, base_h, length, r, center=(x, leg_h + base_h / 2, -d / 2 - length / 2),
                                         axis="x"), "base"))
        parts.append((meshes.rounded_box(seat_w - 0.01, cushion_h, length, cushion_h / 2,
                                         center=(x, base_top + cushion_h / 2, -d / 2 - length / 2), axis="x"),
                      "cushion"))
    if leg_h > 0:
        positions = common.corners(w, d, 0.06)
        if w > 1.6:
            positions += [(0.0, -d / 2 + 0.06), (0.0, d / 2 - 0.06)]
        parts += [(m, "leg") for m in common.leg_set(rng, positions, leg_h, rng.uniform(0.03, 0.06))]
    return parts


def bed(rng):
    """Bed: frame, mattress, headboard (panel / slats / posts), optional footboard, pillows, legs or not;
    sometimes four tall corner posts (with a canopy frame) or a bunk bed (a second bed on posts above)."""
    if rng.random() < 0.1:
        return _bunk_bed(rng)
    w, length = pick(rng, [rng.uniform(0.9, 1.1), rng.uniform(1.35, 1.9)]), rng.uniform(1.9, 2.15)
    leg_h = pick(rng, [0.0, rng.uniform(0.08, 0.25)], [0.4, 0.6])
    base_h, mat_h = rng.uniform(0.15, 0.3), rng.uniform(0.15, 0.28)
    frame_w, frame_l = w + 0.06, length + 0.06
    parts = [(meshes.box(frame_w, base_h, frame_l, center=(0, leg_h + base_h / 2, 0)), "base")]
    top = leg_h + base_h
    parts.append((meshes.rounded_box(w, mat_h, length, 0.05, center=(0, top + mat_h / 2, 0), axis="z"), "mattress"))
    head_h = rng.uniform(0.5, 1.1)
    head = pick(rng, ["panel", "slats", "arched"])
    z_head = frame_l / 2 + 0.03
    if head == "panel":
        parts.append((meshes.box(frame_w, head_h, 0.06, center=(0, head_h / 2, z_head)), "headboard"))
    elif head == "arched":
        angles = np.linspace(0, np.pi, 13)
        rise = rng.uniform(0.1, 0.3)
        arch = np.stack([frame_w / 2 * np.cos(angles), head_h - rise + rise * np.sin(angles)], 1)
        polygon = np.concatenate([[[-frame_w / 2, 0.0], [frame_w / 2, 0.0]], arch])
        parts.append((meshes.prism(polygon, 0.06, axis="z", center=(0, 0, z_head)), "headboard"))
    else:
        for s in (-1, 1):
            parts.append((meshes.box(0.07, head_h, 0.07, center=(s * frame_w / 2, head_h / 2, z_head)), "headboard"))
        parts.append((meshes.box(frame_w, 0.08, 0.05, center=(0, head_h - 0.04, z_head)), "headboard"))
        n = int(rng.integers(4, 10))
        parts += [(m, "headboard") for m in common.slats(-frame_w / 2 + 0.12, frame_w / 2 - 0.12, n,
                                                         (0.04, head_h - top - 0.08, 0.03), center_other=z_head,
                                                         y=(head_h + top - 0.08) / 2)]
    if rng.random() < 0.5:
        foot_h = top + mat_h * rng.uniform(0.3, 1.5)
        parts.append((meshes.box(frame_w, foot_h, 0.05, center=(0, foot_h / 2, -frame_l / 2 - 0.025)), "footboard"))
    pillows = 1 if w < 1.2 else pick(rng, [1, 2], [0.3, 0.7])
    pw = w / pillows * 0.85
    for k in range(pillows):
        cx = -w / 2 + w / pillows * (k + 0.5)
        parts.append((meshes.sphere(1.0, center=(cx, top + mat_h + 0.06, length / 2 - 0.3), segments=16, rings=8,
                                    scale=(pw / 2, 0.07, 0.2)), "pillow"))
    if leg_h > 0:
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(frame_w, frame_l, 0.05), leg_h, 0.06)]
    if rng.random() < 0.12:  # four-poster: tall corner posts, a canopy frame on top or not
        post_h = rng.uniform(1.6, 2.2)
        corners = common.corners(frame_w + 0.08, frame_l + 0.08, 0.0)
        parts += [(meshes.tube((x, 0, z), (x, post_h, z), 0.035, segments=8), "leg") for x, z in corners]
        if rng.random() < 0.6:
            for (x0, z0), (x1, z1) in zip(corners, [corners[1], corners[3], corners[0], corners[2]]):
                parts.append((meshes.bar((x0, post_h, z0), (x1, post_h, z1), 0.05), "headboard"))
    return parts


def _bunk_bed(rng):
    """Bunk bed: two single mattresses on frames between four tall posts, a ladder at the front."""
    w, length = rng.uniform(0.9, 1.1), rng.uniform(1.9, 2.1)
    levels = (rng.uniform(0.2, 0.35), rng.uniform(1.2, 1.6))
    post_h = levels[1] + rng.uniform(0.3, 0.5)
    parts = [(meshes.box(0.07, post_h, 0.07, center=(x, post_h / 2, z)), "leg")
             for x, z in common.corners(w + 0.07, length + 0.07, 0.0)]
    for y in levels:
        parts.append((meshes.box(w + 0.07, 0.12, length + 0.07, center=(0, y - 0.06, 0)), "base"))
        mat_h = rng.uniform(0.12, 0.2)
        parts.append((meshes.rounded_box(w, mat_h, length, 0.04, center=(0, y + mat_h / 2, 0), axis="z"), "mattress"))
        parts.append((meshes.sphere(1.0, center=(0, y + mat_h + 0.05, length / 2 - 0.3), segments=12, rings=6,
                                    scale=(w * 0.4, 0.06, 0.18)), "pillow"))
    for s in (-1, 1):  # guard rails of the upper bunk
        parts.append((meshes.box(w + 0.07, 0.05, 0.04, center=(0, levels[1] + 0.3, s * (length / 2 + 0.035))),
                      "headboard" if s > 0 else "footboard"))
    x = w / 2 + 0.05
    parts += [(meshes.bar((x, 0, z), (x, levels[1], z), 0.04), "leg") for z in (-length / 2 + 0.2, -length / 2 + 0.6)]
    parts += [(meshes.bar((x, y, -length / 2 + 0.2), (x, y, -length / 2 + 0.6), 0.03), "leg")
              for y in np.linspace(0.3, levels[1] - 0.1, 4)]
    return parts


def bench(rng):
    """Bench: slatted park bench on leg frames (with back and arms or not), or a plain board on two slabs."""
    w, d, seat_y = rng.uniform(0.6, 2.2), rng.uniform(0.3, 0.6), rng.uniform(0.38, 0.5)
    parts = []
    style = pick(rng, ["park", "board", "box"], [0.5, 0.3, 0.2])
    if style == "box":  # storage bench: a box with a padded top, a back panel or not
        parts.append((meshes.box(w, seat_y - 0.05, d, center=(0, (seat_y - 0.05) / 2, 0)), "leg"))
        parts.append((meshes.rounded_box(w, 0.06, d, 0.025, center=(0, seat_y - 0.02, 0), axis="x"), "seat"))
        if rng.random() < 0.5:
            back_h = rng.uniform(0.2, 0.5)
            parts.append((meshes.box(w, back_h, 0.04, center=(0, seat_y + back_h / 2, d / 2 - 0.02)), "back"))
        return parts
    if style == "park":
        n = int(rng.integers(3, 6))
        parts += [(m, "seat") for m in common.slats(-d / 2 + d / (2 * n), d / 2 - d / (2 * n), n,
                                                    (w, 0.03, d / n * 0.75), axis="z", y=seat_y)]
        frames = 3 if w > 1.6 else 2
        back = rng.random() < 0.75
        for x in np.linspace(-w / 2 + 0.1, w / 2 - 0.1, frames):
            parts.append((meshes.bar((x, 0, -d / 2 + 0.04), (x, seat_y, -d / 2 + 0.04), 0.05), "leg"))
            parts.append((meshes.bar((x, 0, d / 2 - 0.04), (x, seat_y, d / 2 - 0.04), 0.05), "leg"))
            parts.append((meshes.box(0.05, 0.05, d, center=(x, seat_y - 0.04, 0)), "leg"))
        if back:
            back_h = rng.uniform(0.3, 0.5)
            rows = int(rng.integers(2, 5))
            slat_parts = [meshes.box(w, 0.05, 0.025, center=(0, y, 0))
                          for y in np.linspace(0.08, back_h, rows)]
            for x in np.linspace(-w / 2 + 0.1, w / 2 - 0.1, frames):
                slat_parts.append(meshes.box(0.05, back_h + 0.05, 0.03, center=(x, back_h / 2, 0.02)))
            mesh = meshes.transform(meshes.merge(slat_parts), rotate=meshes.rotation("x", rng.uniform(0.1, 0.3)),
                                    translate=(0, seat_y + 0.02, d / 2))
            parts.append((mesh, "back"))
        if rng.random() < 0.4:
            arm_y = seat_y + rng.uniform(0.18, 0.25)
            for s in (-1, 1):
                x = s * (w / 2 - 0.1)
                parts.append((meshes.box(0.05, 0.04, d * 0.9, center=(x, arm_y, 0)), "arm"))
                parts.append((meshes.bar((x, seat_y, -d / 2 + 0.06), (x, arm_y, -d / 2 + 0.06), 0.035), "arm"))
    else:  # board bench
        t = rng.uniform(0.04, 0.08)
        parts.append((meshes.box(w, t, d, center=(0, seat_y - t / 2, 0)), "seat"))
        if rng.random() < 0.5:
            for s in (-1, 1):
                parts.append((meshes.box(0.05, seat_y - t, d * 0.9, center=(s * (w / 2 - 0.12), (seat_y - t) / 2, 0)),
                              "leg"))
        else:
            parts += [(m, "leg") for m in common.leg_set(rng, common.corners(w, d, 0.06), seat_y - t, 0.05,
                                                         splay=rng.uniform(0, 0.1))]
    return parts


def stool(rng):
    """Stool: round or square seat, 3-4 (splayed) legs with or without rungs, or a pedestal with a footrest."""
    if rng.random() < 0.15:
        return _ottoman(rng)
    bar_stool = rng.random() < 0.45
    h = rng.uniform(0.6, 0.85) if bar_stool else rng.uniform(0.3, 0.55)
    r, t = rng.uniform(0.12, 0.25), rng.uniform(0.025, 0.06)
    round_seat = rng.random() < 0.65
    seat = (meshes.cylinder(r, t, center=(0, h - t / 2, 0), segments=28) if round_seat else
            meshes.rounded_box(2 * r, t, 2 * r, 0.02, center=(0, h - t / 2, 0), axis="y"))
    parts = [(seat, "seat")]
    under = h - t
    if rng.random() < 0.2:  # pedestal
        parts.append((meshes.tube((0, 0.02, 0), (0, under, 0), 0.025, segments=10), "leg"))
        parts.append((meshes.cylinder(r * 1.1, 0.03, center=(0, 0.015, 0)), "leg"))
        ring = common.arc((0, under * 0.4, 0), r * 0.9, 0, 2 * np.pi, plane="xz", count=25)
        parts.append((common.sweep(ring, 0.01), "rung"))
        return parts
    count = pick(rng, [3, 4], [0.4, 0.6])
    spread, splay = r * 0.75, rng.uniform(0.0, 0.15)
    angles = 2 * np.pi * np.arange(count) / count + (np.pi / 4 if count == 4 else 0.0)
    style = pick(rng, ["square", "round", "tapered"])
    thick = rng.uniform(0.025, 0.045)
    feet = []
    for a in angles:
        x, z = spread * np.cos(a), spread * np.sin(a)
        foot = (x * (1 + splay * 3), z * (1 + splay * 3))
        parts.append((common.leg(style, x, z, under, thick, splay=(foot[0] - x, foot[1] - z)), "leg"))
        feet.append(foot)
    if rng.random() < 0.65:  # rungs between the legs
        y = under * rng.uniform(0.25, 0.45)
        f = y / under
        pts = [(x + (fx - x) * (1 - f), y, z + (fz - z) * (1 - f))
               for (fx, fz), (x, z) in zip(feet, [(spread * np.cos(a), spread * np.sin(a)) for a in angles])]
        for k in range(count):
            parts.append((meshes.tube(pts[k], pts[(k + 1) % count], thick * 0.3, segments=6), "rung"))
    return parts


def _armchair(rng):
    """Upholstered armchair (a chair, not a sofa: one deep seat): block base on short legs or none, padded back,
    arm blocks."""
    w, d = rng.uniform(0.6, 0.95), rng.uniform(0.6, 0.9)
    lift = pick(rng, [0.0, rng.uniform(0.05, 0.2)])
    seat_y = rng.uniform(0.38, 0.48)
    arm_w, back_t = rng.uniform(0.08, 0.2), rng.uniform(0.1, 0.2)
    r = rng.uniform(0.02, 0.06)
    parts = [(meshes.rounded_box(w, seat_y - lift, d, r, center=(0, (seat_y + lift) / 2, 0), axis="x"), "seat")]
    back_h = rng.uniform(0.35, 0.75)
    back = meshes.rounded_box(w, back_h, back_t, r, center=(0, seat_y + back_h / 2, d / 2 - back_t / 2), axis="x")
    parts.append((meshes.transform(back, rotate=meshes.rotation("x", rng.uniform(0.0, 0.2))), "back"))
    arm_h = rng.uniform(0.12, 0.3)
    for s in (-1, 1):
        parts.append((meshes.rounded_box(arm_w, seat_y + arm_h - lift, d, r,
                                         center=(s * (w / 2 + arm_w / 2), (seat_y + arm_h + lift) / 2, 0), axis="x"),
                      "arm"))
    if lift > 0:
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(w + 2 * arm_w, d, 0.05), lift, 0.04)]
    return parts


def _ottoman(rng):
    """Stool as an upholstered ottoman or pouf: a padded drum or block, on short legs or none."""
    h, r = rng.uniform(0.3, 0.5), rng.uniform(0.2, 0.4)
    lift = pick(rng, [0.0, rng.uniform(0.04, 0.12)])
    body = (meshes.cylinder(r, h - lift, center=(0, (h + lift) / 2, 0), segments=28) if rng.random() < 0.5 else
            meshes.rounded_box(2 * r, h - lift, 2 * r * rng.uniform(0.6, 1.0), 0.04, center=(0, (h + lift) / 2, 0),
                               axis="y"))
    parts = [(body, "seat"), (meshes.cylinder(r * 0.97, 0.03, center=(0, h + 0.015, 0), segments=28), "seat")]
    if lift > 0:
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(1.4 * r, 1.4 * r, 0.0), lift, 0.035)]
    else:
        parts.append((meshes.cylinder(r * 0.9, 0.02, center=(0, 0.01, 0), segments=20), "leg"))
    return parts


MODELS = {
    "bed": (("base", "mattress", "headboard", "footboard", "pillow", "leg"), bed),
    "bench": (("seat", "leg", "back", "arm"), bench),
    "chair": (("back", "seat", "leg", "arm"), chair),
    "desk": (("top", "leg", "drawer", "panel", "decor"), desk),
    "sofa": (("base", "back", "arm", "cushion", "leg"), sofa),
    "stool": (("seat", "leg", "rung"), stool),
    "table": (("top", "leg", "support", "decor"), table),
}
