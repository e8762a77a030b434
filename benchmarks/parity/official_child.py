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


def stub_torchvision() -> None:
    """torchvision is not installed here (and must not be: it pulls CUDA wheels). The official transforms use
    only its PIL path: ``functional.resize`` of a PIL image is ``img.resize((w, h), mode)`` (torchvision
    ``functional_pil.resize``), ``to_tensor`` scales to [0, 1]; ``normalize`` only touches the image, which the
    stubbed model ignores."""
    try:
        import torchvision  # noqa: F401
        return
    except ImportError:
        pass

    class InterpolationMode:
        NEAREST, BILINEAR, BICUBIC = "nearest", "bilinear", "bicubic"

    modes = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}

    def resize(img, size, interpolation="bilinear", *args, **kwargs):
        mode = modes.get(interpolation, interpolation)
        if isinstance(size, int):
            w, h = img.size
            short = min(w, h)
            size = (round(h * size / short), round(w * size / short))
        return img.resize((size[1], size[0]), mode)

    def to_tensor(img):
        return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()

    functional = types.SimpleNamespace(resize=resize, to_tensor=to_tensor, normalize=lambda t, mean, std: t)
    tv = stub_module("torchvision")
    tv.transforms = stub_module("torchvision.transforms", InterpolationMode=InterpolationMode,
                                functional=functional)
    sys.modules["torchvision.transforms.functional"] = functional


class StubModel:
    """Stands for the network: ``eval()`` and a call that returns the saved answer."""

    def __init__(self, answer: Callable):
        self.answer = answer

    def eval(self):
        return self

    def __call__(self, *args, **kwargs):
        return self.answer(*args, **kwargs)


class FakeTokenizer:
    def encode(self, text, add_special_tokens=True):
        return [101, 102]


def stub_tokenizer(module: str) -> None:
    """The BERT tokenizer module a loader imports, standing in (the sentence ids replace the tokens)."""
    if "." in module:
        stub_module(module.split(".")[0])
    stub_module(module, BertTokenizer=types.SimpleNamespace(from_pretrained=lambda *a, **k: FakeTokenizer()))


def sid_ids(sid: int, length: int = 20) -> torch.Tensor:
    ids = torch.zeros(1, length, dtype=torch.int64)
    ids[0, 0] = sid
    return ids


# --- R-RIS: jianzongwu/robust-ref-seg --------------------------------------------------------------------


def stub_missing(top: str, *subs: str) -> None:
    """Empty stand-ins for a module the official files import only for drawing or training (skimage, h5py,
    textblob), when it is not installed."""
    try:
        __import__(top)
    except ImportError:
        parent = stub_module(top)
        for sub in subs:
            setattr(parent, sub, stub_module(f"{top}.{sub}"))


def run_rris(cfg: Dict) -> Dict:
    sys.path.insert(0, cfg["code"])
    stub_missing("skimage", "io")
    stub_torchvision()
    stub_tokenizer("transformers")
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
    result, local = returned_locals(validate, args, logging.getLogger("rris"), loader, StubModel(model), 0, True)
    out = {k: float(v) for k, v in result.items()}
    for n, t in enumerate(local["seg_iou_list"]):
        out[f"P@{t}"] = float(local["seg_correct"][n] * 100.0 / local["seg_total"])
    return out


# --- LAVT: yz93/LAVT-RIS ------------------------------------------------------------------------------


def run_lavt(cfg: Dict) -> Dict:
    code = Path(cfg["code"])
    sys.path.insert(0, str(code))
    stub_missing("h5py")
    stub_missing("skimage", "io")
    stub_torchvision()
    sys.argv = ["test.py", "--refer_data_root", cfg["root"], "--dataset", cfg["dataset"], "--splitBy",
                cfg["split_by"], "--split", cfg["split"]]
    stub_tokenizer("bert.tokenization_bert")
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
    _, local = returned_locals(ns["evaluate"], StubModel(model), loader, None, torch.device("cpu"))
    out = {"mIoU": float(local["mIoU"] * 100.0), "oIoU": float(local["cum_I"] * 100.0 / local["cum_U"])}
    for n, t in enumerate(local["eval_seg_iou_list"]):
        out[f"P@{t}"] = float(local["seg_correct"][n] * 100.0 / local["seg_total"])
    return out


# --- GRES: henghuiding/ReLA ----------------------------------------------------------------------------


