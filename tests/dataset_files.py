"""Writers of tiny files in the exact formats of the real dataset archives (for the dataset builder tests).

Each writer lays out a manual directory the way users have it after extracting the public archive (archive folder
included, list files with the archive's folder prefix) and returns what it wrote, so tests can compare. Class
names, categories, synsets, file and key names come from the releases' documented values (`release_constants`),
never from the builders, so that a builder whose constant differs from the release fails its tests.
"""

import pathlib
import zipfile

import h5py
import numpy as np
import release_constants as release

from benchmarks import write_benchmark_data as benchmark_data

MODELNET40_NAMES = release.MODELNET40_NAMES


def _cloud(rng, n, points, columns=3):
    return rng.uniform(-1.0, 1.0, size=(n, points, columns)).astype(np.float32)


# --------------------------------------------------------------------------------------------- h5 / ShapeNetPart
# The writers of benchmarks/write_benchmark_data.py (one copy), with tiny test sizes and the releases' documented
# tables, returning what they wrote.

def write_modelnet40_h5(root, *, train=(3, 2), test=(2,), **kwargs):
    """`modelnet40_ply_hdf5_2048/` with ply_data_{train,test}{i}.h5 of the given per-file sizes. Returns {split:
    (data, labels)} in file order."""
    return benchmark_data.write_modelnet40_h5(root, train=train, test=test, keep=True,
                                              class_names=release.MODELNET40_NAMES, **kwargs)


def write_scanobjectnn(root, *, variants=("pb_t50_rs", "obj_bg", "obj_only"), train=3, test=2, **kwargs):
    """`h5_files/main_split[_nobg]/...h5` of `variants`. Returns {variant: {split: (data, labels)}}."""
    return benchmark_data.write_scanobjectnn(root, variants=variants, sizes={"train": train, "test": test}, keep=True,
                                             class_names=release.SCANOBJECTNN_NAMES, files=release.SCANOBJECTNN_FILES,
                                             num_points=release.SCANOBJECTNN_NUM_POINTS, **kwargs)


def write_shapenetpart(root, *, train=3, val=1, test=2, points=(1900, 2200), **kwargs):
    """`shapenetcore_partanno_segmentation_benchmark_v0_normal/` with the list files and per-shape txt files (shape
    sizes on both sides of 2048), the release's 16 categories taking turns. Returns {split: [(synset/id, (num, 7)
    rows)]}."""
    return benchmark_data.write_shapenetpart(root, train=train, val=val, test=test, points=points, keep=True,
                                             categories=release.SHAPENETPART_CATEGORIES,
                                             archive=release.SHAPENETPART_ARCHIVE, **kwargs)


# --------------------------------------------------------------------------------------------- ShapeNet npz

def write_shapenet_npz(root, *, n=5, num_points=release.SHAPENET_NUM_POINTS, columns=3, compressed=False, labels=None,
                       seed=0, name=release.SHAPENET_FILE):
    """The STRL ShapeNet `.npz` (key `data`, [n, num_points, columns]); optional `label` key."""
    rng = np.random.default_rng(seed)
    data = _cloud(rng, n, num_points, columns)
    arrays = {release.SHAPENET_KEY: data}
    if labels is not None:
        arrays["label"] = np.asarray(labels)
    path = pathlib.Path(root) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return data


# --------------------------------------------------------------------------------------------- ModelNet40 CAD

def write_modelnet40_resampled(root, *, train=("airplane_0001", "night_stand_0001", "airplane_0002"),
                               test=("xbox_0001", "flower_pot_0003"), num_lines=2100, seed=0):
    """`modelnet40_normal_resampled/` with `<class>/<id>.txt` (lines `x,y,z,nx,ny,nz`) and the three list
    files. Returns {id: (num_lines, 6) array}."""
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(root) / release.MODELNET40_RESAMPLED_ARCHIVE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / release.MODELNET40_RESAMPLED_NAMES_FILE).write_text("\n".join(MODELNET40_NAMES) + "\n")
    for split, ids in (("train", train), ("test", test)):
        (folder / release.MODELNET40_RESAMPLED_LIST_FILES[split]).write_text("\n".join(ids) + "\n")
    out = {}
    for shape_id in list(train) + list(test):
        cls = shape_id.rsplit("_", 1)[0]
        values = rng.uniform(-1, 1, size=(num_lines, 6)).astype(np.float32)
        (folder / cls).mkdir(exist_ok=True)
        np.savetxt(folder / cls / f"{shape_id}.txt", values, fmt="%.6f", delimiter=",")
        out[shape_id] = np.loadtxt(folder / cls / f"{shape_id}.txt", delimiter=",", dtype=np.float32)
    return out


