"""synthetic_rooms: procedurally generated rooms cut into S3DIS-style blocks, the embedded segmentation default.

No files needed: rooms are generated with numpy from fixed seeds (area, room). Each room has a floor, a ceiling and
four walls with doors, windows and boards set into them, and furniture-like objects built from boxes (tables,
chairs, sofas, bookcases, columns, beams, clutter). Every point carries one of the 13 S3DIS classes, so the S3DIS
protocol runs unchanged. Rooms are sampled on their surfaces (area-weighted, ~1,500 points per m^2, with colour per
object and noise), then cut like PointNet's `room2blocks`: 1 m x 1 m columns on a 1 m stride, 4096 points per block
(sampled with replacement when a block has fewer), 9 columns (x, y relative to the block centre, z; r, g, b in
[0, 1]; x, y, z divided by the room's extent). z is up, as in S3DIS. Areas `area1` ... `area6` hold different rooms.
"""

import numpy as np
import tensorflow_datasets as tfds

from dcglr_tf.builders import _builder_utils as utils

CLASS_NAMES = utils.S3DIS_CLASS_NAMES
C = {name: i for i, name in enumerate(CLASS_NAMES)}
NUM_POINTS = 4096
ROOMS_PER_AREA = {1: 3, 2: 2, 3: 2, 4: 2, 5: 3, 6: 2}
SEED = 20240303
POINTS_PER_M2 = 1500.0
MIN_BLOCK_POINTS = 100  # as PointNet's room2blocks: emptier blocks are dropped
BASE_COLOURS = {
    "ceiling": (0.85, 0.85, 0.82), "floor": (0.45, 0.38, 0.30), "wall": (0.75, 0.74, 0.70),
    "beam": (0.65, 0.65, 0.62), "column": (0.70, 0.70, 0.68), "window": (0.55, 0.70, 0.85),
    "door": (0.55, 0.35, 0.20), "table": (0.60, 0.45, 0.30), "chair": (0.20, 0.20, 0.25),
    "sofa": (0.35, 0.25, 0.45), "bookcase": (0.50, 0.35, 0.25), "board": (0.92, 0.92, 0.95),
    "clutter": (0.50, 0.50, 0.50),
}


class _Room:
    """Accumulates labelled, coloured surface samples."""

    def __init__(self, rng):
        self.rng = rng
        self.points, self.labels, self.colours = [], [], []

    def rect(self, name, origin, u, v, colour=None, holes=()):
        """Sample the parallelogram origin + a*u + b*v (a, b in [0, 1]); `holes` are (a0, a1, b0, b1) cut out."""
        origin, u, v = (np.asarray(x, dtype=np.float64) for x in (origin, u, v))
        area = np.linalg.norm(np.cross(u, v))
        n = self.rng.poisson(area * POINTS_PER_M2)
        if n == 0:
            return
        ab = self.rng.random((n, 2))
        keep = np.ones(n, dtype=bool)
        for a0, a1, b0, b1 in holes:
            keep &= ~((ab[:, 0] > a0) & (ab[:, 0] < a1) & (ab[:, 1] > b0) & (ab[:, 1] < b1))
        ab = ab[keep]
        self._add(name, origin + ab[:, :1] * u + ab[:, 1:] * v, colour)

    def box(self, name, lo, hi, colour=None, bottom=True):
        """The surface of the axis-aligned box [lo, hi] (without its bottom face when it rests on something)."""
        (x0, y0, z0), (x1, y1, z1) = lo, hi
        colour = self._object_colour(name) if colour is None else colour
        dx, dy, dz = (x1 - x0, 0, 0), (0, y1 - y0, 0), (0, 0, z1 - z0)
        self.rect(name, (x0, y0, z1), dx, dy, colour)
        if bottom:
            self.rect(name, (x0, y0, z0), dx, dy, colour)
        self.rect(name, (x0, y0, z0), dx, dz, colour)
        self.rect(name, (x0, y1, z0), dx, dz, colour)
        self.rect(name, (x0, y0, z0), dy, dz, colour)
        self.rect(name, (x1, y0, z0), dy, dz, colour)

    def _object_colour(self, name):
        return np.clip(np.asarray(BASE_COLOURS[name]) + self.rng.normal(scale=0.08, size=3), 0, 1)

    def _add(self, name, points, colour):
        colour = self._object_colour(name) if colour is None else colour
        self.points.append(points)
        self.labels.append(np.full(len(points), C[name], dtype=np.int64))
        self.colours.append(np.clip(colour + self.rng.normal(scale=0.03, size=(len(points), 3)), 0, 1))

    def arrays(self):
        points = np.concatenate(self.points)
        points += self.rng.normal(scale=0.005, size=points.shape)  # scanner noise
        return points, np.concatenate(self.labels), np.concatenate(self.colours)


