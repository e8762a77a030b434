"""Property tests: random masks and predictions never crash the engine and agree with the dense evaluator;
random corruptions of a predictions file give exit code 0 or 2 with a message, never a traceback."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics_cases import dense_metrics, hand_case, sentence, write_case, write_predictions
from rris_bench.cli import main
from rris_bench.metrics import evaluate
from rris_bench.rle import decode_counts
from rris_bench import masks
from rris_bench.datasets import load_dataset

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def cases(draw):
    """1-3 refs on 1-2 small images; random ground truth; random positives/negatives and predictions."""
    n_images = draw(st.integers(1, 2))
    sizes = {i: (draw(st.integers(1, 12)), draw(st.integers(1, 12))) for i in range(1, n_images + 1)}
    seed = draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    refs, gts, preds, sid = [], {}, {}, 1
    for r in range(1, draw(st.integers(1, 3)) + 1):
        image = int(rng.integers(1, n_images + 1))
        h, w = sizes[image]
        gts[r] = rng.random((h, w)) < rng.random()
        sents = []
        for _ in range(int(rng.integers(1, 5))):
            positive = rng.random() < 0.6
            sents.append(sentence(sid, "x", positive))
            mode = rng.integers(0, 4)
            mask = [None, np.ones((h, w), bool), gts[r], rng.random((h, w)) < rng.random()][mode]
            preds[sid] = (None if mask is None or not mask.any() else mask, float(rng.random()))
            sid += 1
        refs.append({"ref_id": r, "image_id": image, "split": "val", "category_id": 1, "sentences": sents})
    return sizes, refs, gts, preds


@settings(max_examples=60, **SETTINGS)
@given(case=cases())
def test_random_masks_never_crash_and_agree_with_dense(tmp_path_factory, case):
    root = tmp_path_factory.mktemp("prop")
    sizes, refs, gts, preds = case
    write_case(root, "r", sizes, refs, gts)
    ds = load_dataset(root, "r")
    record = evaluate(ds, write_predictions(root / "p.jsonl", ds, preds), ["val"], use_cache=False,
                      by=["strategy"], ci=0.9, resamples=50)
    json.dumps(record, allow_nan=False)
    for metric, value in dense_metrics(ds, preds).items():
        got = record["metrics"][metric]
        assert (got is None) == (value is None) and (value is None or abs(got - value) < 1e-9), metric
    assert all(v is None or 0.0 <= v <= 100.0 for v in record["metrics"].values())


@settings(max_examples=100, deadline=None)
@given(mask=st.integers(1, 20).flatmap(lambda h: st.integers(1, 20).flatmap(
    lambda w: st.lists(st.booleans(), min_size=h * w, max_size=h * w).map(lambda v: np.array(v).reshape(h, w)))))
def test_counts_decoder_matches_pycocotools(mask):
    rle = masks.encode(mask)
    out = decode_counts([rle["counts"]], [mask.size])
    assert out.valid[0] and out.area[0] == mask.sum() == masks.area(rle)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=130), max_size=12),
       pixels=st.integers(0, 400))
def test_counts_decoder_never_fails_on_garbage(text, pixels):
    out = decode_counts([text], [pixels])
    assert out.valid[0] == (out.reason[0] == "")


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10 ** 6), st.floats(allow_nan=True),
                    st.text(max_size=8), st.lists(st.integers(0, 50), max_size=4),
                    st.fixed_dictionaries({"size": st.lists(st.integers(-1, 12), max_size=3),
                                           "counts": st.text(alphabet="0123456789:;<=>?@ABCPQRSTabco~", max_size=8)}))


@settings(max_examples=60, **SETTINGS)
@given(record=st.integers(0, 9), field=st.sampled_from(["sent_id", "image_id", "segmentation", "score", "extra"]),
       value=_VALUES, cut=st.one_of(st.none(), st.integers(0, 400)))
def test_corrupted_files_exit_0_or_2_never_a_traceback(tmp_path_factory, capsys, record, field, value, cut):
    root = tmp_path_factory.mktemp("bad")
    ds, preds = hand_case(root)
    path = write_predictions(root / "p.jsonl", ds, preds)
    lines = path.read_text().splitlines()
    rec = json.loads(lines[1 + record])
    rec[field] = value
    lines[1 + record] = json.dumps(rec)
    text = "\n".join(lines)
    path.write_text(text if cut is None else text[:cut])
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path), "--data-root", str(root), "--no-cache"])
    _, err = capsys.readouterr()
    assert exit_info.value.code in (0, 2)
    if exit_info.value.code == 2:
        assert err.startswith("rris-bench: error: ") and "Traceback" not in err


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), n=st.integers(1, 60))
def test_counts_decoder_in_bulk_equals_one_by_one(seed, n):
    """Strings decoded together (sharing chunk arrays) give exactly what each gives alone, broken or not."""
    rng = np.random.default_rng(seed)
    strings, pixels = [], []
    for _ in range(n):
        h, w = (int(v) for v in rng.integers(1, 80, 2))
        mask = rng.random((h, w)) < rng.random() ** 2
        if rng.random() < 0.3:
            mask = np.zeros((h, w), bool)
            mask[int(rng.integers(0, h)):, int(rng.integers(0, w)):] = True
        counts = masks.encode(mask)["counts"]
        damage = rng.integers(0, 6)
        counts = [counts, counts + "a", counts[:-1], counts + "0", "o" + counts, counts][damage]
        strings.append(counts)
        pixels.append(h * w)
    bulk = decode_counts(strings, pixels)
    for i, (c, p) in enumerate(zip(strings, pixels)):
        alone = decode_counts([c], [p])
        assert (bulk.valid[i], bulk.reason[i], bulk.area[i]) == (alone.valid[0], alone.reason[0], alone.area[0])


def _random_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Empty, full, one pixel, a box, or noise of a random density."""
    kind = rng.integers(0, 5)
    mask = np.zeros((h, w), bool)
    if kind == 1:
        mask[:] = True
    elif kind == 2:
        mask[rng.integers(0, h), rng.integers(0, w)] = True
    elif kind == 3:
        r, c = sorted(rng.integers(0, h + 1, 2)), sorted(rng.integers(0, w + 1, 2))
        mask[r[0]:r[1], c[0]:c[1]] = True
    elif kind == 4:
        mask = rng.random((h, w)) < rng.random()
    return mask


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 16), side=st.sampled_from([1, 7, 50, 479, 480, 481, 1000]))
def test_resize_from_runs_equals_dense_pillow_resize(seed, side):
    """The fast paths (many RLEs resized together from their runs, overlaps counted on intervals; areas alone
    from the runs' ends) give exactly
    the areas and overlaps of Pillow's NEAREST resize of the dense masks: odd sizes below and above the side,
    1-pixel images, empty, full and 1-pixel masks, ground truths already at side x side, several sizes in
    one call."""
    from metrics_cases import pil_resize
    from rris_bench.metrics.resize import Coverage, resize_many, resize_nearest, resized_areas
    rng = np.random.default_rng(seed)
    shapes = [(1, 1), (side, side)] + [tuple(int(v) for v in rng.integers(1, 1100, 2)) for _ in range(4)]
    shapes += [(int(rng.integers(1, 40)) * 2 + 1, int(rng.integers(1, 40)) * 2 + 1) for _ in range(2)]
    preds, gts = [], []
    for h, w in shapes:
        for _ in range(3):
            preds.append(_random_mask(rng, h, w))
        gts.append(_random_mask(rng, h, w))
    of_gt = np.repeat(np.arange(len(gts)), 3)
    of_gt[rng.random(len(of_gt)) < 0.2] = -1  # a negative: no ground truth to overlap
    expected, expected_gt = [pil_resize(m, side) for m in preds], [pil_resize(m, side) for m in gts]
    resized, resized_gt = resize_many([masks.encode(m) for m in preds], side), \
        resize_many([masks.encode(m) for m in gts], side)
    overlap = Coverage(resized_gt).overlaps(resized, of_gt)
    assert resized.areas().tolist() == [int(m.sum()) for m in expected]
    assert resized_areas([masks.encode(m) for m in preds], side).tolist() == [int(m.sum()) for m in expected]
    assert resized_gt.areas().tolist() == [int(m.sum()) for m in expected_gt]
    assert overlap.tolist() == [int((m & expected_gt[g]).sum()) if g >= 0 else 0 for m, g in zip(expected, of_gt)]
    k = int(rng.integers(0, len(preds)))
    assert (resize_nearest(masks.encode(preds[k]), side) == expected[k]).all()
    assert (resized.dense(k) == expected[k]).all()