def method_from(path: Path, cls: str, name: str, namespace: Dict[str, Any]) -> Callable:
    """One method of an official class, as a plain function (its decorators dropped)."""
    tree = ast.parse(path.read_text())
    klass = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls)
    func = next(n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name == name)
    func.decorator_list = []
    exec(compile(ast.Module(body=[func], type_ignores=[]), str(path), "exec"), namespace)
    return namespace[name]


def run_rela(cfg: Dict) -> Dict:
    code = Path(cfg["code"])
    sys.path.insert(0, str(code))
    stub_missing("skimage", "io")

    class Timer:
        def seconds(self):
            return 0.0

    class BoxMode:
        XYWH_ABS = 1

    stub_module("fvcore")
    stub_module("fvcore.common")
    stub_module("fvcore.common.timer", Timer=Timer)
    stub_module("detectron2")
    stub_module("detectron2.utils")
    stub_module("detectron2.utils.comm", all_gather=lambda x: [x], is_main_process=lambda: True,
                synchronize=lambda: None)
    stub_module("detectron2.utils.file_io", PathManager=types.SimpleNamespace(get_local_path=lambda p: p))
    stub_module("detectron2.evaluation")
    stub_module("detectron2.evaluation.evaluator", DatasetEvaluator=object)
    stub_module("detectron2.structures", Boxes=None, BoxMode=BoxMode, PolygonMasks=None, RotatedBoxes=None)
    from gres_model.data.datasets.grefcoco import load_grefcoco_json
    from gres_model.evaluation.refer_evaluation import ReferEvaluator
    mapper = code / "gres_model/data/dataset_mappers/refcoco_mapper.py"
    ns = functions_from(mapper, {"convert_coco_poly_to_mask"}, {"torch": torch, "coco_mask": __import__(
        "pycocotools.mask", fromlist=["mask"])})
    merge = method_from(mapper, "RefCOCOMapper", "_merge_masks", {"torch": torch})
    saved = Saved(cfg["dense"])
    side, rule = 480, cfg["rule"]
    dicts = load_grefcoco_json(cfg["root"], "grefcoco", "unc", cfg["split"], "images")
    evaluator = ReferEvaluator("parity", distributed=False, output_dir=None)
    evaluator.reset()
    for d in dicts:
        # RefCOCOMapper.__call__ (test): detectron2 T.Resize((480, 480)) scales each polygon's x by 480 / width
        # and y by 480 / height (ResizeTransform.apply_coords); crowd and empty annotations are left out
        sx, sy = side * 1.0 / d["width"], side * 1.0 / d["height"]
        annos = [obj for obj in d["annotations"] if obj.get("iscrowd", 0) == 0 and obj.get("empty", False) is False]
        polygons = [[(np.asarray(p, dtype=np.float64).reshape(-1, 2) * [sx, sy]).reshape(-1) for p in obj["segmentation"]]
                    for obj in annos]
        gt_masks = ns["convert_coco_poly_to_mask"](polygons, side, side) if polygons else \
            torch.zeros((0, side, side), dtype=torch.uint8)
        sid = d["sentence"]["sent_id"]
        if rule == "null":
            nt = saved.null[sid]
        else:
            nt = saved.score[sid] < float(rule.split(":")[1])
        inputs = {"image_id": d["image_id"], "source": "grefcoco", "sentence": d["sentence"],
                  "gt_mask_merged": merge(gt_masks), "empty": d.get("empty", False)}
        outputs = {"ref_seg": saved.logits(sid, side)[0], "nt_label": torch.tensor([0.0, 1.0] if nt else [1.0, 0.0])}
        evaluator.process([inputs], [outputs])
    results = evaluator.evaluate()
    return {k: float(v) for k, v in results["grefcoco"].items()}


# --- Ref-ZOM: toggle1995/RIS-DMMI -----------------------------------------------------------------------


