import json
import pickle

import pytest
from pycocotools import mask as mask_utils

from rris_bench import masks
from rris_bench.errors import InputError
from rris_bench.refer import load_dataset, safe_load_pickle, write_dataset


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
