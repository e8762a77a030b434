"""LAVT / LAVT+ structure: the swin-b preset against the public checkpoint's keys, official-format loading."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from rris_bench.baselines.lavt.checkpoint import load_official  # noqa: E402
from rris_bench.baselines.lavt.model import LAVT, build  # noqa: E402
from rris_bench.errors import InputError  # noqa: E402

KEYS = Path(__file__).parent / "data" / "lavt_swin_b_keys.json"


TINY_TEXT = {"kind": "tiny", "vocab": [f"w{i}" for i in range(35)], "hidden": 32, "layers": 1}


def _swin_b(plus: bool = False) -> LAVT:
    with torch.device("meta"):  # shapes only: no 230M parameters allocated
        return build("swin-b", plus=plus)


def test_swin_b_equals_public_checkpoint_keys_and_shapes():
    public = json.loads(KEYS.read_text())
    state = _swin_b().state_dict()
    ours_model = [[k, list(v.shape)] for k, v in state.items() if not k.startswith("text_encoder.")]
    ours_bert = [[k[len("text_encoder."):], list(v.shape)] for k, v in state.items()
                 if k.startswith("text_encoder.")]
    assert ours_model == public["model"]            # entry for entry, in the checkpoint's order
    assert sorted(ours_bert) == sorted(public["bert_model"])
    assert len(public["model"]) == 451 and len(public["bert_model"]) == 197


def test_lavt_plus_adds_only_the_existence_head():
    lavt = set(_swin_b().state_dict())
    plus = _swin_b(plus=True).state_dict()
    assert set(plus) - lavt == {"exist_head.fc.weight", "exist_head.fc.bias"}
    assert list(plus["exist_head.fc.weight"].shape) == [1, 2 * 1024]


def _small(plus: bool = False) -> LAVT:
    torch.manual_seed(0)
    return build("tiny", plus=plus, text=TINY_TEXT).eval()


def _official_file(model: LAVT, path: Path, **extra) -> Path:
    """Save ``model`` the way yz93/LAVT-RIS's train.py does (``model`` + ``bert_model`` + args)."""
    state = model.state_dict()
    official = {"model": {k: v for k, v in state.items() if k.startswith(("backbone.", "classifier."))},
                "bert_model": {k[len("text_encoder."):]: v for k, v in state.items()
                               if k.startswith("text_encoder.")},
                "epoch": 3, "args": argparse.Namespace(swin_type="base"), **extra}
    torch.save(official, path)
    return path


def test_official_format_checkpoint_loads_and_reproduces_outputs(tmp_path):
    src = _small()
    for p in src.parameters():
        torch.nn.init.normal_(p, std=0.1)
    path = _official_file(src, tmp_path / "refcoco.pth")
    dst = _small()
    load_official(dst, path)
    images = torch.randn(2, 3, 64, 64)
    ids = torch.randint(1, 40, (2, 6))
    mask = torch.tensor([[1] * 6, [1] * 3 + [0] * 3])
    with torch.no_grad():
        torch.testing.assert_close(dst(images, ids, mask)[0], src(images, ids, mask)[0])
    plus = _small(plus=True)
    load_official(plus, path)  # a LAVT checkpoint initialises LAVT+ except its existence head


def test_legacy_position_ids_of_older_transformers_are_dropped(tmp_path):
    """Checkpoints saved with transformers < 4.31 carry the BERT buffer embeddings.position_ids (in
    ``bert_model`` or, lavt_one, as ``text_encoder.*`` in ``model``); loading drops it, as for RefSegformer."""
    src = _small()
    for p in src.parameters():
        torch.nn.init.normal_(p, std=0.1)
    path = _official_file(src, tmp_path / "old.pth")
    ckpt = torch.load(path, weights_only=False)
    ckpt["bert_model"]["embeddings.position_ids"] = torch.arange(512).unsqueeze(0)
    torch.save(ckpt, path)
    dst = _small()
    load_official(dst, path)
    with torch.no_grad():
        for (name, a), b in zip(src.state_dict().items(), dst.state_dict().values()):
            assert torch.equal(a, b), name
    ckpt["model"].update({f"text_encoder.{k}": v for k, v in ckpt.pop("bert_model").items()})  # lavt_one layout
    torch.save(ckpt, path)
    load_official(_small(), path)


def test_mismatched_checkpoint_is_reported_by_name(tmp_path):
    src = _small()
    path = _official_file(src, tmp_path / "bad.pth")
    ckpt = torch.load(path, weights_only=False)
    ckpt["model"]["classifier.conv1_1.weight"] = torch.zeros(3, 64, 1, 1)
    del ckpt["model"]["backbone.layers.1.res_gate.0.weight"]
    torch.save(ckpt, path)
    with pytest.raises(InputError) as err:
        load_official(_small(), path)
    text = str(err.value)
    assert "classifier.conv1_1.weight" in text and "backbone.layers.1.res_gate.0.weight" in text
