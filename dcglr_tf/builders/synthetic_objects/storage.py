"""synthetic_objects storage furniture: bookshelf, dresser, wardrobe, tv_stand, night_stand, glass_box, mantel.

Their overall boxes overlap on purpose (a low bookshelf is a tv_stand's size, a tall chest a wardrobe's, a night
stand a small dresser's): what tells them apart is the front (open shelves with books, drawer grids, doors, glass,
a fireplace opening), as in real CAD models. Each maker: rng -> [(mesh, part name)], y up, floor at y = 0, front
towards -z (see common.py).
"""

import numpy as np

from .. import _meshes as meshes
from . import common, devices, household
from .common import pick


def _base(rng, w, d, lift, part, styles=("legs", "plinth", "bun")):
    """What a carcass stands on, `lift` high: four legs, a recessed plinth or four round bun feet."""
    if lift <= 0:
        return []
    style = pick(rng, list(styles))
    if style == "plinth":
        return [(meshes.box(w - 0.04, lift, d - 0.04, center=(0, lift / 2, 0)), part)]
    if style == "bun":
        return [(meshes.sphere(lift / 2, center=(x, lift / 2, z), segments=8, rings=4), part)
                for x, z in common.corners(w, d, 0.06)]
    thick = rng.uniform(0.03, 0.06)
    return [(m, part) for m in common.leg_set(rng, common.corners(w, d, thick), lift, thick,
                                              splay=rng.uniform(0.0, 0.1))]


def _books(rng, x0, x1, bottom, room, depth, fill):
    """A row of upright books from x0 over a share `fill` of x0..x1, standing on `bottom`, at most `room` tall."""
    out, x = [], x0
    stop = x0 + (x1 - x0) * fill
    while x < stop:
        bw, bh = rng.uniform(0.02, 0.05), room * rng.uniform(0.55, 0.9)
        out.append(meshes.box(bw, bh, depth * rng.uniform(0.6, 0.85), center=(x + bw / 2, bottom + bh / 2, 0.0)))
        x += bw + 0.002
    return out


def bookshelf(rng):
    """Bookshelf: closed carcass or open ladder frame, 1-4 columns, 1-7 rows, books on some shelves, sometimes
    doors over the lowest row; low and wide to tall and narrow."""
    w, h, d = rng.uniform(0.4, 2.0), rng.uniform(0.5, 2.2), rng.uniform(0.22, 0.45)
    t = rng.uniform(0.015, 0.04)
    lift = pick(rng, [0.0, rng.uniform(0.03, 0.12)], [0.6, 0.4])
    parts = []
    open_frame = rng.random() < 0.2
    if open_frame:  # four posts, shelves between them from just above the floor to the top
        post = rng.uniform(0.02, 0.04)
        lift = rng.uniform(0.03, 0.15)
        parts += [(m, "frame") for m in common.leg_set(rng, common.corners(w, d, post / 2), h, post, style="square")]
    else:
        carcass = common.cabinet(w, h - lift, d, t, bottom=lift)
        parts += [(m, "frame") for m in carcass[:4]]
        if rng.random() < 0.8:
            parts.append((carcass[4], "back"))
        parts += _base(rng, w, d, lift, "frame", ("plinth", "legs"))
    columns = int(np.clip(round(w / rng.uniform(0.35, 0.8)), 1, 4))
    rows = int(np.clip(round((h - lift) / rng.uniform(0.25, 0.45)), 1, 7))
    xs = np.linspace(-w / 2 + t, w / 2 - t, columns + 1)
    ys = np.linspace(lift + t, h - t, rows + 1)
    for x in xs[1:-1]:
        parts.append((meshes.box(t, h - lift - 2 * t, d - t, center=(x, lift + (h - lift) / 2, -t / 2)), "frame"))
    for y in ys if open_frame else ys[1:-1]:
        parts.append((meshes.box(w - 2 * t, t, d - t, center=(0, y, -t / 2)), "shelf"))
    doors = rows >= 3 and rng.random() < 0.3
    fill_share = rng.uniform(0.2, 0.9)
    for j in range(rows):
        for i in range(columns):
            if doors and j == 0:
                cx, cw = (xs[i] + xs[i + 1]) / 2, xs[i + 1] - xs[i] - 0.006
                parts.append((meshes.box(cw, ys[1] - ys[0] - 0.006, 0.018,
                                         center=(cx, (ys[0] + ys[1]) / 2, -d / 2 - 0.009)), "back"))
            elif rng.random() < fill_share:
                books = _books(rng, xs[i] + t / 2, xs[i + 1] - t / 2, ys[j] + t / 2, ys[j + 1] - ys[j] - t, d,
                               rng.uniform(0.3, 0.95))
                parts += [(meshes.transform(m, translate=(0, 0, -d * 0.05)), "book") for m in books]
    return parts


