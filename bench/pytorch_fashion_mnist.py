#!/usr/bin/env python3
"""PyTorch reference for strata's Fashion-MNIST example.

Mirrors examples/fashion_mnist.cpp (same data, model, initialisation, loss,
optimizer and batching) so time per epoch and time to 88% test accuracy can be
compared on the same machine.

Run:
    python3 bench/pytorch_fashion_mnist.py --epochs 10

(Needs torch + numpy, e.g. Debian's python3-torch; if `python3` is a
pyenv/venv interpreter without them, run it with /usr/bin/python3.)
Data: Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/).
Per-epoch progress goes to stderr; one JSON object is printed on stdout.
"""
import argparse
import gzip
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

DATA_DIR = "/usr/share/datasets/fashion-mnist"
TARGET_ACCURACY = 0.88


def read_idx(path):
    """Read a gzip IDX file: magic (0,0,dtype,ndim) then ndim big-endian u32 dims."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {dims}, got {data.size} bytes")
    return data.reshape(dims)


def load(split):
    images = read_idx(f"{DATA_DIR}/{split}-images-idx3-ubyte.gz")
    labels = read_idx(f"{DATA_DIR}/{split}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def make_model():
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )
    for m in model:
        if isinstance(m, nn.Linear):  # Keras defaults: Glorot uniform, zero bias
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


@torch.no_grad()
def accuracy(model, x, y, batch_size):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch_size):
        correct += (model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=None, help="use the first N training images")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    x_train, y_train = load("train")
    x_test, y_test = load("t10k")
    if args.limit is not None:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    n = len(x_train)

    model = make_model()
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

    epoch_seconds, test_acc = [], []
    cumulative, seconds_to_88, epoch_to_88 = 0.0, None, None
    for epoch in range(1, args.epochs + 1):
        model.train()
        loss_sum, batches = 0.0, 0
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, args.batch_size):  # last partial batch kept
            idx = perm[i:i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            batches += 1
        train_s = time.perf_counter() - t0
        cumulative += train_s

        t1 = time.perf_counter()
        acc = accuracy(model, x_test, y_test, args.batch_size)
        eval_s = time.perf_counter() - t1

        epoch_seconds.append(train_s)
        test_acc.append(acc)
        if seconds_to_88 is None and acc >= TARGET_ACCURACY:
            seconds_to_88, epoch_to_88 = cumulative, epoch
        print(f"epoch {epoch:2d}  train {train_s:7.3f}s  loss {loss_sum / batches:.4f}  "
              f"test acc {acc:.4f}  (eval {eval_s:.3f}s)", file=sys.stderr, flush=True)

    print(json.dumps({
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "threads": args.threads,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "epoch_seconds": epoch_seconds,
        "median_epoch_seconds": statistics.median(epoch_seconds) if epoch_seconds else None,
        "test_accuracy": test_acc,
        "final_test_accuracy": test_acc[-1] if test_acc else None,
        "seconds_to_88": seconds_to_88,
        "epoch_to_88": epoch_to_88,
    }))


if __name__ == "__main__":
    main()