def run_dmmi(cfg: Dict) -> Dict:
    code = Path(cfg["code"])
    sys.path.insert(0, str(code))
    stub_missing("skimage", "io")
    stub_torchvision()
    stub_tokenizer("bert.tokenization_bert")
    stub_module("textblob", TextBlob=lambda text: types.SimpleNamespace(tags=[]))  # only masks training words
    sys.argv = ["test.py", "--refer_data_root", cfg["root"], "--dataset", "ref-zom", "--splitBy", "final",
                "--split", cfg["split"]]
    root = Path(cfg["root"])
    blank_images(root, "ref-zom")
    from data.dataset_zom import Referzom_Dataset, args
    import transforms as T
    import utils
    ns = functions_from(code / "test.py", {"evaluate", "computeIoU", "get_transform"},
                        {"np": np, "torch": torch, "utils": utils, "T": T, "F": torch.nn.functional, "args": args})
    saved = Saved(cfg["dense"])
    ds = Referzom_Dataset(args, split=cfg["split"], image_transforms=ns["get_transform"](args),
                          target_transforms=None, eval_mode=True)
    ds.input_ids = [sid_ids(sid) for sid in ds.all_sent_id_list]

    def bert(ids, attention_mask=None):
        return (ids.float().unsqueeze(-1),)

    def model(image, embedding, embedding2, l_mask=None):
        return None, None, saved.logits(int(embedding[0, 0, 0]), 480)

    loader = torch.utils.data.DataLoader(ds, batch_size=1, sampler=torch.utils.data.SequentialSampler(ds))
    _, local = returned_locals(ns["evaluate"], StubModel(model), loader, bert, torch.device("cpu"))
    out = {"mIoU": float(local["mIoU"] * 100.0), "oIoU": float(local["cum_I"] * 100.0 / local["cum_U"]),
           "acc": float(local["mean_acc"] * 100.0)}
    for n, t in enumerate(local["eval_seg_iou_list"]):
        out[f"P@{t}"] = float(local["seg_correct"][n] * 100.0 / local["seg_total"])
    return out


# --- SESAME: see-say-segment/sesame -------------------------------------------------------------------


def run_sesame(cfg: Dict) -> Dict:
    code = Path(cfg["code"])
    sys.path.insert(0, str(code / "dataloaders"))
    stub_missing("skimage", "io")
    from pycocotools import mask as coco_mask
    from refer import REFER
    ns: Dict[str, Any] = {"np": np, "torch": torch, "mask": coco_mask, "os": __import__("os"), "Enum": __import__(
        "enum").Enum, "dist": None}
    functions_from(code / "dataloaders/refer_seg_dataset.py", {"create_zero_mask", "decode_segmentation",
                                                                "process_annotation"}, ns)
    load_masks = method_from(code / "dataloaders/refer_seg_dataset.py", "ReferSegDataset",
                             "load_segmentation_masks", ns)
    expressions = method_from(code / "dataloaders/test_dataset.py", "TestReferDataset",
                              "process_referring_expressions", ns)
    functions_from(code / "utils.py", {"intersectionAndUnionGPU", "AverageMeter", "Summary"}, ns)
    functions_from(code / "eval_sesame.py", {"run_eval"}, ns)
    saved = Saved(cfg["dense"])
    refer_api = REFER(cfg["root"], cfg["dataset"], cfg["split_by"])
    ref_ids = refer_api.getRefIds(split=cfg["split"])
    refs = refer_api.loadRefs(ref_ids=ref_ids)
    img2refs: Dict[int, list] = {}
    for ref in refs:
        img2refs[ref["image_id"]] = img2refs.get(ref["image_id"], []) + [ref]
    out_dir = Path(cfg["work"]) / "sesame-masks"
    out_dir.mkdir(parents=True, exist_ok=True)
    preds = {}
    for k, image_id in enumerate(refer_api.getImgIds(ref_ids=ref_ids)):
        image_info = refer_api.Imgs[image_id]
        q, a, ann_ids, exists, _, _ = expressions(None, img2refs[image_id])
        gt = load_masks(None, image_info, refer_api.Anns, (image_info["height"], image_info["width"]), ann_ids,
                        exists, include_nonexist=True)
        sids = [s["sent_id"] for ref in img2refs[image_id] for s in ref["sentences"]]
        pred = np.stack([saved.mask[sid] for sid in sids]).astype(np.float32)
        np.savez_compressed(out_dir / f"{k}.npz", pred=pred, gt=gt.numpy().astype(np.float32))
        preds[str(image_id)] = {"gt_exists": exists, "pred_exists": [bool(saved.mask[sid].any()) for sid in sids],
                                "segmentation_path": f"{k}.npz"}
    _, local = returned_locals(ns["run_eval"], preds, Namespace(vis_save_path=str(out_dir), val_dataset="parity"))
    return {"cIoU": float(local["iou_class"][1] * 100.0), "See Accuracy": float(local["detection_acc"] * 100.0)}


RUNNERS = {"rris": run_rris, "lavt": run_lavt, "rela": run_rela, "dmmi": run_dmmi, "sesame": run_sesame}

if __name__ == "__main__":
    config = json.loads(Path(sys.argv[2]).read_text())
    numbers = RUNNERS[sys.argv[1]](config)
    print(json.dumps(numbers))
