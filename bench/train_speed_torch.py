"""PyTorch eager reference for bench/train-speed: the same model and training step as lib/model
and lib/train (byte vocabulary, RMSNorm, HF rotary, gated FFN, tied head, AdamW with decay on
matrices only, global-norm clipping), on random tokens. Prints one JSON line.

usage: python bench/train_speed_torch.py --d 64 --layers 2 --heads 2 --dff 256 --batch 32 --seq 64 --threads 2 --steps 10 [--rounds 5]
"""
import argparse, json, math, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        d, self.h = a.d, a.heads
        self.hd = d // a.heads
        self.n1, self.n2 = RMSNorm(d, 1e-5), RMSNorm(d, 1e-5)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up = nn.Linear(d, a.dff, bias=False), nn.Linear(d, a.dff, bias=False)
        self.down = nn.Linear(a.dff, d, bias=False)
        self.act = F.relu if a.act == 'relu' else F.silu

    def forward(self, x, cos, sin):
        B, T, d = x.shape
        h = self.n1(x)
        q, k, v = (p(h).view(B, T, self.h, self.hd).transpose(1, 2) for p in (self.q, self.k, self.v))  # [B, H, T, hd]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # [B, H, T, hd]
        x = x + self.o(att.transpose(1, 2).reshape(B, T, d))
        h = self.n2(x)
        return x + self.down(self.act(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.emb = nn.Embedding(256, a.d)
        self.blocks = nn.ModuleList(Block(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.d, 1e-5)
        hd = a.d // a.heads
        inv = 10000.0 ** (-torch.arange(0, hd, 2).float() / hd)
        ang = torch.outer(torch.arange(a.seq).float(), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer('cos', ang.cos(), persistent=False)
        self.register_buffer('sin', ang.sin(), persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, targets):
        x = self.emb(ids)
        for b in self.blocks:
            x = b(x, self.cos, self.sin)
        logits = self.norm(x) @ self.emb.weight.t()  # tied head
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def main():
    ap = argparse.ArgumentParser()
    for k in ('d', 'layers', 'heads', 'dff', 'batch', 'seq', 'threads', 'steps', 'rounds'):
        ap.add_argument('--' + k, type=int, required=k not in ('threads', 'steps', 'rounds'))
    ap.add_argument('--act', default='relu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads or 1)
    torch.manual_seed(0)
    m = Model(a)
    decay = [p for p in m.parameters() if p.dim() == 2]
    no_decay = [p for p in m.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(0)

    def step():
        ids = torch.randint(0, 256, (a.batch, a.seq + 1), generator=g)
        loss = m(ids[:, :-1], ids[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        return loss.item()  # the project logs the loss every step, so it syncs too

    step(); step()
    steps = a.steps or 10
    secs, cpus = [], []  # per round; CPU time counts all the process's threads: steady where wall time is not
    for _ in range(a.rounds or 1):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        secs.append((time.perf_counter() - t0) / steps)
        cpus.append((time.process_time() - c0) / steps)
    sec, cpu = sorted(secs)[len(secs) // 2], sorted(cpus)[len(cpus) // 2]  # the median round, as bench/train-speed
    per_k = 1e6 / (a.batch * a.seq)
    print(json.dumps({'torch': torch.__version__, 'threads': a.threads or 1, 'step_s': sec, 'tokens_per_s': a.batch * a.seq / sec,
                      'cpu_ms_per_1k': cpu * per_k, 'cpu_ms_per_1k_min': min(cpus) * per_k}))


if __name__ == '__main__':
    main()