def dresser(rng):
    """Dresser / chest of drawers: 1-3 columns x 2-7 rows of drawers, legs / plinth / bun feet / none, an
    overhanging top, sometimes doors beside the drawers, a mirror on top or a lamp, vase or plant on it."""
    w, h, d = rng.uniform(0.5, 1.9), rng.uniform(0.6, 1.5), rng.uniform(0.35, 0.6)
    lift = pick(rng, [0.0, rng.uniform(0.04, 0.2)])
    parts = [(meshes.box(w, h - lift, d, center=(0, lift + (h - lift) / 2, 0)), "body")]
    if rng.random() < 0.5:  # overhanging top board
        parts.append((meshes.box(w + 0.04, 0.03, d + 0.03, center=(0, h + 0.015, -0.01)), "body"))
    columns = int(np.clip(round(w / rng.uniform(0.4, 0.9)), 1, 3))
    rows = int(np.clip(round((h - lift) / rng.uniform(0.15, 0.3)), 2, 7))
    x0, x1 = -w / 2 + 0.03, w / 2 - 0.03
    if columns == 3 and rng.random() < 0.4:  # doors on both sides of a drawer column
        third = (x1 - x0) / 3
        for x in (x0, x1 - third):
            parts.append((meshes.box(third - 0.006, h - lift - 0.06, 0.018,
                                     center=(x + third / 2, lift + (h - lift) / 2, -d / 2 - 0.009)), "drawer"))
        x0, x1, columns = x0 + third, x1 - third, 1
    fronts, pulls = common.drawer_fronts(rng, x0, x1, lift + 0.03, h - 0.03, -d / 2, rows, columns)
    parts += [(m, "drawer") for m in fronts + pulls]
    parts += _base(rng, w, d, lift, "foot")
    if rng.random() < 0.3:  # a mirror standing on the back edge
        mw, mh = w * rng.uniform(0.5, 0.9), rng.uniform(0.5, 1.0)
        shape = pick(rng, ["rect", "oval"])
        mirror = (meshes.box(mw, mh, 0.03) if shape == "rect" else
                  meshes.transform(meshes.cylinder(0.5, 0.03, segments=24), rotate=meshes.rotation("x", np.pi / 2),
                                   scale=(mw, 1.0, mh)))
        parts.append((meshes.transform(mirror, translate=(0, h + 0.03 + mh / 2, d / 2 - 0.04)), "mirror"))
    elif rng.random() < 0.3:  # a lamp, a vase or a plant on top
        parts = common.on_top(rng, parts, "decor", [household.standing_lamp, household.vase, household.plant],
                              rng.uniform(0.2, 0.5), at=(rng.uniform(-0.3, 0.3), 0.0))
    return parts


def wardrobe(rng):
    """Wardrobe: carcass of 1-4 doors (some over a drawer row), handles, plinth / legs / none, crown or not."""
    w, h, d = rng.uniform(0.5, 2.4), rng.uniform(1.3, 2.4), rng.uniform(0.4, 0.7)
    lift = pick(rng, [0.0, rng.uniform(0.04, 0.18)], [0.3, 0.7])
    parts = [(meshes.box(w, h - lift, d, center=(0, lift + (h - lift) / 2, 0)), "body")]
    if rng.random() < 0.4:  # crown
        parts.append((meshes.box(w + 0.06, 0.06, d + 0.04, center=(0, h + 0.03, -0.01)), "body"))
    doors = max(1, min(4, int(round(w / rng.uniform(0.4, 0.65)))))
    bottom = lift + 0.02
    if rng.random() < 0.35:  # a drawer row (or two) under the doors
        dh = rng.uniform(0.15, 0.45)
        fronts, pulls = common.drawer_fronts(rng, -w / 2 + 0.02, w / 2 - 0.02, bottom, bottom + dh, -d / 2,
                                             1 if dh < 0.3 else 2, min(doors, 2))
        parts += [(m, "door") for m in fronts] + [(m, "handle") for m in pulls]
        bottom += dh
    xs = np.linspace(-w / 2 + 0.02, w / 2 - 0.02, doors + 1)
    top = h - 0.02
    handle_h = rng.uniform(0.08, 0.4)
    y = bottom + (top - bottom) * rng.uniform(0.3, 0.55)
    for i in range(doors):
        cx, dw = (xs[i] + xs[i + 1]) / 2, xs[i + 1] - xs[i] - 0.006
        parts.append((meshes.box(dw, top - bottom, 0.02, center=(cx, (top + bottom) / 2, -d / 2 - 0.01)), "door"))
        hx = xs[i + 1] - 0.05 if i % 2 == 0 else xs[i] + 0.05
        parts.append((meshes.bar((hx, y - handle_h / 2, -d / 2 - 0.04), (hx, y + handle_h / 2, -d / 2 - 0.04), 0.015),
                      "handle"))
    parts += _base(rng, w, d, lift, "base", ("legs", "plinth"))
    return parts


