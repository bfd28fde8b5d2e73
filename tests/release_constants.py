"""The real releases' documented constants, typed here from the releases' own files and their authors' loaders.

Not imported from the builders, on purpose: the test fixtures are written from these tables
(`dataset_files.py`) and every builder's constants are compared with them, so that a wrong constant in a builder
(a synset, a class order, a file or key name) fails a test instead of rejecting or mislabelling the real release.

Where each table comes from:
- ShapeNetPart: the release's `synsetoffset2category.txt` (shapenetcore_partanno_segmentation_benchmark_v0_normal),
  in its order; the part ids per category from the `seg_classes` table of the PointNet++ and DGCNN part
  segmentation loaders (Airplane 0-3 ... Table 47-49); the split lists and their `shape_data/<synset>/<id>`
  entries as those loaders read them.
- ModelNet40: `shape_names.txt` of modelnet40_ply_hdf5_2048 and `modelnet40_shape_names.txt` of
  modelnet40_normal_resampled (the same 40 names, alphabetical); the file names as PointNet's, PointNet++'s and
  DGCNN's loaders read them; the OFF layout of Princeton's ModelNet40.zip.
- ScanObjectNN: the authors' FAQ (label k of the h5 files is the k-th name of `shape_names_ext.txt`) and the
  file names of their training scripts.
- S3DIS: the 13 classes of PointNet's `sem_seg/meta/class_names.txt`; `all_files.txt` / `room_filelist.txt` as
  shipped with indoor3d_sem_seg_hdf5_data.
- ShapeNet (STRL): the file name and the `data` key of STRL's pre-training loader.
"""

# --------------------------------------------------------------------------------------------- ShapeNetPart
SHAPENETPART_ARCHIVE = "shapenetcore_partanno_segmentation_benchmark_v0_normal"
SHAPENETPART_CATEGORY_FILE = "synsetoffset2category.txt"
# (name in synsetoffset2category.txt, synset, number of parts), in the file's order, which is the part-id order.
SHAPENETPART_CATEGORIES = [
    ("Airplane", "02691156", 4), ("Bag", "02773838", 2), ("Cap", "02954340", 2), ("Car", "02958343", 4),
    ("Chair", "03001627", 4), ("Earphone", "03261776", 3), ("Guitar", "03467517", 3), ("Knife", "03624134", 2),
    ("Lamp", "03636649", 4), ("Laptop", "03642806", 2), ("Motorbike", "03790512", 6), ("Mug", "03797390", 2),
    ("Pistol", "03948459", 3), ("Rocket", "04099429", 3), ("Skateboard", "04225987", 3), ("Table", "04379243", 3),
]
SHAPENETPART_NUM_PARTS = 50
SHAPENETPART_LIST_FOLDER = "train_test_split"
SHAPENETPART_LIST_FILES = {"train": "shuffled_train_file_list.json", "val": "shuffled_val_file_list.json",
                           "test": "shuffled_test_file_list.json"}
SHAPENETPART_LIST_ENTRY = "shape_data/{synset}/{shape_id}"  # one JSON string per shape
SHAPENETPART_COLUMNS = ("x", "y", "z", "nx", "ny", "nz", "part")  # `<synset>/<id>.txt`, one line per point
SHAPENETPART_SIZES = {"train": 12137, "val": 1870, "test": 2874}

# --------------------------------------------------------------------------------------------- ModelNet40
MODELNET40_NAMES = [
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car", "chair", "cone", "cup",
    "curtain", "desk", "door", "dresser", "flower_pot", "glass_box", "guitar", "keyboard", "lamp", "laptop",
    "mantel", "monitor", "night_stand", "person", "piano", "plant", "radio", "range_hood", "sink", "sofa",
    "stairs", "stool", "table", "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
]
MODELNET40_H5_ARCHIVE = "modelnet40_ply_hdf5_2048"
MODELNET40_H5_NAMES_FILE = "shape_names.txt"
MODELNET40_H5_LIST_FILES = {"train": "train_files.txt", "test": "test_files.txt"}
MODELNET40_H5_FILE = "ply_data_{split}{index}.h5"  # listed as data/modelnet40_ply_hdf5_2048/<file>
MODELNET40_H5_KEYS = ("data", "label")  # [n, 2048, 3] float32, [n, 1] uint8
MODELNET40_H5_SIZES = {"train": 9840, "test": 2468}  # 12,308 clouds
MODELNET40_RESAMPLED_ARCHIVE = "modelnet40_normal_resampled"
MODELNET40_RESAMPLED_NAMES_FILE = "modelnet40_shape_names.txt"
MODELNET40_RESAMPLED_LIST_FILES = {"train": "modelnet40_train.txt", "test": "modelnet40_test.txt"}
MODELNET40_RESAMPLED_SIZES = {"train": 9843, "test": 2468}  # 12,311 shapes, as in the raw OFF release
MODELNET40_OFF_ARCHIVE = "ModelNet40"  # Princeton's ModelNet40.zip: ModelNet40/<class>/{train,test}/<class>_<id>.off

# --------------------------------------------------------------------------------------------- ScanObjectNN
SCANOBJECTNN_NAMES = ["bag", "bin", "box", "cabinet", "chair", "desk", "display", "door", "shelf", "table", "bed",
                      "pillow", "sink", "sofa", "toilet"]
SCANOBJECTNN_ARCHIVE = "h5_files"
SCANOBJECTNN_FILES = {  # paths inside h5_files/
    "pb_t50_rs": {"train": "main_split/training_objectdataset_augmentedrot_scale75.h5",
                  "test": "main_split/test_objectdataset_augmentedrot_scale75.h5"},
    "obj_bg": {"train": "main_split/training_objectdataset.h5", "test": "main_split/test_objectdataset.h5"},
    "obj_only": {"train": "main_split_nobg/training_objectdataset.h5", "test": "main_split_nobg/test_objectdataset.h5"},
}
SCANOBJECTNN_KEYS = ("data", "label", "mask")
SCANOBJECTNN_NUM_POINTS = 2048
SCANOBJECTNN_SIZES = {"pb_t50_rs": {"train": 11416, "test": 2882}, "obj_bg": {"train": 2309, "test": 581},
                      "obj_only": {"train": 2309, "test": 581}}

# --------------------------------------------------------------------------------------------- S3DIS
S3DIS_NAMES = ["ceiling", "floor", "wall", "beam", "column", "window", "door", "table", "chair", "sofa", "bookcase",
               "board", "clutter"]
S3DIS_ARCHIVE = "indoor3d_sem_seg_hdf5_data"
S3DIS_LIST_FILE = "all_files.txt"  # lines indoor3d_sem_seg_hdf5_data/ply_data_all_<i>.h5, i = 0..23
S3DIS_ROOM_FILE = "room_filelist.txt"  # one Area_<k>_<room> line per block, in file order
S3DIS_FILE = "ply_data_all_{index}.h5"
S3DIS_NUM_FILES = 24
S3DIS_KEYS = ("data", "label")  # [n, 4096, 9] float32, [n, 4096]
S3DIS_NUM_POINTS = 4096
S3DIS_NUM_COLUMNS = 9

# --------------------------------------------------------------------------------------------- ShapeNet (STRL)
SHAPENET_FILE = "shapenet57448xyzonly.npz"
SHAPENET_KEY = "data"  # (57448, 2048, 3)
SHAPENET_NUM_POINTS = 2048
SHAPENET_SIZE = 57448