def _table(room, x, y, w, d, rng):
    h, t, leg = rng.uniform(0.70, 0.78), rng.uniform(0.03, 0.06), rng.uniform(0.04, 0.07)
    colour = room._object_colour("table")
    room.box("table", (x, y, h - t), (x + w, y + d, h), colour)
    for lx in (x + 0.05, x + w - 0.05 - leg):
        for ly in (y + 0.05, y + d - 0.05 - leg):
            room.box("table", (lx, ly, 0), (lx + leg, ly + leg, h - t), colour, bottom=False)
    return h


def _chair(room, x, y, facing, rng):
    """A chair whose seat corner is (x, y); the back is on the side opposite to `facing` (+-1 along y)."""
    s, sh = rng.uniform(0.40, 0.50), rng.uniform(0.42, 0.48)
    colour = room._object_colour("chair")
    room.box("chair", (x, y, sh - 0.05), (x + s, y + s, sh), colour)
    back_y = y + s - 0.05 if facing < 0 else y
    room.box("chair", (x, back_y, sh), (x + s, back_y + 0.05, sh + rng.uniform(0.35, 0.5)), colour)
    for lx in (x, x + s - 0.04):
        for ly in (y, y + s - 0.04):
            room.box("chair", (lx, ly, 0), (lx + 0.04, ly + 0.04, sh - 0.05), colour, bottom=False)


