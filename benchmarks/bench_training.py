"""Per-epoch training time of the course's reference NumPy MLP against PyTorch on the CPU.

Both train a 784-256-128-10 ReLU MLP on the 60k MNIST training images with batch 64 and
plain SGD (lr 0.3), from the same initial weights and in the same batch order. Epochs are
interleaved (numpy 1, torch 1, numpy 2, ...) so that machine noise hits both alike.

    MNIST_DIR=/path/to/mnist .venv/bin/python benchmarks/bench_training.py --epochs 3

Target: median numpy epoch time <= 1.15 x median torch epoch time.
Torch is optional: without it only the numpy side runs.
"""
import argparse
import os
import pathlib
import statistics
import sys
import time

import numpy as np

try:  # optional: reports numpy's BLAS and caps its threads at run time
    import threadpoolctl
except ImportError:
    threadpoolctl = None

try:
    import torch
except ImportError:
    torch = None

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "source" / "task4_1")]

from autograder.course import environment  # noqa: E402 - after sys.path has the repository
from autograder.course.notebook_code import load_classes  # noqa: E402 - after sys.path has the repository

LAYER_SIZES = [784, 256, 128, 10]
BATCH_SIZE = 64
LEARNING_RATE = 0.3
TARGET_RATIO = 1.15
BLAS_ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TORCH_INSTALL = "pip install torch==2.13.0"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per framework (default 3)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for torch and numpy's BLAS (default: all cores)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and batch order")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.threads < 1:
        parser.error("--epochs and --threads must be at least 1")
    return args


# ------------------------------------------------------------------ environment

def limit_threads(n):
    """Cap torch and numpy's BLAS at n threads; return a description for the report."""
    notes = []
    if torch is not None:
        torch.set_num_threads(n)
        notes.append(f"torch {n}")
    if threadpoolctl is None:
        # OpenBLAS reads its thread count once, at load time, so only the environment can set it
        found = {v: os.environ.get(v, "unset") for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
        notes.append(f"numpy BLAS follows the environment "
                     f"({', '.join(f'{k}={v}' for k, v in found.items())}; no threadpoolctl)")
    else:
        threadpoolctl.threadpool_limits(limits=n, user_api="blas")
        notes.append(f"numpy BLAS {n} (threadpoolctl)")
    return "; ".join(notes)


def describe_blas():
    """Which BLAS numpy calls: threadpoolctl's view of it if installed, else numpy's build config."""
    if threadpoolctl is not None:
        # the kernel (e.g. Haswell) is what OPENBLAS_CORETYPE overrides; torch links MKL statically
        infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        if infos:
            return "; ".join(f"{i['internal_api']} {i['version']}, kernel {i.get('architecture')}, "
                             f"{i['num_threads']} threads ({pathlib.Path(i['filepath']).name})"
                             for i in infos)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]  # numpy >= 1.26
    except (TypeError, KeyError):
        return "unknown (install threadpoolctl, or see numpy.show_config())"
    return f"{blas['name']} {blas.get('version', '?')} (from numpy.show_config; kernel unknown)"


def load_note():
    """1-minute load average: other busy processes share the cores and distort the timings."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    load = os.getloadavg()[0]
    if load <= 0.5:
        return f"{load:.2f}"
    # on busy cores, spinning BLAS/OpenMP workers wait for each other: epochs can get 10x slower
    return (f"{load:.2f}: other processes are busy, timings will be noisy; "
            f"--threads 1 suffers least from that")


def print_environment(threads_note):
    print(f"numpy {np.__version__}, BLAS: {describe_blas()}")
    print("  " + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in BLAS_ENV_VARS))
    print(f"torch {torch.__version__}" if torch is not None else
          f"torch: not installed; install it with `{TORCH_INSTALL}` to compare")
    print(f"threads: {threads_note}; cores: {os.cpu_count()}")
    print(f"load average (1 min) before the run: {load_note()}")


def load_data():
    """MNIST as float32/int64 arrays; defaults MNIST_DIR to the workplace copy, if there is one."""
    os.environ.setdefault("MNIST_DIR", str(environment.data_dir()))
    from mnist_loader import load_mnist
    return load_mnist(verbose=False)


# ------------------------------------------------------------------ numpy (reference classes)

def make_numpy_trainer(classes, seed):
    np.random.seed(seed)  # Linear draws its weights from the global generator
    model = classes["MLP"](LAYER_SIZES)
    return model, classes["CrossEntropyLoss"](), classes["SGD"](LEARNING_RATE)


def numpy_epoch(trainer, X, y, perm):
    """Seconds for one epoch of the reference training step."""
    model, loss_fn, opt = trainer
    start = time.perf_counter()
    for i in range(0, len(perm), BATCH_SIZE):
        idx = perm[i:i + BATCH_SIZE]
        Xb, yb = X[idx], y[idx]
        probs = model.forward(Xb)
        loss_fn.forward(probs, yb)
        model.backward(loss_fn.backward())
        opt.step(model)
    return time.perf_counter() - start


def numpy_accuracy(trainer, X, y):
    return float(np.mean(trainer[0].predict(X) == y))


# ------------------------------------------------------------------ torch

def make_torch_trainer(numpy_model):
    """The same network, starting from the numpy model's initial weights."""
    linears = []
    for layer in numpy_model.layers:
        linear = torch.nn.Linear(layer.in_features, layer.out_features)
        with torch.no_grad():  # numpy stores W as (in, out), torch as (out, in)
            linear.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            linear.bias.copy_(torch.from_numpy(layer.b.copy()))
        linears.append(linear)
    model = torch.nn.Sequential(linears[0], torch.nn.ReLU(), linears[1], torch.nn.ReLU(),
                                linears[2])
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    return model, torch.nn.CrossEntropyLoss(), opt


