"""Child process of run_parity.py: runs one official evaluator, extracted under /tmp, with its model stubbed.

``python official_child.py <rris|lavt|rela|dmmi|sesame> <config.json>`` prints one JSON line of the numbers
the official code computed, at full precision (read from its own variables when it prints rounded values).
"""
from __future__ import annotations

import ast
import json
import sys
import types
from argparse import Namespace
from pathlib import Path
from typing import Any, Callable, Dict

import numpy as np
import torch
from PIL import Image

torch.Tensor.cuda = lambda self, *args, **kwargs: self  # CPU only: .cuda() is the identity


class Saved:
    """The saved predictions: per sentence the original-size mask, the score and whether it was null."""

    def __init__(self, path: str):
        data = np.load(path)
        self.mask = {int(k[1:]): data[k].astype(bool) for k in data.files if k[0] == "m"}
        self.score = {int(k[1:]): float(data[k]) for k in data.files if k[0] == "s"}
        self.null = {int(k[1:]): bool(data[k]) for k in data.files if k[0] == "n"}

    def at(self, sid: int, side: int) -> np.ndarray:
        """The mask resized to side x side with Pillow NEAREST (what a model working at 480 outputs)."""
        img = Image.fromarray(self.mask[sid].astype(np.uint8) * 255)
        return np.array(img.resize((side, side), Image.NEAREST)) > 0

    def logits(self, sid: int, side: int) -> torch.Tensor:
        """(1, 2, side, side) logits whose argmax over dim 1 is the mask."""
        m = torch.from_numpy(self.at(sid, side))
        return torch.stack([~m, m]).float().unsqueeze(0)


def blank_images(root: Path, dataset: str) -> None:
    """Image.open returns a blank RGB image of the file's size (the stubbed model ignores pixels)."""
    instances = json.loads((root / dataset / "instances.json").read_text())
    sizes = {im["file_name"]: (im["width"], im["height"]) for im in instances["images"]}
    Image.open = lambda path, *a, **k: Image.new("RGB", sizes[Path(str(path)).name])


def returned_locals(func: Callable, *args, **kwargs):
    """Call ``func`` and return (its result, its local variables at return)."""
    seen: Dict[str, Any] = {}

    def tracer(frame, event, arg):
        if event == "return" and frame.f_code is func.__code__:
            seen.update(frame.f_locals)
    sys.setprofile(tracer)
    try:
        result = func(*args, **kwargs)
    finally:
        sys.setprofile(None)
    return result, seen


def functions_from(path: Path, names, namespace: Dict[str, Any]) -> Dict[str, Any]:
    """Exec only the named top-level functions of an official file (its imports of the model are skipped)."""
    tree = ast.parse(path.read_text())
    body = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names]
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


def stub_module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


class FakeTokenizer:
    def encode(self, text, add_special_tokens=True):
        return [101, 102]


def sid_ids(sid: int, length: int = 20) -> torch.Tensor:
    ids = torch.zeros(1, length, dtype=torch.int64)
    ids[0, 0] = sid
    return ids


# --- R-RIS: jianzongwu/robust-ref-seg --------------------------------------------------------------------


def run_rris(cfg: Dict) -> Dict:
    sys.path.insert(0, cfg["code"])
    import transformers
    transformers.BertTokenizer.from_pretrained = staticmethod(lambda *a, **k: FakeTokenizer())
    from dataset.ReferDataset import ReferDataset
    from dataset.transform import get_transform
    from utils.validation import validate
    import logging
    root = Path(cfg["root"])
    blank_images(root, cfg["dataset"])
    saved = Saved(cfg["dense"])
    args = Namespace(refer_data_root=str(root), dataset=cfg["dataset"], splitBy=cfg["split_by"], size=480,
                     use_exist=True, eval_mode="all", print_freq=10 ** 9)
    ds = ReferDataset(args, image_transforms=get_transform(args), split=cfg["split"], eval_mode=True)
    for i, ref_id in enumerate(ds.ref_ids):  # the sentence ids ride in the token ids
        ds.input_ids[i] = [sid_ids(s["sent_id"]) for s in ds.refer.Refs[ref_id]["sentences"]]

    def model(img, emb, att_mask):
        sid = int(emb[0, 0])
        return [saved.logits(sid, 480)], torch.tensor([[saved.score[sid]]])

    loader = torch.utils.data.DataLoader(ds, batch_size=1)
    result, local = returned_locals(validate, args, logging.getLogger("rris"), loader, model, 0, True)
    out = {k: float(v) for k, v in result.items()}
    for n, t in enumerate(local["seg_iou_list"]):
        out[f"P@{t}"] = float(local["seg_correct"][n] * 100.0 / local["seg_total"])
    return out


# --- LAVT: yz93/LAVT-RIS ------------------------------------------------------------------------------


def run_lavt(cfg: Dict) -> Dict:
    code = Path(cfg["code"])
    sys.path.insert(0, str(code))
    stub_module("h5py")
    sys.argv = ["test.py", "--refer_data_root", cfg["root"], "--dataset", cfg["dataset"], "--splitBy",
                cfg["split_by"], "--split", cfg["split"]]
    from bert import tokenization_bert
    tokenization_bert.BertTokenizer.from_pretrained = classmethod(lambda cls, *a, **k: FakeTokenizer())
    import refer.refer as refer_module
    root = Path(cfg["root"])
    blank_images(root, cfg["dataset"])
    from data.dataset_refer_bert import ReferDataset, args
    import transforms as T
    import utils
    ns = functions_from(code / "test.py", {"evaluate", "computeIoU", "get_transform"},
                        {"np": np, "torch": torch, "utils": utils, "T": T, "F": torch.nn.functional})
    saved = Saved(cfg["dense"])
    ds = ReferDataset(args, split=cfg["split"], image_transforms=ns["get_transform"](args), target_transforms=None,
                      eval_mode=True)
    for i, ref_id in enumerate(ds.ref_ids):
        ds.input_ids[i] = [sid_ids(s) for s in ds.refer.Refs[ref_id]["sent_ids"]]

    def model(image, sentences, l_mask=None):
        return saved.logits(int(sentences[0, 0]), 480)

    loader = torch.utils.data.DataLoader(ds, batch_size=1, sampler=torch.utils.data.SequentialSampler(ds))
    _, local = returned_locals(ns["evaluate"], model, loader, None, torch.device("cpu"))
    out = {"mIoU": float(local["mIoU"] * 100.0), "oIoU": float(local["cum_I"] * 100.0 / local["cum_U"])}
    for n, t in enumerate(local["eval_seg_iou_list"]):
        out[f"P@{t}"] = float(local["seg_correct"][n] * 100.0 / local["seg_total"])
    return out


RUNNERS = {"rris": run_rris, "lavt": run_lavt}

if __name__ == "__main__":
    config = json.loads(Path(sys.argv[2]).read_text())
    numbers = RUNNERS[sys.argv[1]](config)
    print(json.dumps(numbers))
