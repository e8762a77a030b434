"""Time a forward pass of RefSegformer's swin-b preset at 480x480 on the CPU (batch 1 and 4) and show which
parts dominate: text encoder, each Swin stage (blocks / VLTF / patch merging), pixel decoder, heads.

    python benchmarks/bench_refsegformer.py [--batch 1 4] [--repeats 2] [--threads N]

Random weights (timing does not depend on them); inputs as the parity harness's: one 480x480 image and a
20-token sentence per sample.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Dict

import torch

from rris_bench.baselines.refsegformer.model import build


def part_of(name: str) -> str:
    """Group a module name into a reported part."""
    p = name.split(".")
    if p[0] == "text_encoder":
        return "text encoder (BERT)"
    if p[0] == "image_encoder" and len(p) > 3 and p[1] == "layers":
        return f"stage {int(p[2]) + 1} {'Swin blocks' if p[3] == 'blocks' else p[3]}"
    if p[0] == "segmentation" and len(p) > 1:
        return "pixel decoder" if p[1] == "pixel_decoder" else "mask + existence heads"
    return "other"


def timed(model: torch.nn.Module, batch: int, repeats: int, size: int = 480) -> Dict[str, float]:
    """Wall seconds per forward (best of ``repeats``) and per part (of that run), via forward hooks."""
    img = torch.randn(batch, 3, size, size)
    n = model.config.max_tokens
    ids = torch.randint(1, model.text_encoder.config.vocab_size, (batch, n))
    mask = torch.ones(batch, n, dtype=torch.long)
    parts: Dict[str, float] = defaultdict(float)
    starts: Dict[str, float] = {}
    def hooked(n: str) -> bool:
        """The text encoder, each Swin block, VLTF and patch merging, and the segmentation head's parts
        (ModuleLists have no forward, so blocks are hooked one by one)."""
        p = n.split(".")
        if n == "text_encoder":
            return True
        if p[0] == "image_encoder" and len(p) > 3 and p[1] == "layers":
            return len(p) == (5 if p[3] == "blocks" else 4)
        return p[0] == "segmentation" and len(p) == 2
    tops = {n: m for n, m in model.named_modules() if hooked(n)}
    hooks = []
    for name, module in tops.items():
        hooks.append(module.register_forward_pre_hook(lambda m, a, n=name: starts.__setitem__(n, time.perf_counter())))
        hooks.append(module.register_forward_hook(
            lambda m, a, o, n=name: parts.__setitem__(part_of(n), parts[part_of(n)] + time.perf_counter() - starts[n])))
    best, best_parts = float("inf"), {}
    with torch.inference_mode():
        model(img, ids, mask)                       # warm-up
        for _ in range(repeats):
            parts.clear()
            t = time.perf_counter()
            model(img, ids, mask)
            total = time.perf_counter() - t
            if total < best:
                best, best_parts = total, dict(parts)
    for h in hooks:
        h.remove()
    best_parts["total"] = best
    return best_parts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--preset", default="swin-b", help="swin-b (default), swin-t; tiny to try the script quickly")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build(args.preset, **({"text": {"kind": "tiny", "vocab": ["a"]}} if args.preset == "tiny" else {})).eval()
    size = model.config.img_size
    print(f"RefSegformer {args.preset} at {size}x{size}, {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    results = {b: timed(model, b, args.repeats, size) for b in args.batch}
    names = [k for k in sorted(results[args.batch[0]], key=lambda k: -results[args.batch[0]][k]) if k != "total"]
    print(f"{'part':<28}" + "".join(f"{'batch ' + str(b):>18}" for b in args.batch))
    for name in names + ["total"]:
        row = "".join(f"{results[b].get(name, 0.0):9.3f}s {100 * results[b].get(name, 0.0) / results[b]['total']:5.1f}%"
                      for b in args.batch)
        print(f"{name:<28}{row}")
    for b in args.batch:
        print(f"batch {b}: {results[b]['total']:.2f} s per forward, {results[b]['total'] / b:.2f} s per image")


if __name__ == "__main__":
    main()