def tv_stand(rng):
    """TV stand: a low cabinet of open bays, doors and drawers on legs or not, an open frame of boards, or a
    media wall unit with a back panel and a top shelf."""
    w, h, d = rng.uniform(0.6, 2.2), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.55)
    parts = []
    if rng.random() < 0.25:  # open frame: boards on four posts
        boards = int(rng.integers(2, 4))
        for y in np.linspace(0.06, h - 0.015, boards):
            parts.append((meshes.box(w, 0.03, d, center=(0, y, 0)), "shelf" if y < h - 0.1 else "body"))
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(w, d, 0.03), h - 0.03, 0.04)]
        return _with_tv(rng, parts)
    lift = pick(rng, [0.0, rng.uniform(0.05, 0.2)])
    t = 0.025
    parts += [(m, "body") for m in common.cabinet(w, h - lift, d, t, bottom=lift)]
    bays = int(np.clip(round(w / rng.uniform(0.3, 0.7)), 2, 5))
    xs = np.linspace(-w / 2 + t, w / 2 - t, bays + 1)
    for x in xs[1:-1]:
        parts.append((meshes.box(t, h - lift - 2 * t, d - t, center=(x, lift + (h - lift) / 2, -t / 2)), "body"))
    for i in range(bays):
        kind = pick(rng, ["open", "door", "drawers"])
        x0, x1 = xs[i] + t / 2, xs[i + 1] - t / 2
        if kind == "open":
            parts.append((meshes.box(x1 - x0, t, d - t, center=((x0 + x1) / 2, lift + (h - lift) / 2, -t / 2)),
                          "shelf"))
        else:
            rows = 1 if kind == "door" else int(rng.integers(2, 4))
            fronts, pulls = common.drawer_fronts(rng, x0, x1, lift + t, h - t, -d / 2, rows)
            parts += [(m, "door") for m in fronts + pulls]
    parts += [(mesh, "leg") for mesh, _ in _base(rng, w, d, lift, "leg", ("legs", "bun"))]
    if rng.random() < 0.2:  # media wall: a back panel rising behind the set and a shelf on top
        bh = rng.uniform(0.5, 1.2)
        parts.append((meshes.box(w, bh, 0.025, center=(0, h + bh / 2, d / 2 - 0.0125)), "body"))
        parts.append((meshes.box(w, 0.025, d * 0.7, center=(0, h + bh, d * 0.15)), "shelf"))
        return parts
    return _with_tv(rng, parts)


def _with_tv(rng, parts):
    """A TV stand's parts, 40 % of the time with a flat TV standing on it (as many real CAD models have)."""
    if rng.random() >= 0.4:
        return parts
    return common.on_top(rng, parts, "tv", [devices.monitor], rng.uniform(0.3, 0.5))


def night_stand(rng):
    """Night stand: a small cabinet with 1-3 drawers, an open niche or a door, on tall legs, bun feet, a plinth
    or none, or a drawer box on tall legs over an open shelf; a table lamp on 35 % of them."""
    parts = _night_stand_body(rng)
    if rng.random() < 0.35:
        parts = common.on_top(rng, parts, "lamp", [household.standing_lamp], rng.uniform(0.6, 1.2),
                              at=(rng.uniform(-0.2, 0.2), 0.0))
    return parts