def torch_epoch(trainer, X, y, perm):
    """Seconds for one epoch; X, y are tensors, perm the same numpy permutation."""
    model, loss_fn, opt = trainer
    order = torch.from_numpy(perm)
    model.train()
    start = time.perf_counter()
    for i in range(0, len(order), BATCH_SIZE):
        idx = order[i:i + BATCH_SIZE]
        opt.zero_grad()
        loss_fn(model(X[idx]), y[idx]).backward()
        opt.step()
    return time.perf_counter() - start


def torch_accuracy(trainer, X, y):
    model = trainer[0]
    model.eval()
    with torch.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()


# ------------------------------------------------------------------ running and reporting

def run(args, data, classes):
    """Interleaved epochs; returns a list of per-epoch dicts (torch fields None without torch)."""
    X_train, y_train, X_test, y_test = data
    np_trainer = make_numpy_trainer(classes, args.seed)
    if torch is not None:
        th_trainer = make_torch_trainer(np_trainer[0])
        tensors = [torch.from_numpy(np.array(a)) for a in data]  # copies: the cache is read-only
    rng = np.random.default_rng(args.seed)
    rows = []
    for epoch in range(1, args.epochs + 1):
        perm = rng.permutation(len(X_train))
        row = {"epoch": epoch, "np_s": numpy_epoch(np_trainer, X_train, y_train, perm),
               "np_acc": numpy_accuracy(np_trainer, X_test, y_test), "th_s": None, "th_acc": None}
        if torch is not None:
            row["th_s"] = torch_epoch(th_trainer, tensors[0], tensors[1], perm)
            row["th_acc"] = torch_accuracy(th_trainer, tensors[2], tensors[3])
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def fmt(value, width, decimals):
    """Right-aligned number, or '-' where torch is missing."""
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{decimals}f}"


def format_row(row):
    ratio = row["np_s"] / row["th_s"] if row["th_s"] else None
    return (f"{row['epoch']:>6} {fmt(row['np_s'], 10, 2)} {fmt(row['th_s'], 10, 2)} "
            f"{fmt(ratio, 8, 2)} {fmt(row['np_acc'], 9, 4)} {fmt(row['th_acc'], 9, 4)}")


def print_summary(rows):
    np_median = statistics.median(r["np_s"] for r in rows)
    print(f"{'median':>6} {np_median:10.2f}", end="")
    if torch is None:
        print(f"\n\nTarget (numpy <= {TARGET_RATIO}x torch): not checked, torch is missing. "
              f"Install it with `{TORCH_INSTALL}` and run again.")
        return
    th_median = statistics.median(r["th_s"] for r in rows)
    ratio = np_median / th_median
    print(f" {th_median:10.2f} {ratio:8.2f}")
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print(f"\nTarget numpy per-epoch time <= {TARGET_RATIO}x torch: {verdict} "
          f"(median numpy {np_median:.2f} s / median torch {th_median:.2f} s = {ratio:.2f}x)")


def main(argv=None):
    args = parse_args(argv)
    threads_note = limit_threads(args.threads)
    print_environment(threads_note)
    data = load_data()
    classes = load_classes()
    print(f"\nMLP {LAYER_SIZES}, batch {BATCH_SIZE}, SGD lr {LEARNING_RATE}, "
          f"{len(data[0])} training images, seed {args.seed}; seconds are training only\n")
    print(f"{'epoch':>6} {'numpy s':>10} {'torch s':>10} {'np/torch':>8} {'np acc':>9} "
          f"{'torch acc':>9}")
    print_summary(run(args, data, classes))


if __name__ == "__main__":
    main()
