import json
import pickle

import pytest
from pycocotools import mask as mask_utils

from rris_bench import masks
from rris_bench.errors import InputError
from rris_bench.files import sha256_bytes
from rris_bench.datasets import load_dataset
from rris_bench.datasets.refer import safe_load_pickle, write_dataset


def test_fixture_loads_with_index(fixtures_dir):
    ds = load_dataset(fixtures_dir, "refcocog_umd_mini")
    assert ds.split_by == "umd"
    assert ds.splits == ["test", "train", "val"]
    assert len(ds.refs) == 15 and len(ds.sentences) == 28
    assert sum(len(ds.refs_in([s])) for s in ds.splits) == 15
    ref = ds.refs_list[0]
    assert ref["ref_id"] in ds.image_refs[ref["image_id"]]
    assert ref["category_id"] in ds.image_categories[ref["image_id"]]
    with pytest.raises(InputError, match="no split"):
        ds.refs_in(["testA"])


def test_ref_masks_match_pycocotools_areas(fixtures_dir):
    ds = load_dataset(fixtures_dir, "refcocog_umd_mini")
    for ref in ds.refs_list:
        ann = ds.anns[ref["ann_id"]]
        img = ds.images[ref["image_id"]]
        rles = mask_utils.frPyObjects(ann["segmentation"], img["height"], img["width"])
        expected = int(mask_utils.area(mask_utils.merge(rles)))
        got = ds.ref_rle(ref["ref_id"])
        assert got["size"] == [img["height"], img["width"]]
        assert masks.area(got) == expected > 0


def test_written_dataset_loads_with_plain_refer_code(fixtures_dir, tmp_path):
    ds = load_dataset(fixtures_dir, "refcocog_umd_mini")
    write_dataset(tmp_path, "copy", "umd", ds.refs_list, ds.instances)
    with open(tmp_path / "copy" / "refs(umd).p", "rb") as fh:
        assert pickle.load(fh) == ds.refs_list
    with open(tmp_path / "copy" / "instances.json") as fh:
        assert json.load(fh) == ds.instances


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_with_non_builtin_is_refused(tmp_path):
    path = tmp_path / "refs(unc).p"
    path.write_bytes(pickle.dumps([{"ref_id": 1, "x": Evil()}]))
    with pytest.raises(InputError, match="refused to load builtins.print"):
        safe_load_pickle(path)
    path.write_bytes(b"not a pickle")
    with pytest.raises(InputError, match="not a readable pickle"):
        safe_load_pickle(path)


def test_dataset_cache_gives_the_same_dataset_and_never_runs_code(fixtures_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    plain = load_dataset(fixtures_dir, "refcocog_umd_mini")
    first = load_dataset(fixtures_dir, "refcocog_umd_mini", use_cache=True)    # parses, writes the cache
    [entry] = (tmp_path / "cache" / "datasets").iterdir()
    assert entry.name == f"{plain.refs_sha256}-{plain.instances_sha256}.pickle"
    second = load_dataset(fixtures_dir, "refcocog_umd_mini", use_cache=True)   # reads the cache
    for ds in (first, second):
        assert ds.refs_list == plain.refs_list and ds.instances == plain.instances and ds.sha256 == plain.sha256
        assert ds.sentences == plain.sentences and ds.image_categories == plain.image_categories
    evil = pickle.dumps(([Evil()], {}))
    entry.write_bytes(evil)                            # tampered: refused, parsed again, nothing printed
    assert load_dataset(fixtures_dir, "refcocog_umd_mini", use_cache=True).refs_list == plain.refs_list
    entry.write_bytes(sha256_bytes(evil).encode() + b"\n" + evil)  # even with a valid checksum: never run
    assert load_dataset(fixtures_dir, "refcocog_umd_mini", use_cache=True).refs_list == plain.refs_list
    assert "pwned" not in capsys.readouterr().out
    entry.write_bytes(b"\x80\x05truncated")            # unreadable: parsed again and rewritten
    assert load_dataset(fixtures_dir, "refcocog_umd_mini", use_cache=True).instances == plain.instances
    assert pickle.loads(entry.read_bytes().partition(b"\n")[2])[0] == plain.refs_list  # checksum line, pickle