def _generate_room(rng, kind):
    if kind == "hallway":
        width, depth = rng.uniform(1.6, 2.4), rng.uniform(5.0, 8.0)
    elif kind == "conferenceRoom":
        width, depth = rng.uniform(4.0, 5.5), rng.uniform(4.0, 6.0)
    else:
        width, depth = rng.uniform(3.0, 4.5), rng.uniform(3.0, 5.0)
    height = rng.uniform(2.7, 3.2)
    room = _Room(rng)
    room.rect("floor", (0, 0, 0), (width, 0, 0), (0, depth, 0))
    room.rect("ceiling", (0, 0, height), (width, 0, 0), (0, depth, 0))

    # Walls: (origin, along-wall vector, inward normal); openings cut out and filled with doors/windows/boards.
    walls = [((0, 0, 0), (width, 0, 0), (0, 1, 0)), ((0, depth, 0), (width, 0, 0), (0, -1, 0)),
             ((0, 0, 0), (0, depth, 0), (1, 0, 0)), ((width, 0, 0), (0, depth, 0), (-1, 0, 0))]
    insets = {i: [] for i in range(4)}
    insets[int(rng.integers(4))].append(("door", 0.9, 0.0, 2.05, 0.06))
    for _ in range(int(rng.integers(0, 3)) if kind != "hallway" else 0):
        insets[int(rng.integers(4))].append(("window", rng.uniform(0.8, 1.8), 0.9, 2.1, 0.04))
    if kind in ("office", "conferenceRoom", "lounge"):
        for _ in range(1 + int(rng.random() < 0.4)):
            insets[int(rng.integers(4))].append(("board", rng.uniform(1.5, 3.0), 0.9, 2.1, 0.02))
    for i, (origin, along, normal) in enumerate(walls):
        length = np.linalg.norm(along)
        unit, normal = np.asarray(along) / length, np.asarray(normal, dtype=np.float64)
        holes, placed = [], []
        for name, w, z0, z1, thickness in insets[i]:
            w = min(w, length - 0.4)
            for _ in range(10):  # find a free stretch of wall
                a0 = rng.uniform(0.2, length - 0.2 - w)
                if all(a0 + w < b0 - 0.1 or a0 > b1 + 0.1 for b0, b1 in placed):
                    break
            else:
                continue
            placed.append((a0, a0 + w))
            holes.append((a0 / length, (a0 + w) / length, z0 / height, z1 / height))
            start = np.asarray(origin, dtype=np.float64) + a0 * unit + z0 * np.array([0, 0, 1.0])
            colour = room._object_colour(name)
            room.rect(name, start + thickness * normal, w * unit, (z1 - z0) * np.array([0, 0, 1.0]), colour)
            room.rect(name, start, thickness * normal, (z1 - z0) * np.array([0, 0, 1.0]), colour)
            room.rect(name, start + w * unit, thickness * normal, (z1 - z0) * np.array([0, 0, 1.0]), colour)
        wall_colour = room._object_colour("wall")
        room.rect("wall", origin, along, (0, 0, height), wall_colour, holes=holes)

    # Structure.
    if rng.random() < 0.5:
        s = rng.uniform(0.3, 0.5)
        cx, cy = (0.0 if rng.random() < 0.5 else width - s), rng.uniform(0, depth - s)
        room.box("column", (cx, cy, 0), (cx + s, cy + s, height), bottom=False)
    if rng.random() < 0.5:
        t, h = rng.uniform(0.25, 0.4), rng.uniform(0.25, 0.5)
        by = rng.uniform(0.5, depth - 0.5 - t)
        room.box("beam", (0, by, height - h), (width, by + t, height))

    # Furniture.
    tops = []
    if kind in ("office", "conferenceRoom"):
        n_tables = 1 if kind == "conferenceRoom" else int(rng.integers(1, 3))
        for _ in range(n_tables):
            w = min(rng.uniform(1.2, 3.0) if kind == "conferenceRoom" else rng.uniform(1.0, 1.6), width - 1.4)
            d = min(rng.uniform(0.6, 1.2), depth - 1.6)
            x, y = rng.uniform(0.6, width - 0.6 - w), rng.uniform(0.7, depth - 0.7 - d)
            h = _table(room, x, y, w, d, rng)
            tops.append((x, y, w, d, h))
            for cx in np.arange(x + 0.1, x + w - 0.45, 0.7):
                if rng.random() < 0.8:
                    _chair(room, cx + rng.uniform(-0.05, 0.05), y - 0.55 + rng.uniform(-0.1, 0.1), +1, rng)
                if rng.random() < 0.6:
                    _chair(room, cx + rng.uniform(-0.05, 0.05), y + d + 0.1 + rng.uniform(-0.1, 0.1), -1, rng)
    if kind in ("lounge", "office") and rng.random() < 0.7:
        w, d = min(rng.uniform(1.6, 2.2), width - 0.4), rng.uniform(0.8, 0.95)
        x = rng.uniform(0.2, width - 0.2 - w)
        colour = room._object_colour("sofa")
        room.box("sofa", (x, depth - d, 0), (x + w, depth - 0.05, 0.45), colour, bottom=False)
        room.box("sofa", (x, depth - 0.3, 0.45), (x + w, depth - 0.05, 0.85), colour)
        for ax in (x, x + w - 0.2):
            room.box("sofa", (ax, depth - d, 0.45), (ax + 0.2, depth - 0.3, 0.65), colour)
    if kind != "hallway" and rng.random() < 0.8:
        for _ in range(int(rng.integers(1, 3))):
            w, h = rng.uniform(0.8, 1.4), rng.uniform(1.6, 2.2)
            y = rng.uniform(0.3, depth - 0.3 - w)
            x0 = 0.02 if rng.random() < 0.5 else width - 0.4
            colour = room._object_colour("bookcase")
            room.box("bookcase", (x0, y, 0), (x0 + 0.38, y + w, h), colour, bottom=False)
            for z in np.arange(0.4, h - 0.2, 0.4):  # shelves seen through the open front
                room.rect("bookcase", (x0, y, z), (0.38, 0, 0), (0, w, 0), colour)
    for _ in range(int(rng.integers(3, 9))):
        s = rng.uniform(0.08, 0.4, 3)
        if tops and rng.random() < 0.6:
            x, y, w, d, h = tops[int(rng.integers(len(tops)))]
            px, py = rng.uniform(x, x + max(w - s[0], 0.01)), rng.uniform(y, y + max(d - s[1], 0.01))
            room.box("clutter", (px, py, h), (px + s[0], py + s[1], h + s[2]), bottom=False)
        else:
            px, py = rng.uniform(0.05, width - 0.5), rng.uniform(0.05, depth - 0.5)
            room.box("clutter", (px, py, 0), (px + s[0], py + s[1], s[2]), bottom=False)
    points, labels, colours = room.arrays()
    return points, labels, colours, np.array([width, depth, height])


