"""synthetic_rooms builder: S3DIS-style blocks of procedural rooms, area splits, determinism."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from dcglr_tf.builders.synthetic_rooms import synthetic_rooms_dataset_builder as rooms
from dcglr_tf.data import sources


@pytest.fixture
def one_room_per_area(monkeypatch):
    monkeypatch.setattr(rooms, "ROOMS_PER_AREA", {area: 1 for area in range(1, 7)})


def test_blocks_have_s3dis_layout_and_all_classes_occur():
    counts = np.zeros(13, dtype=np.int64)
    for area in range(1, 7):
        for key, example in rooms.generate_area(area):
            assert example["points"].shape == (4096, 3) and example["points"].dtype == np.float32
            assert example["features"].shape == (4096, 6)
            assert example["labels"].shape == (4096,) and example["labels"].dtype == np.int64
            assert example["room"].startswith(f"Area_{area}_") and key.startswith(example["room"])
            xy = example["points"][:, :2]
            assert np.all(np.abs(xy) <= 0.5 + 0.03)  # block-centred 1 m blocks (+ scanner noise)
            rgb, normalised = example["features"][:, :3], example["features"][:, 3:]
            assert rgb.min() >= 0 and rgb.max() <= 1 and normalised.min() >= 0 and normalised.max() <= 1 + 1e-6
            counts += np.bincount(example["labels"], minlength=13)
    assert np.all(counts > 0), dict(zip(rooms.CLASS_NAMES, counts))


def test_generation_is_deterministic():
    a = [(k, e["points"].tobytes(), e["labels"].tobytes()) for k, e in rooms.generate_area(3, rooms=1)]
    b = [(k, e["points"].tobytes(), e["labels"].tobytes()) for k, e in rooms.generate_area(3, rooms=1)]
    assert a == b and len(a) > 4


def test_load_split_areas(tmp_path, one_room_per_area):
    names = {}
    for area in (1, 6):
        got = list(sources.load_split("synthetic_rooms", f"area{area}", data_dir=tmp_path).as_numpy_iterator())
        want = list(rooms.generate_area(area, rooms=1))
        assert len(got) == len(want) == sources.num_examples("synthetic_rooms", f"area{area}", data_dir=tmp_path)
        assert {e["points"].tobytes() for e in got} == {e["points"].tobytes() for _, e in want}
        names[area] = {e["room"] for e in got}
        for e in got:
            assert e["labels"].dtype == np.int64 and 0 <= e["labels"].min() and e["labels"].max() < 13
    assert all(r.startswith(b"Area_1_") for r in names[1]) and all(r.startswith(b"Area_6_") for r in names[6])
    assert sources.class_names("synthetic_rooms") == rooms.CLASS_NAMES
    assert sources.DATASETS["synthetic_rooms"].splits == tuple(f"area{k}" for k in range(1, 7))
