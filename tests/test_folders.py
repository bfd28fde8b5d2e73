"""dcglr_tf.data.folders: which files a folder holds, their classes (folders or a labels CSV) and splits (split folders
at either level, else a seeded stratified split), and a stacked NumPy file as a listing of its clouds."""

import os

import numpy as np
import pytest

from dcglr_tf.data import folders


def _touch(root, *relpaths):
    for relpath in relpaths:
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("0 0 0\n")
    return root


def _classes_and_splits(listing):
    return {f.relpath: (f.class_name, f.split) for f in listing.files}


def test_modelnet_and_keras_layouts_give_class_and_split(tmp_path):
    modelnet = _touch(tmp_path / "modelnet", "ModelNet40/desk/train/desk_0001.off", "ModelNet40/desk/test/desk_0201.off",
                      "sofa/train/sofa_0001.ply", "README.md")
    listing = folders.scan(modelnet)
    assert _classes_and_splits(listing) == {"ModelNet40/desk/test/desk_0201.off": ("desk", "test"),
                                            "ModelNet40/desk/train/desk_0001.off": ("desk", "train"),
                                            "sofa/train/sofa_0001.ply": ("sofa", "train")}
    assert listing.root == str(modelnet) and listing.class_names == ("desk", "sofa") and listing.labels is None
    keras = _touch(tmp_path / "keras", "train/lamp/a.xyz", "train/lamp/b.xyz", "test/lamp/c.xyz", "val/cup/d.obj",
                   "train/e.stl")
    listing = folders.scan(keras)
    assert _classes_and_splits(listing) == {"test/lamp/c.xyz": ("lamp", "test"), "train/e.stl": (None, "train"),
                                            "train/lamp/a.xyz": ("lamp", "train"), "train/lamp/b.xyz": ("lamp", "train"),
                                            "val/cup/d.obj": ("cup", "val")}
    plan = folders.plan_splits(listing)
    assert plan.rule == "split folders" and plan.names == ("train", "val", "test")
    assert plan.counts() == {"train": 3, "val": 1, "test": 1}
    assert "1 of the 5 files" in plan.problem and "(first: train/e.stl)" in plan.problem  # unlabelled: no svm


def test_files_are_sorted_hidden_ones_ignored_and_a_file_is_a_listing(tmp_path):
    root = _touch(tmp_path / "scans", "b/2.ply", "b/10.ply", "a.PLY", ".hidden/x.ply", "b/.y.ply",
                  "__MACOSX/b/._2.ply", "notes.doc")
    listing = folders.scan(root)
    assert [f.relpath for f in listing.files] == ["a.PLY", "b/10.ply", "b/2.ply"]
    assert [f.class_name for f in listing.files] == [None, "b", "b"]
    entry = listing.files[1]
    assert entry.path == os.path.join(root, "b", "10.ply") and entry.size == 6 and entry.mtime_ns > 0
    single = folders.scan(root / "b" / "2.ply")
    assert single.root == str(root / "b" / "2.ply") and [f.relpath for f in single.files] == ["2.ply"]
    plan = folders.plan_splits(folders.scan(root / "b"))  # unlabelled: everything in train
    assert plan.splits == ("train", "train") and "has no classes" in plan.problem
    with pytest.raises(ValueError, match="no files of the supported formats"):
        folders.scan(_touch(tmp_path / "empty", "x.doc"))
    with pytest.raises(ValueError, match="nowhere: no such folder or file"):
        folders.scan(tmp_path / "nowhere")


