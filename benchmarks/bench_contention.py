"""The demo's tiny models on a busy machine: steps/s with K CPU-bound background processes, per thread setting.

    python benchmarks/bench_contention.py [--steps 30] [--samples 160] [--background 0,1,2,4] [--repeat 1]
                                          [--configs spin-2,passive-1,passive-2,auto] [--workdir DIR]

Workloads (each measured in a fresh process, so the thread settings are applied before torch loads):
- ``train-refsegformer``, ``train-lavt``, ``train-lavt-plus``: ``--steps`` optimiser steps of the demo's
  training recipe (tiny preset, the demo's batch size and image size), timed from the start of the second
  step to the start of step ``--steps`` + 2 (batch loading included; model build and the first step not);
- ``run-refsegformer``: the harness over the first ``--samples`` sentences of rtoy val with the
  RefSegformer adapter (a 1-step checkpoint: the speed does not depend on the weights), timed as the
  harness times its loop (image decoding in its threads included, the model's setup not).

Thread settings (``--configs``):
- ``spin-2``: torch's defaults, what the demo used before issue 16: 2 intra-op and 2 inter-op threads,
  OpenMP's default wait policy (idle threads spin for a while before they sleep);
- ``passive-N``: N intra-op threads, ``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep at once), 1 inter-op
  thread (``passive-1``: the demo's default between the first and second parts of issue 16);
- ``spinC-N``: N intra-op threads spinning ``GOMP_SPINCOUNT=C`` times before they sleep (libgomp, the
  OpenMP runtime of torch's CPU wheels; OpenMP's default is 300000, about 3 ms), 1 inter-op thread;
- ``auto``: ``rris_bench.threads.configure()``, the default of ``demo``, ``train`` and ``run``: it looks at the
  machine first, so with K >= 1 (or other jobs) it picks 1 passive thread, on a free machine 2 spinning ones.

Background load: K processes each spinning ``while True: pass`` (started before, stopped after each K).
Printed per workload and setting: the rate (steps/s or samples/s) at each K, the slowdown against K = 0 of
the same setting, and the fair-share slowdown max(1, (K + 1) / cores): what the job would pay if it got an
equal share of the cores among K + 1 processes. ``vs spin-2 idle`` compares each setting's idle rate with
the old default (the issue allows at most 10% slower). Targets (issue 16): the training workloads at K = 2
at most 2.5x their idle time with the default setting (``auto``), and its idle rate within 10% of
``spin-2``'s. The machine's 1-minute load average is printed beside every row: the background processes of
this script add K to it; anything else running (other users' jobs) is not controlled and shows there.
``--repeat R`` measures everything R times, interleaved, and shows the run of median rate.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Tuple

WORKLOADS = ("train-refsegformer", "train-lavt", "train-lavt-plus", "run-refsegformer")
CONFIGS = {"spin-2": "2 threads, spinning (before)", "passive-1": "1 thread, passive",
           "passive-2": "2 threads, passive", "auto": "chosen from the machine's load (default now)"}
DEFAULT_CONFIG = "auto"


def _load() -> float:
    return os.getloadavg()[0]


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- the child: one workload under one thread setting ----------------------------------------------------
def _apply_config(config: str) -> None:
    """Set the thread environment of ``config`` (see the module docstring) before torch loads, then apply it."""
    for var in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "GOMP_SPINCOUNT"):
        os.environ.pop(var, None)
    if config == "auto":
        from rris_bench import threads

        threads.configure()
        return
    if config == "spin-2":
        return
    wait, count = config.rsplit("-", 1)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = count
    if wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    elif wait.startswith("spin"):
        os.environ["GOMP_SPINCOUNT"] = str(int(float(wait[len("spin"):])))
    else:
        raise SystemExit(f"unknown setting {config!r}")
    import torch

    torch.set_num_threads(int(count))
    torch.set_num_interop_threads(1)


def _child(workload: str, config: str, workdir: Path, steps: int, samples: int) -> Dict[str, float]:
    """Run ``workload`` once; return its rate and CPU seconds per unit. Thread settings first, then torch."""
    _apply_config(config)
    import torch

    from rris_bench.run import harness
    from rris_bench.datasets import load_dataset

    data = workdir / "data"
    dataset = load_dataset(data, "rtoy")
    out = workdir / "runs" / f"{workload}-{config}"
    info = {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    if workload == "run-refsegformer":
        cpu = time.process_time()
        summary = harness.run("refsegformer", dataset, "val", out.with_suffix(".jsonl"), limit=samples,
                              options={"checkpoint": str(workdir / "checkpoint" / "last.pth")}, progress=False)
        units, wall, cpu = summary["predicted"], summary["wall_seconds"], time.process_time() - cpu
    else:
        ticks = _train(workload, dataset, out, steps + 2)
        units, wall, cpu = steps, ticks[-1][0] - ticks[1][0], ticks[-1][1] - ticks[1][1]
    return {**info, "rate": units / wall, "cpu_per_unit": cpu / units, "seconds": wall}


def _train(workload: str, dataset, out: Path, steps: int) -> List[Tuple[float, float]]:
    """``steps`` steps of the demo's recipe for ``workload`` (see each model's ``train_demo``); returns the
    (wall, CPU) clock at the start of each step's loss, so the caller can time steps 2.. without the setup."""
    from rris_bench.baselines.common.training import train

    if workload == "train-refsegformer":
        from rris_bench.baselines.refsegformer import train as rsf

        task = rsf.RefSegformerTask(rsf.tiny_config(dataset, img_size=rsf.DEMO_IMG_SIZE), fg_weight=rsf.DEMO_FG_WEIGHT)
        config = rsf.DEMO_TRAIN
    else:
        from rris_bench.baselines.lavt import train as lavt

        plus = workload == "train-lavt-plus"
        task = lavt.LAVTTask(lavt.tiny_config(dataset, plus))
        config = replace(lavt.DEMO_TRAIN, positive_fraction=lavt.DEMO_PLUS_POSITIVE_FRACTION) if plus \
            else lavt.DEMO_TRAIN
    ticks: List[Tuple[float, float]] = []
    loss = task.loss

    def timed_loss(*args, **kwargs):
        ticks.append((time.perf_counter(), time.process_time()))
        return loss(*args, **kwargs)

    task.loss = timed_loss
    train(task, dataset, out, replace(config, max_steps=steps, progress=False))
    return ticks


