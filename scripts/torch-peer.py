#!/usr/bin/python3
# The PyTorch peer of `sae-workbench bench` (issue #15): an independent CPU trainer of the same recipe as
# src/core/sae/train.ts — TopK SAE (the k largest z, then ReLU), AuxK on dead latents, Adam, the decoder-
# parallel gradient removed, global-norm clip, unit-norm decoder rows after each step, firing statistics —
# written the way a PyTorch user would (dense codes, autograd), timed on the same data, shapes and batch.
# Prints one JSON line: {"threads", "msPerStep" (median wall), "tokensPerS", "cpuMsPerStep" (median CPU time), "loss", "torch"}.
#
# Usage: /usr/bin/python3 scripts/torch-peer.py --data FILE.f32 --rows R --din D --dsae N --k K
#            [--batch 256] [--threads 1] [--warmup 5] [--steps 20] [--lr 2e-4] [--kaux D/2] [--auxk 1/32]
# FILE.f32: the rows as raw little-endian float32, [R, D] row-major (the bench writes it).
import argparse
import json
import statistics
import time

import numpy as np
import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--rows', type=int, required=True)
    p.add_argument('--din', type=int, required=True)
    p.add_argument('--dsae', type=int, required=True)
    p.add_argument('--k', type=int, required=True)
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--lr', type=float, default=2e-4)
    p.add_argument('--kaux', type=int, default=0)
    p.add_argument('--auxk', type=float, default=1 / 32)
    p.add_argument('--dead-window', type=float, default=1e7)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x_all = torch.from_numpy(np.fromfile(a.data, dtype='<f4').reshape(a.rows, a.din).copy())
    d_in, d_sae, k, B = a.din, a.dsae, a.k, a.batch
    k_aux = a.kaux if a.kaux > 0 else max(1, d_in // 2)

    # init (sae-libraries §3.1): unit decoder rows, encoder = decoder, bEnc 0, bDec = mean of a sample
    w_dec = torch.randn(d_sae, d_in)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_enc = w_dec.clone().requires_grad_(True)
    w_dec.requires_grad_(True)
    b_enc = torch.zeros(d_sae, requires_grad=True)
    b_dec = x_all[: min(a.rows, 4096)].mean(0).clone().requires_grad_(True)
    params = [w_enc, b_enc, w_dec, b_dec]
    opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    since_fired = torch.zeros(d_sae, dtype=torch.float64)
    firing = torch.zeros(d_sae, dtype=torch.float64)
    perm = torch.randperm(a.rows)
    pos = 0

    def step() -> float:
        nonlocal perm, pos
        if pos + B > a.rows:
            perm, pos = torch.randperm(a.rows), 0
        x = x_all[perm[pos : pos + B]]
        pos += B
        dead = since_fired >= a.dead_window
        z = (x - b_dec) @ w_enc.T + b_enc
        vals, idx = z.topk(k, dim=1)
        f = torch.zeros_like(z).scatter(1, idx, torch.relu(vals))
        x_hat = f @ w_dec + b_dec
        e = x_hat - x
        loss = e.pow(2).sum(1).mean()
        n_dead = int(dead.sum())
        if a.auxk > 0 and n_dead > 0:
            za = z.masked_fill(~dead, float('-inf'))
            av, ai = za.topk(min(k_aux, n_dead), dim=1)
            fa = torch.zeros_like(z).scatter(1, ai, torch.relu(av))
            e_hat = fa @ w_dec
            aux = (e_hat - (x - x_hat).detach()).pow(2).sum(1).mean() * min(n_dead / k_aux, 1.0)
            loss = loss + a.auxk * aux
        opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            g = w_dec.grad
            g -= (g * w_dec).sum(1, keepdim=True) / w_dec.pow(2).sum(1, keepdim=True) * w_dec
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            w_dec.div_(w_dec.norm(dim=1, keepdim=True))
            fired = (f > 0).sum(0).double()
            firing.add_(fired)
            since_fired.copy_(torch.where(fired > 0, torch.zeros_like(since_fired), since_fired + B))
        return float(loss)

    for _ in range(a.warmup):
        step()
    times, cpu_times = [], []
    loss = 0.0
    for _ in range(a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    ms = statistics.median(times)
    # cpuMsPerStep: this process's CPU time (all its threads): robust to other load on a shared machine.
    cpu_ms = statistics.median(cpu_times)
    print(json.dumps({'threads': a.threads, 'msPerStep': ms, 'tokensPerS': B / ms * 1000, 'cpuMsPerStep': cpu_ms, 'loss': loss, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
