"""Data-parallel helpers for torchrun on CPU (gloo) or GPU (nccl): process group setup, reductions, and a
batch norm whose statistics are synchronised across processes on any device (torch's SyncBatchNorm is
GPU-only), so N processes x b samples train exactly like one process x N*b."""
from __future__ import annotations

import os
from typing import Tuple

import torch
import torch.distributed as dist
from torch import nn


def init_from_env() -> Tuple[int, int]:
    """Join the torchrun process group when WORLD_SIZE > 1 (gloo on CPU); returns (rank, world_size)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def all_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum over processes, differentiable (identity in one process)."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return x
    import torch.distributed.nn.functional as dist_fn
    return dist_fn.all_reduce(x, op=dist.ReduceOp.SUM)


def all_sum_detached(x: torch.Tensor) -> torch.Tensor:
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return x
    x = x.detach().clone()
    dist.all_reduce(x)
    return x


class SyncBatchNorm(nn.BatchNorm1d):
    """BatchNorm over (B, C) or (B, C, L) whose training statistics are summed over all processes; same
    parameters and buffers as ``nn.BatchNorm1d``, plain BatchNorm when not distributed or in eval."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        dims = [0] + list(range(2, x.dim()))
        count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype)
        stats = all_sum(torch.cat([x.sum(dims), (x * x).sum(dims), count]))
        c = x.shape[1]
        n = stats[-1]
        mean = stats[:c] / n
        var = stats[c:2 * c] / n - mean * mean
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mean.detach())
            self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1))
        shape = [1, c] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        return y * self.weight.view(shape) + self.bias.view(shape)


def convert_batchnorm(module: nn.Module) -> nn.Module:
    """Turn every ``nn.BatchNorm1d`` in ``module`` into ``SyncBatchNorm`` in place (state dicts unchanged)."""
    for m in module.modules():
        if type(m) is nn.BatchNorm1d:
            m.__class__ = SyncBatchNorm
    return module