def _night_stand_body(rng):
    w, h, d = rng.uniform(0.35, 0.8), rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.55)
    lift = pick(rng, [0.0, rng.uniform(0.04, 0.12), rng.uniform(0.15, 0.35)], [0.3, 0.4, 0.3])
    t = rng.uniform(0.015, 0.03)
    parts = []
    if lift > 0.15 and rng.random() < 0.6:  # a drawer box on tall legs with a shelf between them
        box_h = rng.uniform(0.12, 0.25)
        parts.append((meshes.box(w, box_h, d, center=(0, h - box_h / 2, 0)), "body"))
        fronts, pulls = common.drawer_fronts(rng, -w / 2 + 0.02, w / 2 - 0.02, h - box_h + 0.02, h - 0.02, -d / 2, 1)
        parts += [(m, "drawer") for m in fronts + pulls]
        if rng.random() < 0.7:
            parts.append((meshes.box(w - 0.04, t, d - 0.04, center=(0, (h - box_h) * rng.uniform(0.3, 0.5), 0)),
                          "body"))
        parts += [(m, "leg") for m in common.leg_set(rng, common.corners(w, d, 0.02), h - box_h, 0.035)]
        return parts
    parts += [(m, "body") for m in common.cabinet(w, h - lift, d, t, bottom=lift)]
    inner0, inner1 = lift + t, h - t
    layout = pick(rng, ["drawers", "niche", "door"], [0.5, 0.3, 0.2])
    if layout == "drawers":
        rows = int(rng.integers(1, 4))
        fronts, pulls = common.drawer_fronts(rng, -w / 2 + t, w / 2 - t, inner0, inner1, -d / 2, rows)
        parts += [(m, "drawer") for m in fronts + pulls]
    else:
        split = inner0 + (inner1 - inner0) * rng.uniform(0.55, 0.75)
        fronts, pulls = common.drawer_fronts(rng, -w / 2 + t, w / 2 - t, split, inner1, -d / 2, 1)
        parts += [(m, "drawer") for m in fronts + pulls]
        if layout == "niche":  # open below, with a shelf half-way
            parts.append((meshes.box(w - 2 * t, t, d - t, center=(0, (inner0 + split) / 2, -t / 2)), "body"))
        else:
            door, pull = common.drawer_fronts(rng, -w / 2 + t, w / 2 - t, inner0, split, -d / 2, 1)
            parts += [(m, "drawer") for m in door + pull]
    parts += [(mesh, "leg") for mesh, _ in _base(rng, w, d, lift, "leg")]
    return parts


def glass_box(rng):
    """Glass box: a display case / vitrine / aquarium of thin glass panes in a slim frame, glass shelves or not,
    on a base cabinet, on legs or standing on the floor."""
    w, h, d = rng.uniform(0.3, 1.6), rng.uniform(0.3, 1.9), rng.uniform(0.25, 0.65)
    pane = 0.006
    lift = pick(rng, [0.0, rng.uniform(0.1, 0.9)], [0.5, 0.5])
    box_h = h - lift
    parts = []
    # Glass: the four walls and the top (the bottom is the base's top), thin panes.
    y = lift + box_h / 2
    parts += [(meshes.box(w, box_h, pane, center=(0, y, s * (d / 2 - pane / 2))), "glass") for s in (-1, 1)]
    parts += [(meshes.box(pane, box_h, d, center=(s * (w / 2 - pane / 2), y, 0)), "glass") for s in (-1, 1)]
    if rng.random() < 0.8:
        parts.append((meshes.box(w, pane, d, center=(0, h - pane / 2, 0)), "glass"))
    # Frame: twelve edges, thin bars (metal or wood).
    bar = rng.uniform(0.008, 0.03)
    x, z = w / 2 - bar / 2, d / 2 - bar / 2
    edges = [((sx * x, lift, sz * z), (sx * x, h, sz * z)) for sx in (-1, 1) for sz in (-1, 1)]
    for yy in (lift + bar / 2, h - bar / 2):
        edges += [((-x, yy, sz * z), (x, yy, sz * z)) for sz in (-1, 1)]
        edges += [((sx * x, yy, -z), (sx * x, yy, z)) for sx in (-1, 1)]
    parts += [(meshes.bar(a, b, bar), "frame") for a, b in edges]
    for yy in np.linspace(lift, h, int(rng.integers(0, 4)) + 2)[1:-1]:  # glass shelves
        parts.append((meshes.box(w - 2 * bar, pane, d - 2 * bar, center=(0, yy, 0)), "glass"))
    if lift > 0:
        if rng.random() < 0.5:  # base cabinet with doors
            parts.append((meshes.box(w, lift, d, center=(0, lift / 2, 0)), "base"))
            doors = int(np.clip(round(w / 0.45), 1, 3))
            fronts, pulls = common.drawer_fronts(rng, -w / 2 + 0.02, w / 2 - 0.02, 0.02, lift - 0.02, -d / 2, 1,
                                                 doors)
            parts += [(m, "base") for m in fronts + pulls]
        else:
            parts += [(m, "base") for m in common.leg_set(rng, common.corners(w, d, bar), lift, max(bar, 0.025))]
            parts.append((meshes.box(w, 0.02, d, center=(0, lift - 0.01, 0)), "base"))
    else:
        parts.append((meshes.box(w, 0.02, d, center=(0, 0.01, 0)), "base"))
    return parts


