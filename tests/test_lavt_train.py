"""The tiny LAVT / LAVT+ overfit a handful of toy samples; LAVT+ answers a negative with an empty mask."""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from rris_bench import masks
from rris_bench.datasets import toy  # noqa: E402
from rris_bench.run.adapters import Sample  # noqa: E402
from rris_bench.baselines.common.data import load_rgb  # noqa: E402
from rris_bench.baselines.common.image import image_tensor, mask_tensor  # noqa: E402
from rris_bench.baselines.common.text import build_vocab, encode  # noqa: E402
from rris_bench.baselines.lavt import checkpoint  # noqa: E402
from rris_bench.baselines.lavt.adapter import LAVTAdapter, LAVTPlusAdapter  # noqa: E402
from rris_bench.baselines.lavt.train import LAVTTask  # noqa: E402
from rris_bench.datasets import load_dataset  # noqa: E402

ABSENT_WORD = {c.id: c.name for c in toy.CATEGORIES}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train fastest on one thread, and far slower with two on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Four (ref, positive sentence, negative sentence) triples from a three-image toy world."""
    root = tmp_path_factory.mktemp("toy")
    toy.generate(root, n_images={"train": 3})
    ds = load_dataset(root, "toy")
    out = []
    for image_id in sorted(ds.images)[:2]:
        present = set(ds.image_categories[image_id])
        absent = next(name for cid, name in sorted(ABSENT_WORD.items()) if cid not in present)
        for ref in (ds.refs[r] for r in ds.image_refs[image_id][:2]):
            out.append((ref, ref["sentences"][0]["sent"], f"the {absent}"))
    return ds, out


def _batch(ds, cases, size: int, tokenizer, max_tokens: int, with_negatives: bool):
    images, targets, sentences, exists = [], [], [], []
    for ref, pos, neg in cases:
        image = image_tensor(load_rgb(ds.image_path(ref["image_id"])), size)
        target = mask_tensor(masks.decode(ds.ref_rle(ref["ref_id"])), size)
        for sentence, exist in [(pos, True)] + ([(neg, False)] if with_negatives else []):
            images.append(image)
            targets.append(target if exist else torch.zeros_like(target))
            sentences.append(sentence)
            exists.append(exist)
    ids, mask = encode(tokenizer, sentences, max_tokens)
    return torch.stack(images), torch.stack(targets), ids, mask, torch.tensor(exists)


def _train(plus: bool, ds, cases, steps: int) -> Tuple[torch.nn.Module, List[float]]:
    torch.manual_seed(0)
    task = LAVTTask.tiny(plus, build_vocab([s for _, pos, neg in cases for s in (pos, neg)]))
    model = task.build_model()
    images, targets, ids, mask, exists = _batch(ds, cases, task.img_size, task.tokenizer(), task.max_tokens,
                                                with_negatives=plus)
    batch = {"image": images, "target": targets, "ids": ids, "mask": mask, "exist": exists.float()}
    counts = {"positives": float(exists.sum()), "negatives": float((~exists).sum()), "samples": float(len(exists))}
    opt = torch.optim.AdamW(task.param_groups(model, 0.01), lr=1e-3, weight_decay=0.01)
    losses = []
    model.train()
    for _ in range(steps):
        loss, _ = task.loss(model, batch, counts)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.eval(), losses


def _iou(pred: np.ndarray, gt: np.ndarray) -> float:
    return float((pred & gt).sum() / max((pred | gt).sum(), 1))


def _samples(ds, cases, negatives: bool) -> List[Tuple[Sample, np.ndarray, bool]]:
    out = []
    for ref, pos, neg in cases:
        img = ds.images[ref["image_id"]]
        gt = masks.decode(ds.ref_rle(ref["ref_id"])).astype(bool)
        for sentence, exist in [(pos, True)] + ([(neg, False)] if negatives else []):
            sample = Sample(image=load_rgb(ds.image_path(ref["image_id"])), image_id=img["id"], height=img["height"],
                            width=img["width"], sent_id=0, ref_id=ref["ref_id"], sentence=sentence, raw=sentence)
            out.append((sample, gt, exist))
    return out


def test_tiny_lavt_overfits_and_always_answers(cases, tmp_path):
    ds, triples = cases
    model, losses = _train(False, ds, triples, steps=60)
    assert losses[-1] < losses[0] / 10
    path = checkpoint.save(model, tmp_path / "lavt.pt")
    adapter = LAVTAdapter()
    adapter.setup("cpu", checkpoint=str(path))
    samples = _samples(ds, triples, negatives=False)
    predictions = adapter.predict([s for s, _, _ in samples])
    for (sample, gt, _), pred in zip(samples, predictions):
        assert pred.score is None and pred.mask is not None and pred.mask.shape == gt.shape
        assert _iou(pred.mask, gt) > 0.5, sample.sentence


def test_tiny_lavt_plus_answers_negatives_with_empty_masks(cases, tmp_path):
    ds, triples = cases
    model, losses = _train(True, ds, triples, steps=80)
    assert losses[-1] < losses[0] / 10
    path = checkpoint.save(model, tmp_path / "lavt_plus.pt")
    with pytest.raises(Exception, match="lavt-plus adapter"):
        LAVTAdapter().setup("cpu", checkpoint=str(path))
    adapter = LAVTPlusAdapter()
    adapter.setup("cpu", checkpoint=str(path))
    samples = _samples(ds, triples, negatives=True)
    predictions = adapter.predict([s for s, _, _ in samples])
    for (sample, gt, exist), pred in zip(samples, predictions):
        if exist:
            assert pred.score > 0.5 and _iou(pred.mask, gt) > 0.5, sample.sentence
        else:
            assert pred.score < 0.5 and pred.mask is None, sample.sentence


@pytest.mark.parametrize("model", ["lavt", "lavt-plus"])
def test_train_command_checkpoint_runs_through_the_adapter(cases, tmp_path, model):
    """`rris-bench train lavt|lavt-plus` goes through the shared loop; its checkpoint loads in the adapter."""
    from rris_bench.cli import main

    ds, triples = cases
    out = tmp_path / model
    with pytest.raises(SystemExit) as done:
        main(["train", model, "--data-root", str(ds.root), "--dataset", "toy", "--preset", "tiny",
              "--max-steps", "2", "--batch-size", "4", "--lr", "1e-3", "--val-split", "none", "--out", str(out)])
    assert done.value.code == 0
    saved = torch.load(out / "last.pth", weights_only=True)
    assert saved["model_name"] == model and saved["step"] == 2
    adapter = (LAVTPlusAdapter if model == "lavt-plus" else LAVTAdapter)()
    adapter.setup("cpu", checkpoint=str(out / "last.pth"))
    predictions = adapter.predict([s for s, _, _ in _samples(ds, triples[:2], negatives=False)])
    assert len(predictions) == 2
    assert all((p.score is None) == (model == "lavt") for p in predictions)


def test_a_checkpoint_given_to_another_model_names_its_model(tmp_path):
    """`run lavt` with a RefSegformer checkpoint (and the reverse) says whose checkpoint it is."""
    from rris_bench.baselines.lavt.checkpoint import load_for_inference
    from rris_bench.baselines.refsegformer.checkpoint import load_model
    from rris_bench.errors import InputError

    for name, load in (("refsegformer", lambda p: load_for_inference(p, plus=False)), ("lavt-plus", load_model)):
        path = tmp_path / f"{name}.pth"
        torch.save({"model": {}, "config": {}, "model_name": name}, path)
        with pytest.raises(InputError, match=f"this is a {name} checkpoint \\(its model_name\\): run it with the "
                                             f"{name} adapter"):
            load(path)


@pytest.mark.slow
def test_lavt_plus_of_the_demo_starts_from_the_lavt_checkpoint_just_written(tmp_path):
    """The demo trains LAVT once: LAVT+ given LAVT's checkpoint equals LAVT+ that trains its own LAVT first."""
    from rris_bench.baselines.lavt.train import train_demo
    from rris_bench.build import build_robust_dataset

    toy.generate(tmp_path, n_images={"train": 4, "val": 1, "testA": 1, "testB": 1})
    build_robust_dataset(tmp_path, "toy", parser="lexicon", progress=False)
    lavt = train_demo(tmp_path, "rtoy", tmp_path / "lavt", epochs=1, progress=False)
    given = train_demo(tmp_path, "rtoy", tmp_path / "plus", plus=True, epochs=1, progress=False, lavt_checkpoint=lavt)
    assert not (tmp_path / "plus" / "lavt").exists()  # no second LAVT run
    alone = train_demo(tmp_path, "rtoy", tmp_path / "alone", plus=True, epochs=1, progress=False)
    a, b = (torch.load(p, weights_only=True)["model"] for p in (given, alone))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    from rris_bench.errors import InputError
    with pytest.raises(InputError, match="not the demo's LAVT run"):
        train_demo(tmp_path, "rtoy", tmp_path / "bad", plus=True, epochs=2, progress=False, lavt_checkpoint=lavt)
