"""The adapter registry: built-ins, entry points of an installed package, file.py:Class and module:Class
references, options, and the messages for every way of getting it wrong."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness_world import EXAMPLE, hand_world
from rris_bench.run import adapters, harness
from rris_bench.run.adapters import BUILTIN_ADAPTERS, create, describe_all, find, parse_options, setup
from rris_bench.errors import InputError

PACKAGE = Path(__file__).resolve().parent / "data" / "example_adapter_pkg"


def test_builtins_resolve_by_name_with_a_description():
    for name in ("empty", "oracle", "gt-box"):
        got, adapter = create(name)
        assert got == name and callable(adapter.predict) and adapters.description(type(adapter))
    listed = {entry.name: (entry.origin, text) for entry, text in describe_all()}
    assert set(BUILTIN_ADAPTERS) <= set(listed)
    assert listed["oracle"] == ("built-in", "ground-truth mask for positives, no target for negatives (upper bound)")


def test_every_builtin_loads_where_its_dependencies_are_installed():
    for entry, text in describe_all():
        if entry.origin == "built-in" and "pip install 'rris-bench[models]'" not in text:
            assert not text.startswith("(unavailable"), (entry.name, text)


def test_references_by_file_and_by_module():
    name, adapter = create(f"{EXAMPLE}:ColourAdapter")
    assert (name, find(f"{EXAMPLE}:ColourAdapter").origin) == ("colour", "file")
    name, adapter = create("rris_bench.baselines.trivial:GtBoxAdapter")
    assert (name, type(adapter).__name__) == ("gt-box", "GtBoxAdapter")
    assert find("rris_bench.baselines.trivial:GtBoxAdapter").origin == "module"


@pytest.mark.parametrize("spec, message", [
    ("oracel", r"unknown adapter 'oracel'; did you mean oracle\?"),
    ("gtbox", r"did you mean gt-box\?"),
    ("nothing-like-it", r"unknown adapter 'nothing-like-it'; \(known: empty, oracle, gt-box"),
    ("missing/file.py:Model", r"missing/file.py: adapter file not found"),
    ("no_such_module_xyz:Model", r"no module named 'no_such_module_xyz'"),
    ("rris_bench.baselines.trivial:OracleAdaptor", r"no attribute 'OracleAdaptor'; did you mean OracleAdapter\b"),
    ("rris_bench.masks:encode", r"is not an adapter \(a class with a predict\(batch\) method\)"),
    (":Model", r"expected path/to/file.py:Class or module:Class"),
])
def test_bad_adapter_names_say_what_is_wrong(spec, message):
    with pytest.raises(InputError, match=message):
        create(spec)


def test_a_broken_adapter_file_names_the_error_and_line(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy\n\nclass Model:\n    def predict(self, batch):\n        return []\n\n1 / 0\n")
    with pytest.raises(InputError, match=r"broken.py: importing it failed: ZeroDivisionError: division by zero "
                                         r"\(broken.py:7\)"):
        create(f"{broken}:Model")
    needs = tmp_path / "needs.py"
    needs.write_text("import torchvision_is_not_here\n")
    with pytest.raises(InputError, match="No module named 'torchvision_is_not_here'"):
        create(f"{needs}:Model")


def test_options_are_parsed_as_json_else_strings():
    assert parse_options(["tolerance=80", "ckpt=runs/a b.pth", "flag=true", "sizes=[1,2]", "name=null", "x="]) == \
        {"tolerance": 80, "ckpt": "runs/a b.pth", "flag": True, "sizes": [1, 2], "name": None, "x": ""}
    for bad in ("tolerance", "=3", "two words=1"):
        with pytest.raises(InputError, match="expected key=value"):
            parse_options([bad])


def test_setup_receives_options_and_refuses_others_by_name():
    name, adapter = create(f"{EXAMPLE}:ColourAdapter")
    setup(name, adapter, "cpu", {"tolerance": 12})
    assert adapter.tolerance == 12.0
    with pytest.raises(InputError, match=r"adapter colour does not take the option\(s\) tolernce \(it takes: "
                                         r"tolerance\)"):
        setup(name, adapter, "cpu", {"tolernce": 12})
    with pytest.raises(InputError, match=r"adapter colour: setup failed: ValueError: could not convert"):
        setup(name, adapter, "cpu", {"tolerance": "high"})
    with pytest.raises(InputError, match="takes none"):
        setup("empty", create("empty")[1], "cpu", {"threshold": 0.5})


@pytest.mark.slow
def test_an_installed_package_adds_the_example_through_its_entry_point(tmp_path):
    """pip installs a package whose entry point names the README's example; `rris-bench adapters` lists it and
    `rris-bench run colour` writes exactly what the file reference writes."""
    src, site = tmp_path / "src", tmp_path / "site"
    src.mkdir()
    shutil.copy(PACKAGE / "pyproject.toml", src)
    shutil.copy(EXAMPLE, src / "colour_adapter.py")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(site), str(src)], capture_output=True, text=True, timeout=120)
    assert pip.returncode == 0, pip.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    listing = subprocess.run([sys.executable, "-m", "rris_bench.cli", "adapters"], capture_output=True, text=True,
                             env=env, timeout=60)
    line = next(x for x in listing.stdout.splitlines() if x.startswith("colour "))
    assert "entry point of rris-example-adapter 0.1" in line and "the colour the sentence names" in line

    dataset = hand_world(tmp_path / "data")
    by_file = tmp_path / "file.jsonl"
    harness.run(f"{EXAMPLE}:ColourAdapter", dataset, "val", by_file, progress=False)
    by_name = tmp_path / "name.jsonl"
    run = subprocess.run([sys.executable, "-m", "rris_bench.cli", "run", "colour", "--data-root",
                          str(tmp_path / "data"), "--dataset", "rhand", "--out", str(by_name), "--quiet"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert by_name.read_bytes() == by_file.read_bytes()


def test_the_readme_shows_the_example_file_as_it_is():
    """The README's "Add your model" section shows examples/colour_adapter.py verbatim (the file the tests run),
    and it stays under 40 lines."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("\n## Add your model\n"):]
    block = section[section.index("```python\n") + len("```python\n"):]
    block = block[:block.index("```\n")]
    assert block == EXAMPLE.read_text() and len(block.splitlines()) < 40