def mantel(rng):
    """Fireplace mantel: two pilasters or legs and a frieze around an opening, a mantel shelf on top, a hearth
    slab and a firebox behind, an overmantel (mirror or panel) or vases, pots and a clock on the shelf."""
    w, h, d = rng.uniform(1.0, 2.2), rng.uniform(0.9, 1.5), rng.uniform(0.15, 0.45)
    opening_w, opening_h = w * rng.uniform(0.45, 0.7), h * rng.uniform(0.5, 0.75)
    side_w = (w - opening_w) / 2
    parts = []
    style = pick(rng, ["pilaster", "column", "slab"])
    for s in (-1, 1):
        cx = s * (w / 2 - side_w / 2)
        if style == "column":
            r = min(side_w, d) * 0.35
            parts.append((meshes.tube((cx, 0.05, -d * 0.1), (cx, opening_h, -d * 0.1), r, segments=12), "surround"))
            parts.append((meshes.box(side_w, 0.05, d, center=(cx, 0.025, 0)), "surround"))
            parts.append((meshes.box(side_w * 0.9, opening_h, d * 0.6, center=(cx, opening_h / 2, d * 0.2)),
                          "surround"))
        else:
            parts.append((meshes.box(side_w, opening_h, d, center=(cx, opening_h / 2, 0)), "surround"))
            if style == "pilaster":  # a raised strip on the front of each side
                parts.append((meshes.box(side_w * 0.5, opening_h * 0.9, 0.02,
                                         center=(cx, opening_h * 0.48, -d / 2 - 0.01)), "surround"))
    frieze_h = h - opening_h - 0.05
    parts.append((meshes.box(w, frieze_h, d, center=(0, opening_h + frieze_h / 2, 0)), "surround"))
    shelf_t = rng.uniform(0.03, 0.08)
    over = rng.uniform(0.02, 0.12)
    parts.append((meshes.box(w + 2 * over, shelf_t, d + over, center=(0, h - 0.05 + shelf_t / 2, -over / 2)), "shelf"))
    fire_d = rng.uniform(0.15, 0.4)
    parts.append((meshes.box(opening_w, opening_h, 0.03, center=(0, opening_h / 2, d / 2 + fire_d)), "firebox"))
    for s in (-1, 1):
        parts.append((meshes.box(0.03, opening_h, fire_d, center=(s * opening_w / 2, opening_h / 2,
                                                                  d / 2 + fire_d / 2)), "firebox"))
    if rng.random() < 0.6:  # hearth slab in front
        hd = rng.uniform(0.2, 0.5)
        parts.append((meshes.box(w * rng.uniform(0.8, 1.1), 0.04, hd + d, center=(0, 0.02, -hd / 2)), "hearth"))
    if rng.random() < 0.25:  # overmantel: a mirror or panel above the shelf
        oh = rng.uniform(0.4, 0.9)
        parts.append((meshes.box(w * rng.uniform(0.6, 0.95), oh, 0.04, center=(0, h + oh / 2, d / 2 - 0.02)),
                      "shelf"))
    else:
        for x in [x for x in (-0.35, 0.0, 0.35) if rng.random() < 0.35]:  # vases, pots, a clock on the shelf
            parts = common.on_top(rng, parts, "decor", [household.vase, household.flower_pot, devices.radio],
                                  rng.uniform(0.08, 0.2), at=(x, 0.0))
    return parts


MODELS = {
    "bookshelf": (("frame", "shelf", "back", "book"), bookshelf),
    "dresser": (("body", "drawer", "foot", "mirror", "decor"), dresser),
    "glass_box": (("glass", "frame", "base"), glass_box),
    "mantel": (("surround", "shelf", "firebox", "hearth", "decor"), mantel),
    "night_stand": (("body", "drawer", "leg", "lamp"), night_stand),
    "tv_stand": (("body", "shelf", "door", "leg", "tv"), tv_stand),
    "wardrobe": (("body", "door", "handle", "base"), wardrobe),
}
