"""Parts shared by several synthetic_objects categories: leg sets, swept tubes, slats, handles.

Conventions of every maker: y is up, the floor is y = 0, the object's front faces -z (an airplane's nose, a
chair's seat edge, a screen) and its left-right symmetry plane is x = 0. A maker takes a `numpy` Generator and
returns a list of `(mesh, part name)`; sizes are in metres (the builder normalises the sampled cloud).
"""

import numpy as np

from .. import _meshes as meshes


def pick(rng, options, weights=None):
    """One of `options`, with probabilities proportional to `weights` (uniform when None)."""
    if weights is None:
        return options[int(rng.integers(len(options)))]
    p = np.asarray(weights, dtype=np.float64)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def corners(width, depth, inset):
    """The four (x, z) leg positions under a width x depth top, `inset` in from each edge."""
    x, z = width / 2 - inset, depth / 2 - inset
    return [(-x, -z), (x, -z), (-x, z), (x, z)]


def leg(style, x, z, top, thickness, bottom=0.0, splay=(0.0, 0.0)):
    """One leg from (x, top, z) down to the floor (y = `bottom`), its foot moved by `splay` (dx, dz).

    style: "square" (bar), "round" (tube), "tapered" (tube thinning to the foot).
    """
    start, end = (x + splay[0], bottom, z + splay[1]), (x, top, z)
    if style == "square":
        return meshes.bar(start, end, thickness)
    radius_foot = thickness / 2 * (0.55 if style == "tapered" else 1.0)
    return meshes.tube(start, end, radius_foot, segments=8, radius_end=thickness / 2)


def leg_set(rng, positions, top, thickness, style=None, splay=0.0):
    """Legs under every (x, z) of `positions`; feet pushed outwards by `splay` (fraction of the height)."""
    style = style or pick(rng, ["square", "round", "tapered"])
    out = []
    for x, z in positions:
        out.append(leg(style, x, z, top, thickness, splay=(np.sign(x) * splay * top, np.sign(z) * splay * top)))
    return out


def sweep(path, radius, segments=8):
    """Closed tube of circular section swept along a polyline `path` (K, 3) (handles, bent tubes, arcs)."""
    path = np.asarray(path, dtype=np.float64)
    tangents = np.gradient(path, axis=0)
    tangents /= np.linalg.norm(tangents, axis=1, keepdims=True)
    # Parallel transport of a normal along the path keeps the rings from twisting.
    normal = np.cross(tangents[0], [0.0, 1.0, 0.0] if abs(tangents[0][1]) < 0.9 else [1.0, 0.0, 0.0])
    normal /= np.linalg.norm(normal)
    angle = np.arange(segments) * (2 * np.pi / segments)
    rings = []
    for point, tangent in zip(path, tangents):
        normal = normal - (normal @ tangent) * tangent
        normal /= np.linalg.norm(normal)
        binormal = np.cross(tangent, normal)
        rings.append(point + radius * (np.cos(angle)[:, None] * normal + np.sin(angle)[:, None] * binormal))
    return meshes.loft(np.stack(rings))


def arc(center, radius, start, stop, plane="xy", count=12):
    """Points (count, 3) on a circular arc around `center` from angle `start` to `stop` in `plane`."""
    t = np.linspace(start, stop, count)
    points = np.zeros((count, 3))
    i, j = {"xy": (0, 1), "zy": (2, 1), "xz": (0, 2)}[plane]
    points[:, i], points[:, j] = radius * np.cos(t), radius * np.sin(t)
    return points + np.asarray(center, dtype=np.float64)


def slats(start, stop, count, size, center_other=0.0, axis="x", y=0.0):
    """`count` parallel boxes of `size` (sx, sy, sz) spread evenly from `start` to `stop` along `axis`."""
    out = []
    for t in np.linspace(start, stop, count):
        center = (t, y, center_other) if axis == "x" else (center_other, y, t)
        out.append(meshes.box(*size, center=center))
    return out


def cabinet(width, height, depth, thickness, bottom=0.0):
    """Open-front carcass: two sides, top, bottom and back panels, the opening facing -z."""
    t = thickness
    y0 = bottom
    return [
        meshes.box(t, height, depth, center=(-width / 2 + t / 2, y0 + height / 2, 0.0)),
        meshes.box(t, height, depth, center=(width / 2 - t / 2, y0 + height / 2, 0.0)),
        meshes.box(width, t, depth, center=(0.0, y0 + height - t / 2, 0.0)),
        meshes.box(width, t, depth, center=(0.0, y0 + t / 2, 0.0)),
        meshes.box(width, height, t, center=(0.0, y0 + height / 2, depth / 2 - t / 2)),
    ]


