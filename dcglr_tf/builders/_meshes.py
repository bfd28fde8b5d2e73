"""Triangle meshes for the procedural datasets (synthetic_shapes, synthetic_objects): primitives and transforms.

A mesh is a pair `(vertices (V, 3) float64, faces (F, 3) int)`; y is up. Plain NumPy, no TensorFlow. Surfaces are
sampled with `_builder_utils.sample_triangles`.

The primitives `lathe`, `prism`, `loft`, `rounded_box` and `tube` are wound so that the right-hand normal of
every face points out of the solid (for `lathe`, `loft` and `prism` when their profile or rings run
counter-clockwise; `outward` fixes any closed mesh by its signed volume). The older grid primitives (`ellipsoid`,
`frustum`, `torus`, `pyramid`) are kept bit-for-bit as synthetic_shapes has always sampled them.
"""

import numpy as np


def grid_mesh(fn, nu, nv):
    """Mesh of a parametric patch: fn(u, v) -> (x, y, z) on a (nu + 1) x (nv + 1) grid of u, v in [0, 1]."""
    u, v = np.meshgrid(np.linspace(0.0, 1.0, nu + 1), np.linspace(0.0, 1.0, nv + 1), indexing="ij")
    vertices = np.stack(fn(u, v), axis=-1).reshape(-1, 3)
    idx = np.arange((nu + 1) * (nv + 1)).reshape(nu + 1, nv + 1)
    a, b = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel()
    c, d = idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return vertices, faces