def room2blocks(points, labels, colours, extent, rng, block_size=1.0, stride=1.0, num_points=NUM_POINTS):
    """Cut a room into blocks like PointNet's indoor3d_util.room2blocks_plus_normalized. Yields (data [n, 9],
    labels [n], block index)."""
    points = points - points.min(axis=0, keepdims=True)
    limit = points.max(axis=0)
    nx = max(int(np.ceil((limit[0] - block_size) / stride)) + 1, 1)
    ny = max(int(np.ceil((limit[1] - block_size) / stride)) + 1, 1)
    for i in range(nx):
        for j in range(ny):
            bx, by = i * stride, j * stride
            inside = np.nonzero((points[:, 0] >= bx) & (points[:, 0] <= bx + block_size) &
                                (points[:, 1] >= by) & (points[:, 1] <= by + block_size))[0]
            if len(inside) < MIN_BLOCK_POINTS:
                continue
            if len(inside) >= num_points:
                chosen = rng.choice(inside, num_points, replace=False)
            else:
                chosen = np.concatenate([inside, rng.choice(inside, num_points - len(inside), replace=True)])
            p = points[chosen]
            data = np.concatenate([p - np.array([bx + block_size / 2, by + block_size / 2, 0.0]),
                                   colours[chosen], p / np.maximum(limit, 1e-6)], axis=1)
            yield data.astype(np.float32), labels[chosen], (i, j)


ROOM_KINDS = ("office", "conferenceRoom", "hallway", "lounge", "storage")


def generate_area(area: int, rooms: int = None):
    """Yield (key, example) for every block of every room of `area` (deterministic)."""
    rooms = ROOMS_PER_AREA[area] if rooms is None else rooms
    for r in range(rooms):
        rng = np.random.default_rng([SEED, area, r])
        kind = ROOM_KINDS[(area + r) % len(ROOM_KINDS)] if r else "office"
        points, labels, colours, extent = _generate_room(rng, kind)
        name = f"Area_{area}_{kind}_{r + 1}"
        for data, block_labels, (i, j) in room2blocks(points, labels, colours, extent, rng):
            yield f"{name}_{i:02d}_{j:02d}", {
                "points": np.ascontiguousarray(data[:, :3]),
                "features": np.ascontiguousarray(data[:, 3:]),
                "labels": block_labels.astype(np.int64),
                "room": name,
            }


class Builder(tfds.core.GeneratorBasedBuilder):
    """Procedural rooms in S3DIS-style 1 m blocks with the 13 S3DIS labels, areas 1-6 (embedded default)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Initial release: 14 rooms over 6 areas, 1 m blocks of 4096 points."}

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=utils.segmentation_features(NUM_POINTS),
            metadata=tfds.core.MetadataDict(class_names=CLASS_NAMES),
            homepage="https://github.com/dcglr-tf/dcglr_tf",
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing to download
        return {f"area{area}": self._generate_examples(area) for area in ROOMS_PER_AREA}

    def _generate_examples(self, area):
        yield from generate_area(area)