def test_stratified_split_is_seeded_per_class_and_needs_two_files_per_class(tmp_path):
    root = _touch(tmp_path / "shapes", *[f"chair/{i:02d}.xyz" for i in range(10)], *[f"lamp/{i}.xyz" for i in range(3)])
    plan = folders.plan_splits(folders.scan(root))
    assert plan.counts() == {"train": 10, "test": 3} and not plan.problem and "stratified" in plan.rule
    splits = dict(zip([f.relpath for f in folders.scan(root).files], plan.splits))
    assert sum(splits[f"chair/{i:02d}.xyz"] == "test" for i in range(10)) == 2
    # the same files on every run; a new class does not move the others' files
    _touch(root, "cup/a.xyz", "cup/b.xyz")
    again = folders.scan(root)
    assert {f.relpath: s for f, s in zip(again.files, folders.plan_splits(again).splits)
            if not f.relpath.startswith("cup/")} == splits
    _touch(root, "vase/only.xyz")
    plan = folders.plan_splits(folders.scan(root))
    assert set(plan.splits) == {"train"} and "class 'vase' has 1 file" in plan.problem


def test_labels_csv_names_classes_by_file_or_folder(tmp_path):
    root = _touch(tmp_path / "shapenet", "02691156/m1/models/model_normalized.obj",
                  "02691156/m2/models/model_normalized.obj", "03001627/m3/models/model_normalized.obj",
                  "03001627/m4/models/model_normalized.obj")
    (root / "labels.csv").write_text("path,label\n# synsets\n02691156,airplane\n03001627,chair\n"
                                     "03001627/m4/models/model_normalized.obj,armchair\n")
    listing = folders.scan(root)
    assert [f.class_name for f in listing.files] == ["airplane", "airplane", "chair", "armchair"]
    assert listing.labels == str(root / "labels.csv") and len(listing.files) == 4  # the CSV is not a cloud
    other = tmp_path / "other.csv"
    other.write_text("./02691156/m1/models/model_normalized.obj, plane\n")
    listing = folders.scan(root, labels=str(other))
    assert [f.class_name for f in listing.files] == ["plane", None, None, None]
    assert "3 of the 4 files" in folders.plan_splits(listing).problem  # the root labels.csv is never a cloud
    for text, message in (("02691156,airplane\nmissing/x.obj,cup\n", "1 of its paths name no file or folder .*missing"),
                          ("02691156\n", "line 1: expected 'relative path,label'"),
                          ("02691156,a\n02691156,b\n", "line 2: 02691156 is labelled both 'a' and 'b'")):
        other.write_text(text)
        with pytest.raises(ValueError, match=message):
            folders.scan(root, labels=str(other))
    with pytest.raises(ValueError, match="--labels .*absent.csv: no such file"):
        folders.scan(root, labels=str(tmp_path / "absent.csv"))


def test_stacked_file_is_a_listing_of_its_clouds(tmp_path):
    path = tmp_path / "meshes8.npz"
    np.savez(path, points=np.zeros((4, 8, 3), np.float32), class_name=np.array(["sofa", "sofa", "desk", "desk"]),
             object=np.array(["s1", "s1", "d1", "d2"]), split=np.array(["train", "test", "train", "test"]))
    listing = folders.scan(path)
    assert listing.stacked and listing.root == str(path) and listing.class_names == ("desk", "sofa")
    assert [(f.relpath, f.index, f.object, f.split) for f in listing.files] == [
        ("meshes8.npz#0", 0, "s1", "train"), ("meshes8.npz#1", 1, "s1", "test"), ("meshes8.npz#2", 2, "d1", "train"),
        ("meshes8.npz#3", 3, "d2", "test")]
    assert folders.plan_splits(listing).rule == "split folders"
    np.save(tmp_path / "one.npy", np.zeros((8, 3)))  # one cloud: a file, not a stack
    assert not folders.is_stacked_file(tmp_path / "one.npy") and not folders.scan(tmp_path / "one.npy").stacked
    np.savez(path, points=np.zeros((2, 8, 3)), split=np.array(["train", "holdout"]))
    with pytest.raises(ValueError, match="'split' holds 'holdout'"):
        folders.scan(path)
    with pytest.raises(ValueError, match="a labels CSV names the files of a folder"):
        folders.scan(path, labels="labels.csv")
