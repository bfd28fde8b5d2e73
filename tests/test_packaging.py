"""The project as an installable package: console scripts, builders found from any directory whatever other
package is called `datasets`, and the top-level `datasets/` folder that `tfds build` reads."""

import importlib
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Every builder but user_files, whose configs are made per folder of the user's files (`--dataset=DIR`): `tfds build`
# has no folder to give it.
BUILDERS = sorted(p.name for p in (ROOT / "dcglr_tf" / "builders").iterdir()
                  if (p / "__init__.py").is_file() and p.name != "user_files")

# Run in a fresh interpreter, from a directory outside the repository, with a foreign top-level `datasets`
# package (as Hugging Face's would be) first on the path.
CHECK_IMPORTS = textwrap.dedent("""
    import pathlib, sys
    import datasets
    assert datasets.FOREIGN, datasets.__file__
    import dcglr_tf, dcglr_tf.data.sources as sources
    assert sources.class_names("synthetic_shapes", data_dir=sys.argv[1])[:2] == ["box", "ellipsoid"]
    assert sys.modules["datasets"] is datasets
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.community import load
    with tfds.core.utils.add_sys_path(pathlib.Path(sys.argv[2])):  # what `tfds build datasets/<name>` does
        for name in sys.argv[3:]:
            cls = load.builder_cls_from_module(f"{name}.{name}_dataset_builder")
            assert cls.name == name and cls.__mro__[1].__module__.startswith("dcglr_tf.builders."), cls.__mro__
    print("ok")
""")


def test_library_and_builders_import_from_anywhere_beside_a_foreign_datasets_package(tmp_path):
    foreign = tmp_path / "site" / "datasets"
    foreign.mkdir(parents=True)
    (foreign / "__init__.py").write_text("FOREIGN = True\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=os.pathsep.join([str(foreign.parent), str(ROOT)]))
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS, str(tmp_path / "tfds"), str(ROOT / "datasets"), *BUILDERS],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_every_builder_has_a_tfds_build_folder_and_no_import_fallback():
    folders = sorted(p.name for p in (ROOT / "datasets").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert folders == BUILDERS
    for path in [*(ROOT / "dcglr_tf" / "builders").rglob("*.py"), *(ROOT / "datasets").rglob("*.py")]:
        text = path.read_text()
        assert "except ImportError" not in text and "sys.path" not in text, path
    assert not (ROOT / "datasets" / "__init__.py").exists()  # not a package: never shadows another `datasets`


def test_console_scripts_are_the_commands_the_scripts_run():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    scripts = project["project"]["scripts"]
    assert set(scripts) == {"dcglr-train", "dcglr-evaluate", "dcglr-predict"}
    for script, target in scripts.items():
        module_name, function = target.split(":")
        command = getattr(importlib.import_module(module_name), function)
        wrapper = (ROOT / (script.split("-")[1] + ".py")).read_text()
        assert f"from {module_name} import {function}" in wrapper
        assert callable(command)