def knob_or_handle(rng, x, y, z, size, vertical=None):
    """A small pull on a front face at z: a knob (sphere) or a bar handle on two posts."""
    if rng.random() < 0.35:
        return meshes.sphere(size * 0.35, center=(x, y, z - size * 0.3), segments=8, rings=4)
    vertical = rng.random() < 0.5 if vertical is None else vertical
    half = np.array([0.0, size, 0.0]) if vertical else np.array([size, 0.0, 0.0])
    front = np.array([x, y, z - size * 0.35])
    return meshes.bar(front - half, front + half, size * 0.18)


def vessel(radii, heights, wall, floor=None, segments=28, closed_bottom=True):
    """Open-topped solid of revolution with walls `wall` thick (cups, bowls, vases, pots, shades).

    (radii, heights): the outer profile from the bottom to the rim. The inner surface runs `wall` inside it back
    down to the floor at height `floor` (default: `wall` above the bottom). Without `closed_bottom` the bottom is
    open too (a lamp shade, a pipe): a ring-shaped profile.
    """
    radii, heights = np.asarray(radii, dtype=np.float64), np.asarray(heights, dtype=np.float64)
    floor = heights[0] + wall if floor is None else floor
    inner_r = np.maximum(radii - wall, 1e-3)[::-1]
    inner_y = np.maximum(heights, floor)[::-1]
    if not closed_bottom:
        return meshes.lathe(np.concatenate([radii, inner_r]), np.concatenate([heights, heights[::-1]]), segments,
                            closed_profile=True)
    r = np.concatenate([[0.0], radii, inner_r, [0.0]])
    y = np.concatenate([[heights[0]], heights, inner_y, [floor]])
    return meshes.lathe(r, y, segments)


def smooth_profile(rng, count, low, high, points=12):
    """A smooth random radius profile (points,) through `count` random control radii in [low, high]."""
    control = rng.uniform(low, high, count)
    x = np.linspace(0.0, count - 1, points)
    i = np.minimum(x.astype(int), count - 2)
    f = x - i
    f = f * f * (3 - 2 * f)  # smoothstep between neighbouring control radii
    return control[i] * (1 - f) + control[i + 1] * f


def oriented(mesh, direction, base):
    """`mesh` built along +y from its origin, turned to point along `direction` and moved to `base`."""
    return meshes.transform(mesh, rotate=meshes.align_y(direction), translate=base)


def drawer_fronts(rng, x0, x1, y0, y1, z, rows, columns=1):
    """A grid of drawer fronts covering x0..x1, y0..y1 of a front face at z (facing -z): (fronts, pulls)."""
    fronts, pulls = [], []
    gap = 0.006
    xs, ys = np.linspace(x0, x1, columns + 1), np.linspace(y0, y1, rows + 1)
    for i in range(columns):
        for j in range(rows):
            cx, cy = (xs[i] + xs[i + 1]) / 2, (ys[j] + ys[j + 1]) / 2
            fw, fh = xs[i + 1] - xs[i] - gap, ys[j + 1] - ys[j] - gap
            fronts.append(meshes.box(fw, fh, 0.018, center=(cx, cy, z - 0.009)))
            pulls.append(knob_or_handle(rng, cx, cy, z - 0.018, min(0.05, fw * 0.2), vertical=False))
    return fronts, pulls


def place_on(parts, height, base):
    """Another maker's object [(mesh, part), ...] as one mesh, scaled to `height` and standing centred on the
    point `base` (a lamp on a night stand, a TV on a TV stand: decorations that real CAD models often include)."""
    vertices, faces = meshes.merge([mesh for mesh, _ in parts])
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    anchor = np.array([(low[0] + high[0]) / 2, low[1], (low[2] + high[2]) / 2])
    return (vertices - anchor) * (height / (high[1] - low[1])) + np.asarray(base, dtype=np.float64), faces


def on_top(rng, parts, part, makers, relative_height, at=(0.0, 0.0)):
    """`parts` with one object of a random maker of `makers` standing on their top surface, as tall as
    `relative_height` x the host's width (x), at (x, z) fractions `at` of the top surface's extents from its
    centre; the object is labelled `part`."""
    vertices = np.concatenate([mesh[0] for mesh, _ in parts])
    top = vertices[:, 1].max()
    surface = vertices[vertices[:, 1] > top - 0.02 * np.ptp(vertices[:, 1])]
    low, high = surface.min(axis=0), surface.max(axis=0)
    base = ((low[0] + high[0]) / 2 + at[0] * (high[0] - low[0]), top,
            (low[2] + high[2]) / 2 + at[1] * (high[2] - low[2]))
    height = relative_height * np.ptp(vertices[:, 0])
    return parts + [(place_on(pick(rng, makers)(rng), height, base), part)]