def box(sx, sy, sz, center=(0.0, 0.0, 0.0)):
    """Axis-aligned box of size (sx, sy, sz) around `center`: 8 vertices, 12 outward-wound faces."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    vertices = corners * np.array([sx, sy, sz]) / 2.0 + np.asarray(center)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = np.array([f for q in quads for f in ((q[0], q[1], q[2]), (q[0], q[2], q[3]))])
    return vertices, faces


def boxes(centers, sizes):
    """Many axis-aligned boxes as one mesh (keys, books, slats): centers (K, 3), sizes (K, 3) or (3,)."""
    centers = np.asarray(centers, dtype=np.float64).reshape(-1, 3)
    sizes = np.broadcast_to(np.asarray(sizes, dtype=np.float64), centers.shape)
    unit, faces = box(1.0, 1.0, 1.0)
    vertices = (unit[None] * sizes[:, None] + centers[:, None]).reshape(-1, 3)
    return vertices, (faces[None] + 8 * np.arange(len(centers))[:, None, None]).reshape(-1, 3)


def ellipsoid(a, b, c, center=(0.0, 0.0, 0.0), theta_max=np.pi):
    """Ellipsoid with semi-axes (a, b, c) (16 x 24 grid), cut at polar angle `theta_max` from the top (+y)."""
    def fn(u, v):
        theta, phi = u * theta_max, v * 2 * np.pi  # theta from the top (+y)
        return (a * np.sin(theta) * np.cos(phi) + center[0], b * np.cos(theta) + center[1],
                c * np.sin(theta) * np.sin(phi) + center[2])
    return grid_mesh(fn, 16, 24)


def frustum(r_bottom, r_top, height, center=(0.0, 0.0, 0.0), bottom_cap=True, top_cap=True, segments=24):
    """Vertical truncated cone from y = center_y - height/2 to y = center_y + height/2."""
    cx, cy, cz = center
    meshes = [grid_mesh(lambda u, v: ((r_bottom + (r_top - r_bottom) * u) * np.cos(2 * np.pi * v) + cx,
                                      cy - height / 2 + height * u,
                                      (r_bottom + (r_top - r_bottom) * u) * np.sin(2 * np.pi * v) + cz),
                        4, segments)]
    for flag, radius, y in ((bottom_cap, r_bottom, cy - height / 2), (top_cap, r_top, cy + height / 2)):
        if flag and radius > 1e-6:
            meshes.append(grid_mesh(lambda u, v, r=radius, yy=y: (r * u * np.cos(2 * np.pi * v) + cx,
                                                                   np.full_like(u, yy),
                                                                   r * u * np.sin(2 * np.pi * v) + cz),
                                    3, segments))
    return merge(meshes)


def torus(major, minor, center=(0.0, 0.0, 0.0)):
    """Torus about the y axis: ring radius `major`, tube radius `minor` (32 x 12 grid)."""
    def fn(u, v):
        a, b = 2 * np.pi * u, 2 * np.pi * v
        ring = major + minor * np.cos(b)
        return ring * np.cos(a) + center[0], minor * np.sin(b) + center[1], ring * np.sin(a) + center[2]
    return grid_mesh(fn, 32, 12)


def pyramid(sx, sz, height, sides, apex_offset=(0.0, 0.0)):
    """Pyramid with a regular `sides`-gon base (stretched to sx x sz) and its apex `height` above it."""
    angles = np.arange(sides) * 2 * np.pi / sides + np.pi / sides
    base = np.stack([sx / 2 * np.sqrt(2) * np.cos(angles), np.zeros(sides),
                     sz / 2 * np.sqrt(2) * np.sin(angles)], 1)
    apex = np.array([[apex_offset[0], height, apex_offset[1]]])
    centre = np.zeros((1, 3))
    vertices = np.concatenate([base, apex, centre]) - np.array([0.0, height / 2, 0.0])
    faces = [(i, (i + 1) % sides, sides) for i in range(sides)]
    faces += [(i, (i + 1) % sides, sides + 1) for i in range(sides)]
    return vertices, np.array(faces)


def merge(meshes):
    """One mesh of several: vertices concatenated, faces re-indexed."""
    vertices, faces, offset = [], [], 0
    for v, f in meshes:
        vertices.append(v)
        faces.append(f + offset)
        offset += len(v)
    return np.concatenate(vertices), np.concatenate(faces)


def rotate_y(points, angle):
    """Points (N, 3) rotated by `angle` (radians) about the y axis."""
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])


def swap_xy(mesh):
    """The mesh with its x and y axes exchanged (a standing shape laid down)."""
    v, f = mesh
    return v[:, [1, 0, 2]], f


def flip_y(mesh):
    """The mesh mirrored upside down (faces keep their vertex order)."""
    v, f = mesh
    return v * np.array([1.0, -1.0, 1.0]), f


# ----------------------------------------------------------------------------------------------------------
# Outward-wound primitives and transforms (synthetic_objects).

def rotation(axis: str, angle: float) -> np.ndarray:
    """(3, 3) right-handed rotation by `angle` radians about 'x', 'y' or 'z' (column vectors: R @ p)."""
    c, s = np.cos(angle), np.sin(angle)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    matrix = np.eye(3)
    matrix[i, i], matrix[i, j], matrix[j, i], matrix[j, j] = c, -s, s, c
    return matrix


def transform(mesh, scale=1.0, rotate=None, translate=(0.0, 0.0, 0.0)):
    """The mesh scaled (scalar or per axis), then rotated by the (3, 3) matrix `rotate`, then translated.

    A mirroring transform (negative determinant) reverses the faces' vertex order, so outward stays outward.
    """
    vertices, faces = mesh
    linear = np.diag(np.broadcast_to(np.asarray(scale, dtype=np.float64), (3,)))
    if rotate is not None:
        linear = np.asarray(rotate, dtype=np.float64) @ linear
    vertices = vertices @ linear.T + np.asarray(translate, dtype=np.float64)
    return vertices, (faces[:, ::-1] if np.linalg.det(linear) < 0 else faces)


def mirror_x(mesh):
    """The mesh mirrored across the x = 0 plane (left <-> right), still outward-wound."""
    return transform(mesh, scale=(-1.0, 1.0, 1.0))


def signed_volume(mesh) -> float:
    """Volume enclosed by a closed mesh: positive when its faces are wound outward."""
    vertices, faces = mesh
    tri = vertices[faces]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)


def outward(mesh):
    """A closed mesh with its faces reversed if they are wound inward (negative signed volume)."""
    vertices, faces = mesh
    return (vertices, faces[:, ::-1]) if signed_volume(mesh) < 0 else mesh


def _ring_faces(rings: int, ring_size: int, closed: bool = True) -> np.ndarray:
    """Faces joining `rings` consecutive rings of `ring_size` vertices (vertex id = ring * ring_size + k)."""
    k = np.arange(ring_size if closed else ring_size - 1)
    k1 = (k + 1) % ring_size
    r = np.arange(rings - 1)[:, None] * ring_size
    a, b, c, d = r + k, r + ring_size + k, r + ring_size + k1, r + k1
    return np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])


def lathe(radii, heights, segments=24, center=(0.0, 0.0, 0.0), closed_profile=False):
    """Surface of revolution about the vertical axis through `center`: profile points (radius_k, height_k).

    A profile from the axis at the bottom, out and up, back to the axis at the top gives a closed solid wound
    outward (cylinder: radii (0, r, r, 0), heights (0, 0, h, h)); an open profile gives a shell (a cup: up the
    outside, over the lip, down the inside). `closed_profile` also joins the last point to the first (a torus).
    """
    radii = np.asarray(radii, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    angle = np.arange(segments) * (2 * np.pi / segments)
    # Ring k is profile point k swept around the axis: (K, segments, 3).
    ring = np.stack([radii[:, None] * np.cos(angle), np.broadcast_to(heights[:, None], (len(radii), segments)),
                     radii[:, None] * np.sin(angle)], -1)
    vertices = ring.reshape(-1, 3) + np.asarray(center, dtype=np.float64)
    faces = _ring_faces(len(radii), segments)
    if closed_profile:
        last = (len(radii) - 1) * segments
        k = np.arange(segments)
        k1 = (k + 1) % segments
        faces = np.concatenate([faces, np.stack([last + k, k, k1], 1), np.stack([last + k, k1, last + k1], 1)])
    return vertices, faces


def cylinder(radius, height, center=(0.0, 0.0, 0.0), segments=24, radius_top=None):
    """Closed vertical cylinder (or frustum with `radius_top`) centred on `center`, outward-wound."""
    top = radius if radius_top is None else radius_top
    cx, cy, cz = center
    return lathe([0.0, radius, top, 0.0], [-height / 2, -height / 2, height / 2, height / 2], segments,
                 center=(cx, cy, cz))


def sphere(radius, center=(0.0, 0.0, 0.0), segments=20, rings=10, scale=(1.0, 1.0, 1.0)):
    """Closed sphere (an ellipsoid with per-axis `scale`), outward-wound."""
    theta = np.linspace(-np.pi / 2, np.pi / 2, rings + 1)
    mesh = lathe(radius * np.cos(theta), radius * np.sin(theta), segments)
    return transform(mesh, scale=scale, translate=center)


def align_y(direction) -> np.ndarray:
    """(3, 3) rotation taking +y onto the unit vector `direction`."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    y = np.array([0.0, 1.0, 0.0])
    axis = np.cross(y, d)
    s, c = np.linalg.norm(axis), float(d @ y)
    if s < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def tube(start, end, radius, segments=10, radius_end=None):
    """Closed cylinder (or frustum) from point `start` to point `end` (legs, rods, arms), outward-wound."""
    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    length = np.linalg.norm(end - start)
    mesh = cylinder(radius, length, (0.0, length / 2, 0.0), segments, radius_top=radius_end)
    return transform(mesh, rotate=align_y(end - start), translate=start)