def off_text(vertices, faces, *, counts_on_header_line=False):
    """An OFF file's text (faces may be triangles or polygons)."""
    counts = f"{len(vertices)} {len(faces)} 0"
    lines = [f"OFF{counts}" if counts_on_header_line else "OFF"]
    if not counts_on_header_line:
        lines.append(counts)
    lines += [" ".join(f"{c:.6f}" for c in v) for v in vertices]
    lines += [" ".join(str(i) for i in [len(f)] + list(f)) for f in faces]
    return "\n".join(lines) + "\n"


def box_mesh(size=(1.0, 2.0, 3.0), offset=(0.0, 0.0, 0.0), quads=False):
    corners = np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=np.float64)
    vertices = corners * np.asarray(size) + np.asarray(offset)
    quad_faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    if quads:
        return vertices, quad_faces
    return vertices, [t for q in quad_faces for t in ((q[0], q[1], q[2]), (q[0], q[2], q[3]))]


def write_modelnet40_off(root, *, classes=("airplane", "desk", "xbox"), per_split=1):
    """`ModelNet40/<class>/{train,test}/<class>_<id>.off` meshes (boxes of varied sizes; some with quads, some
    with the counts on the `OFF` line as in the real release) for `classes`; the other class folders are
    created empty. Returns {split: [(class, id)]}."""
    base = pathlib.Path(root) / release.MODELNET40_OFF_ARCHIVE
    for cls in MODELNET40_NAMES:
        for split in ("train", "test"):
            (base / cls / split).mkdir(parents=True, exist_ok=True)
    out = {"train": [], "test": []}
    k = 0
    for cls in classes:
        for split in ("train", "test"):
            folder = base / cls / split
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_split):
                k += 1
                shape_id = f"{cls}_{k:04d}"
                vertices, faces = box_mesh(size=(1.0 + k, 2.0, 0.5 * k), offset=(10.0 * k, 0, 0), quads=k % 2 == 0)
                (folder / f"{shape_id}.off").write_text(off_text(vertices, faces, counts_on_header_line=k % 3 == 0))
                out[split].append((cls, shape_id))
    return out


# --------------------------------------------------------------------------------------------- S3DIS

S3DIS_ROOMS = (("Area_1", "office_1", 3), ("Area_1", "hallway_2", 2), ("Area_2", "office_1", 2), ("Area_3", "WC_1", 1),
               ("Area_4", "storage_3", 1), ("Area_5", "office_12", 2), ("Area_6", "lobby_1", 3))


def write_s3dis(root, *, rooms=S3DIS_ROOMS, blocks_per_file=4, num_points=release.S3DIS_NUM_POINTS, seed=0):
    """`indoor3d_sem_seg_hdf5_data/` with ply_data_all_{i}.h5 (`data` [n, 4096, 9] float32, `label` [n, 4096]
    uint8), `all_files.txt` (archive-prefixed) and `room_filelist.txt` (one `Area_k_room` line per block, file
    order). Blocks of consecutive rooms share files. Returns (data, labels, room_lines) in block order."""
    rng = np.random.default_rng(seed)
    folder = pathlib.Path(root) / release.S3DIS_ARCHIVE
    folder.mkdir(parents=True, exist_ok=True)
    room_lines = [f"{area}_{room}" for area, room, blocks in rooms for _ in range(blocks)]
    total = len(room_lines)
    data = rng.uniform(0, 1, size=(total, num_points, release.S3DIS_NUM_COLUMNS)).astype(np.float32)
    labels = rng.integers(0, len(release.S3DIS_NAMES), size=(total, num_points)).astype(np.uint8)
    names = []
    data_key, label_key = release.S3DIS_KEYS
    for i, start in enumerate(range(0, total, blocks_per_file)):
        name = release.S3DIS_FILE.format(index=i)
        with h5py.File(folder / name, "w") as f:
            f.create_dataset(data_key, data=data[start:start + blocks_per_file])
            f.create_dataset(label_key, data=labels[start:start + blocks_per_file])
        names.append(f"{release.S3DIS_ARCHIVE}/{name}")
    (folder / release.S3DIS_LIST_FILE).write_text("\n".join(names) + "\n")
    (folder / release.S3DIS_ROOM_FILE).write_text("\n".join(room_lines) + "\n")
    return data, labels.astype(np.int64), room_lines


# --------------------------------------------------------------------------------------------- corruption

def truncate(path, keep_fraction=0.5):
    """Cut a file to a fraction of its size (a broken download)."""
    path = pathlib.Path(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep_fraction)])


def rewrite_h5(path, **arrays):
    """Replace datasets of an HDF5 file."""
    with h5py.File(path, "r+") as f:
        for key, value in arrays.items():
            del f[key]
            f.create_dataset(key, data=value)


def npz_member_names(path):
    with zipfile.ZipFile(path) as z:
        return z.namelist()