def _prepare(workdir: Path) -> None:
    """The toy world, rtoy, and a 1-step RefSegformer checkpoint for the harness workload."""
    from rris_bench import threads

    threads.configure()
    from rris_bench.datasets import toy
    from rris_bench.build import build_robust_dataset
    from rris_bench.datasets import load_dataset

    data = workdir / "data"
    if not (data / "rtoy").is_dir():
        toy.generate(data, seed=0)
        build_robust_dataset(data, "toy", seed=0, progress=False)
    _train("train-refsegformer", load_dataset(data, "rtoy"), workdir / "checkpoint", 1)


# --- the parent: background load, children, tables ----------------------------------------------------------
def _spawn(args: List[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)


def _measure(workload: str, config: str, workdir: Path, steps: int, samples: int) -> Dict[str, float]:
    done = _spawn(["--child", workload, "--config", config, "--workdir", str(workdir), "--steps", str(steps),
                   "--samples", str(samples)])
    if done.returncode != 0:
        raise SystemExit(f"{workload} ({config}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Background:
    """K processes spinning on the CPU, stopped (by their own pids) when the block ends."""

    def __init__(self, count: int):
        self.count, self.procs = count, []

    def __enter__(self) -> "Background":
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(self.count)]
        time.sleep(0.5 if self.count else 0.0)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait()


def _median(runs: List[Dict[str, float]]) -> Dict[str, float]:
    """The run of median rate (the lower middle one for an even count) among repeats of one measurement."""
    return sorted(runs, key=lambda r: r["rate"])[(len(runs) - 1) // 2]


def _table(results: Dict[Tuple[str, str, int], Dict[str, float]], workloads: List[str], configs: List[str],
           ks: List[int], cores: int) -> str:
    """Rows: workload x setting; per K: rate, slowdown vs K = 0 and (in the header) the fair-share slowdown."""
    fair = {k: max(1.0, (k + 1) / cores) for k in ks}
    head = f"{'workload':<20}{'setting':<32}{'vs spin-2 idle':>15}" + "".join(
        f"{f'K={k} rate (slow; fair {fair[k]:.1f}x)':>30}" for k in ks)
    lines = [head, "-" * len(head)]
    for workload in workloads:
        unit = "samples/s" if workload.startswith("run") else "steps/s"
        for config in configs:
            idle = results[(workload, config, ks[0])]["rate"]
            old = results.get((workload, "spin-2", ks[0]))
            versus = f"{idle / old['rate'] - 1:+.0%}" if old else "-"
            cells = []
            for k in ks:
                r = results[(workload, config, k)]
                cells.append(f"{r['rate']:7.2f} {unit} ({idle / r['rate']:5.2f}x) L{r['load']:4.1f}")
            lines.append(f"{workload:<20}{config:<32}{versus:>15}" + "".join(f"{c:>30}" for c in cells))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30, help="Training steps per measurement.")
    ap.add_argument("--samples", type=int, default=160, help="rtoy val sentences per harness measurement.")
    ap.add_argument("--background", default="0,1,2,4", help="Comma-separated K (0 first: the idle reference).")
    ap.add_argument("--configs", default=",".join(CONFIGS), help=f"Comma-separated from {', '.join(CONFIGS)}.")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"Comma-separated from {', '.join(WORKLOADS)}.")
    ap.add_argument("--repeat", type=int, default=1,
                    help="Measure each (K, workload, setting) this many times, interleaved; the median is shown.")
    ap.add_argument("--workdir", type=Path, default=None, help="Keep the toy world here (default: a temp dir).")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--config", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "prepare":
        _prepare(args.workdir)
        return
    if args.child:
        print(json.dumps(_child(args.child, args.config, args.workdir, args.steps, args.samples)))
        return
    ks = [int(k) for k in args.background.split(",")]
    configs = [c for c in args.configs.split(",") if c]
    workloads = [w for w in args.workloads.split(",") if w]
    cores = _cores()
    with tempfile.TemporaryDirectory(prefix="bench_contention_") as tmp:
        workdir = args.workdir or Path(tmp)
        print(f"{cores} cores; load average at start {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              f"(anything above 0 is other work this script does not control); preparing {workdir}", flush=True)
        done = _spawn(["--child", "prepare", "--workdir", str(workdir)])
        if done.returncode != 0:
            raise SystemExit(f"preparing failed:\n{done.stderr[-2000:]}")
        runs: Dict[Tuple[str, str, int], List[Dict[str, float]]] = {}
        for k in ks:
            with Background(k):
                for _ in range(args.repeat):
                    for workload in workloads:
                        for config in configs:  # settings alternate, so they see the same machine load
                            load = _load()
                            r = _measure(workload, config, workdir, args.steps, args.samples)
                            r["load"] = max(load, _load())
                            runs.setdefault((workload, config, k), []).append(r)
                            print(f"K={k} {workload:<20} {config:<10} {r['rate']:7.2f}/s  cpu "
                                  f"{r['cpu_per_unit']:.3f} s/unit  threads {r['intra_op']}+{r['inter_op']}  "
                                  f"load {r['load']:.2f}", flush=True)
        results = {key: _median(rs) for key, rs in runs.items()}
    print(f"\nrate at each K (slowdown against K=0 of the same setting; L = 1-minute load average during the "
          f"measurement, including the K background processes); fair share = max(1, (K+1)/{cores})\n")
    print(_table(results, workloads, configs, ks, cores))
    if 2 in ks and DEFAULT_CONFIG in configs:
        print(f"\ntarget: training at K=2 at most 2.5x its idle time with the default setting ({DEFAULT_CONFIG})")
        idle_load = max(r["load"] for (_, _, k), r in results.items() if k == ks[0])
        if ks[0] != 0 or idle_load > cores:  # the measured job itself adds up to its thread count
            print(f"  (K={ks[0]} ran at load {idle_load:.1f}, not idle: its rates are not an idle reference, "
                  "so these slowdowns understate; re-run on an idle machine)")
        for workload in [w for w in workloads if w.startswith("train")]:
            slow = results[(workload, DEFAULT_CONFIG, ks[0])]["rate"] / results[(workload, DEFAULT_CONFIG, 2)]["rate"]
            print(f"  {workload:<20} {slow:.2f}x  {'met' if slow <= 2.5 else 'MISSED'}")
    if ks[0] == 0 and {"spin-2", DEFAULT_CONFIG} <= set(configs):
        print(f"\ntarget: {DEFAULT_CONFIG} at K=0 at most 10% slower than spin-2 at K=0 (meaningful on an idle machine "
              "only: with other jobs running, auto rightly picks the busy-machine setting)")
        for workload in [w for w in workloads if w.startswith("train")]:
            ours, old = (results[(workload, c, 0)] for c in (DEFAULT_CONFIG, "spin-2"))
            change = ours["rate"] / old["rate"] - 1
            print(f"  {workload:<20} {change:+.0%} ({ours['intra_op']} thread(s) chosen)  "
                  f"{'met' if change >= -0.10 else 'MISSED'}")
    print(f"\nsettings: {'; '.join(f'{c} = {CONFIGS.get(c, c)}' for c in configs)}; "
          f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