def bar(start, end, width, depth=None, roll=0.0):
    """Box of cross-section width x depth from point `start` to point `end` (square legs, slats, frames).

    `roll` turns the cross-section about the bar's own axis.
    """
    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    length = np.linalg.norm(end - start)
    mesh = box(width, length, width if depth is None else depth, (0.0, length / 2, 0.0))
    return transform(mesh, rotate=align_y(end - start) @ rotation("y", roll), translate=start)


def _fan(ring_ids: np.ndarray, centre_id: int) -> np.ndarray:
    k = np.arange(len(ring_ids))
    return np.stack([np.full(len(k), centre_id), ring_ids[(k + 1) % len(k)], ring_ids[k]], 1)


def loft(rings, cap_start=True, cap_end=True):
    """Skin through S closed rings (S, M, 3) of M points each (fuselages, car bodies, wings).

    Consecutive rings are joined; the end rings are closed by a fan from their centroid when capped (rings
    must be star-shaped about it). The result is made outward-wound when both ends are capped.
    """
    rings = np.asarray(rings, dtype=np.float64)
    count, size = rings.shape[:2]
    vertices = [rings.reshape(-1, 3)]
    faces = [_ring_faces(count, size)]
    for flag, index, reverse in ((cap_start, 0, True), (cap_end, count - 1, False)):
        if flag:
            centre_id = count * size + len(vertices) - 1
            vertices.append(rings[index].mean(axis=0, keepdims=True))
            fan = _fan(np.arange(size) + index * size, centre_id)
            faces.append(fan[:, ::-1] if reverse else fan)
    mesh = np.concatenate(vertices), np.concatenate(faces)
    return outward(mesh) if cap_start and cap_end else mesh


def prism(polygon, depth, axis="z", center=(0.0, 0.0, 0.0)):
    """Extrusion of a star-shaped 2D polygon (K, 2) by `depth` (guitar bodies, side panels, car profiles).

    The polygon lies in the plane across `axis` ('z': polygon in x-y, extruded along z; 'x': polygon in
    (z, y), extruded along x; 'y': polygon in (x, z), extruded along y), centred on `center`.
    """
    polygon = np.asarray(polygon, dtype=np.float64)
    rings = np.zeros((2, len(polygon), 3))
    rings[:, :, :2] = polygon
    rings[0, :, 2], rings[1, :, 2] = -depth / 2, depth / 2
    vertices, faces = loft(rings)
    order = {"z": [0, 1, 2], "x": [2, 1, 0], "y": [0, 2, 1]}[axis]
    return outward((vertices[:, order] + np.asarray(center, dtype=np.float64), faces))


def rounded_rect(width, height, radius, corner_points=4):
    """2D rounded rectangle (K, 2) centred at 0, counter-clockwise; radius clipped to half the shorter side."""
    radius = min(radius, width / 2, height / 2)
    corners = [(width / 2 - radius, height / 2 - radius, 0.0), (-width / 2 + radius, height / 2 - radius, 0.5),
               (-width / 2 + radius, -height / 2 + radius, 1.0), (width / 2 - radius, -height / 2 + radius, 1.5)]
    t = np.linspace(0.0, 0.5 * np.pi, corner_points)
    return np.concatenate([np.stack([cx + radius * np.cos(t + q * np.pi), cy + radius * np.sin(t + q * np.pi)], 1)
                           for cx, cy, q in corners])


def rounded_box(sx, sy, sz, radius, center=(0.0, 0.0, 0.0), axis="z"):
    """Box with its edges along `axis` rounded by `radius` (cushions, mattresses, monitor bezels)."""
    dims = {"z": (sx, sy, sz), "x": (sz, sy, sx), "y": (sx, sz, sy)}[axis]
    return prism(rounded_rect(dims[0], dims[1], radius), dims[2], axis=axis, center=center)


def assemble(parts):
    """Meshes with a label each, [(mesh, label), ...] -> (vertices (V, 3), faces (F, 3), face labels (F,))."""
    vertices, faces = merge([mesh for mesh, _ in parts])
    labels = np.concatenate([np.full(len(mesh[1]), label, dtype=np.int32) for mesh, label in parts])
    return vertices, faces, labels
