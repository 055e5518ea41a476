#!/usr/bin/env python3
"""Writes tests/testdata/{simba,simba1,bro}_golden.bin: one critic step of SimBa (two critics,
and one critic as in the seed paper's Table 1) and of BRO, then one
actor + temperature step (and BRO's optimistic-actor and KL-weight step), computed by
PyTorch autograd in float64, independent of the C++ code, for tests/golden_baselines_test.cc.

Needs Debian's python3-torch and python3-numpy. CI does not run this: the fixtures are
committed. Regenerate with `python3 tools/golden_baselines.py`.

Format as tools/golden_crossq.py (magic b"CQGF", version 1, named float32 tensors). Parameter
layout follows crossq::nn::ResNet: in.w (H, in), in.b, [BRO: in_ln.g, in_ln.b], per block
SimBa: ln.g, ln.b, w1 (E, H), b1, w2 (H, E), b2 | BRO: w1, b1, ln1.g, ln1.b, w2, b2, ln2.g,
ln2.b; [SimBa: fin_ln.g, fin_ln.b], out.w (out, H), out.b.

The step (src/agents/residual_agent.cc): observations normalized with given running
statistics; a' ~ pi(.|s') (tanh Gaussian, noise given); targets on (s', a'); per quantile
Q = mean - pessimism |Q1 - Q2| / 2; y = r + gamma (1 - d) (Q - alpha log pi'); loss MSE (SimBa)
or quantile Huber (BRO) per critic, summed; AdamW on each critic; Polyak into each target.
"""
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

B, OBS, ACT = 32, 5, 2
GAMMA, TAU, BETAS, ADAM_EPS, LN_EPS = 0.99, 0.005, (0.9, 0.999), 1e-8, 1e-5
SETTINGS = {
    # case: trunk, critics, critic hidden, blocks, actor hidden, actor blocks, K, pessimism, lr,
    # decay, alpha
    "simba": dict(arch="simba", nc=2, ch=32, cb=2, ah=16, ab=1, K=1, pess=1.0, lr=1e-4, wd=1e-2, alpha=0.01),
    "simba1": dict(arch="simba", nc=1, ch=32, cb=2, ah=16, ab=1, K=1, pess=1.0, lr=1e-4, wd=1e-2, alpha=0.01),
    "bro": dict(arch="bro", nc=2, ch=32, cb=2, ah=16, ab=1, K=10, pess=0.0, lr=3e-4, wd=1e-4, alpha=1.0),
}
ACTOR_LR, TEMP_LR, TARGET_ENTROPY = 1e-4, 1e-4, -0.5
STD_MULT, OPTIMISM, KL_TARGET, KL_LR = 0.75, 1.0, 0.05, 3e-4
MARGIN = 3e-6  # smallest allowed |pre-activation| at a ReLU (float32 may flip closer to 0)
rng = None


def f32(x):
    return torch.tensor(np.asarray(x, dtype=np.float32).astype(np.float64))


class ResNet:
    def __init__(self, kind, n_in, h, blocks, n_out):
        self.kind, self.params, self.min_margin = kind, [], float("inf")

        def add(name, t):
            t = f32(t).requires_grad_(True)
            self.params.append((name, t))
            return t

        def lin(name, o, i, wname="w", bname="b"):
            bound = 1 / math.sqrt(i)
            return (add(f"{name}.{wname}", rng.uniform(-bound, bound, (o, i))),
                    add(f"{name}.{bname}", rng.uniform(-bound, bound, o)))

        def ln(name, c):
            return (add(name + ".g", rng.uniform(0.5, 1.5, c)), add(name + ".b", rng.uniform(-0.2, 0.2, c)))

        self.stem = lin("in", h, n_in)
        if kind == "bro":
            self.stem_ln = ln("in_ln", h)
        self.blocks = []
        for k in range(blocks):
            p = f"b{k}"
            if kind == "bro":
                w1 = lin(p, h, h, "w1", "b1")
                l1 = ln(p + ".ln1", h)
                w2 = lin(p, h, h, "w2", "b2")
                l2 = ln(p + ".ln2", h)
                self.blocks.append((w1, l1, w2, l2))
            else:
                l = ln(p + ".ln", h)
                w1 = lin(p, 4 * h, h, "w1", "b1")
                w2 = lin(p, h, 4 * h, "w2", "b2")
                self.blocks.append((l, w1, w2))
        if kind == "simba":
            self.fin = ln("fin_ln", h)
        self.out = lin("out", n_out, h)

    def relu(self, z):
        self.min_margin = min(self.min_margin, z.detach().abs().min().item())
        return torch.relu(z)

    def forward(self, x):
        ln = lambda v, p: torch.nn.functional.layer_norm(v, (v.shape[1],), p[0], p[1], LN_EPS)
        lin = lambda v, p: v @ p[0].T + p[1]
        h = lin(x, self.stem)
        if self.kind == "bro":
            h = self.relu(ln(h, self.stem_ln))
            for w1, l1, w2, l2 in self.blocks:
                h = h + ln(lin(self.relu(ln(lin(h, w1), l1)), w2), l2)
        else:
            for l, w1, w2 in self.blocks:
                h = h + lin(self.relu(lin(ln(h, l), w1)), w2)
            h = ln(h, self.fin)
        return lin(h, self.out)

    def tensors(self):
        return [t for _, t in self.params]

    def flat(self):
        return torch.cat([t.detach().reshape(-1) for t in self.tensors()])

    def flat_grad(self):
        return torch.cat([t.grad.detach().reshape(-1) for t in self.tensors()])


def tanh_gaussian(head, eps):
    mean, log_std = head[:, :ACT], torch.clamp(head[:, ACT:], -20, 2)
    u = mean + torch.exp(log_std) * eps
    logp = (-0.5 * eps ** 2 - log_std - 0.5 * math.log(2 * math.pi)
            - 2 * (math.log(2.0) - u - torch.nn.functional.softplus(-2 * u))).sum(1)
    return torch.tanh(u), logp


def quantile_huber(pred, target, kappa=1.0):
    """pred (B, K) at tau_k = (2k + 1) / 2K; target (B, K): mean_b sum_k mean_j rho(y_j - p_k)."""
    K = pred.shape[1]
    tau = (2 * torch.arange(K, dtype=torch.float64) + 1) / (2 * K)
    u = target[:, None, :] - pred[:, :, None]  # (B, k, j)
    h = torch.where(u.abs() <= kappa, 0.5 * u ** 2, kappa * (u.abs() - 0.5 * kappa))
    w = torch.abs(tau[None, :, None] - (u < 0).double())
    return (w * h / kappa).mean(2).sum(1).mean()


def build(case, seed):
    global rng
    s = SETTINGS[case]
    kind, nc = s["arch"], s["nc"]
    rng = np.random.default_rng(seed)
    out = {}
    critics = [ResNet(kind, OBS + ACT, s["ch"], s["cb"], s["K"]) for _ in range(nc)]
    targets = [ResNet(kind, OBS + ACT, s["ch"], s["cb"], s["K"]) for _ in range(nc)]
    actor = ResNet(kind, OBS, s["ah"], s["ab"], 2 * ACT)
    opt_actor = ResNet(kind, OBS, s["ah"], s["ab"], ACT) if kind == "bro" else None
    with torch.no_grad():
        for c, t in zip(critics, targets):  # targets start near, not equal to, their critics
            for (_, tc), (_, tt) in zip(c.params, t.params):
                tt.copy_(f32(tc + 0.01 * torch.tensor(rng.normal(0, 1, tc.shape))))
    obs = f32(rng.normal(1, 2, (B, OBS)))
    next_obs = f32(rng.normal(1, 2, (B, OBS)))
    act = f32(rng.uniform(-1, 1, (B, ACT)))
    reward = f32(rng.uniform(0, 1, B))
    terminated = f32((rng.uniform(0, 1, B) < 0.1).astype(np.float32))
    next_eps = f32(rng.normal(0, 1, (B, ACT)))
    norm_mean = f32(rng.normal(1, 0.5, OBS))
    norm_var = f32(rng.uniform(2, 6, OBS))
    log_alpha = f32([math.log(s["alpha"])])
    for k, v in dict(obs=obs, act=act, reward=reward, next_obs=next_obs, terminated=terminated,
                     next_eps=next_eps).items():
        out["batch." + k] = v
    out["norm.mean"], out["norm.var"], out["log_alpha"] = norm_mean, norm_var, log_alpha
    for i in range(nc):
        out[f"init.critic{i}"] = critics[i].flat()
        out[f"init.target{i}"] = targets[i].flat()
    out["init.actor"] = actor.flat()
    if opt_actor:
        out["init.opt_actor"] = opt_actor.flat()
    eps = f32(rng.normal(0, 1, (B, ACT)))
    eps_opt = f32(rng.normal(0, 1, (B, ACT)))
    out["batch.eps"], out["batch.eps_opt"] = eps, eps_opt

    norm = lambda o: (o - norm_mean) / torch.sqrt(norm_var + 1e-8)
    if kind == "bro":  # BRO runs without observation normalization
        norm = lambda o: o
    with torch.no_grad():
        a_next, logp_next = tanh_gaussian(actor.forward(norm(next_obs)), next_eps)
        xn = torch.cat([norm(next_obs), a_next], 1)
        zt = [t.forward(xn) for t in targets]
        q = zt[0] if nc == 1 else 0.5 * (zt[0] + zt[1]) - s["pess"] * 0.5 * (zt[0] - zt[1]).abs()
        y = reward[:, None] + GAMMA * (1 - terminated[:, None]) * (q - log_alpha.exp() * logp_next[:, None])
    x = torch.cat([norm(obs), act], 1)
    loss = 0
    for c in critics:
        z = c.forward(x)
        loss = loss + (((z - y) ** 2).mean() if s["K"] == 1 else quantile_huber(z, y))
    opts = [torch.optim.AdamW(c.tensors(), lr=s["lr"], betas=BETAS, eps=ADAM_EPS, weight_decay=s["wd"])
            for c in critics]
    for o in opts:
        o.zero_grad()
    loss.backward()
    out["y"] = y.reshape(-1)
    out["loss"] = torch.tensor([loss.item()])
    for i in range(nc):
        out[f"grad.critic{i}"] = critics[i].flat_grad()
    for o in opts:
        o.step()
    with torch.no_grad():
        for c, t in zip(critics, targets):
            for tc, tt in zip(c.tensors(), t.tensors()):
                tt.mul_(1 - TAU).add_(TAU * tc)
    for i in range(nc):
        out[f"after.critic{i}"] = critics[i].flat()
        out[f"after.target{i}"] = targets[i].flat()

    # actor and temperature step (critics as updated above): loss mean(alpha log pi - Q), Q the
    # per-critic quantile means combined with the pessimism; AdamW; temperature Adam
    for c in critics:
        for t in c.tensors():
            t.grad = None
    head = actor.forward(norm(obs))
    a, logp = tanh_gaussian(head, eps)
    x = torch.cat([norm(obs), a], 1)
    qs = [c.forward(x).mean(1) for c in critics]
    q = qs[0] if nc == 1 else 0.5 * (qs[0] + qs[1]) - s["pess"] * 0.5 * (qs[0] - qs[1]).abs()
    alpha = log_alpha.exp()
    actor_loss = (alpha * logp - q).mean()
    actor_opt = torch.optim.AdamW(actor.tensors(), lr=ACTOR_LR, betas=BETAS, eps=ADAM_EPS, weight_decay=s["wd"])
    actor_opt.zero_grad()
    actor_loss.backward()
    out["actor.loss"] = torch.tensor([actor_loss.item()])
    out["actor.grad"] = actor.flat_grad()
    actor_opt.step()
    la = log_alpha.clone().requires_grad_(True)
    temp_opt = torch.optim.Adam([la], lr=TEMP_LR, betas=BETAS, eps=ADAM_EPS)
    (-(la * (logp.detach() + TARGET_ENTROPY)).mean()).backward()
    temp_opt.step()
    out["after.actor"] = actor.flat()
    out["after.log_alpha"] = la.detach().clone()
    if opt_actor:
        # optimistic actor: N(mu_o, 0.75 sigma_c) with sigma_c from the pre-step actor head
        for c in critics:
            for t in c.tensors():
                t.grad = None
        ls_c = torch.clamp(head.detach()[:, ACT:], -20, 2)
        mu_c = head.detach()[:, :ACT]
        mu_o = opt_actor.forward(norm(obs))
        head_o = torch.cat([mu_o, ls_c + math.log(STD_MULT)], 1)
        a_o, _ = tanh_gaussian(head_o, eps_opt)
        x = torch.cat([norm(obs), a_o], 1)
        qs = [c.forward(x).mean(1) for c in critics]
        q_ub = 0.5 * (qs[0] + qs[1]) + OPTIMISM * 0.5 * (qs[0] - qs[1]).abs()
        var_c = torch.exp(2 * ls_c)
        kl = (-math.log(STD_MULT) + 0.5 * (STD_MULT ** 2 + (mu_o - mu_c) ** 2 / var_c) - 0.5).sum(1).mean()
        w_kl = 1.0
        opt_loss = (-q_ub).mean() + w_kl * kl
        opt_opt = torch.optim.AdamW(opt_actor.tensors(), lr=ACTOR_LR, betas=BETAS, eps=ADAM_EPS, weight_decay=s["wd"])
        opt_opt.zero_grad()
        opt_loss.backward()
        out["opt.kl"] = torch.tensor([kl.item()])
        out["opt.grad"] = opt_actor.flat_grad()
        opt_opt.step()
        out["after.opt_actor"] = opt_actor.flat()
        lw = torch.zeros(1, requires_grad=True)
        kl_opt = torch.optim.Adam([lw], lr=KL_LR, betas=BETAS, eps=ADAM_EPS)
        (-lw * (kl.detach() - KL_TARGET)).sum().backward()
        kl_opt.step()
        out["after.log_kl_weight"] = lw.detach().clone()
    nets = critics + targets + [actor] + ([opt_actor] if opt_actor else [])
    margin = min(n.min_margin for n in nets)
    return out, margin


def write(path, out):
    with open(path, "wb") as f:
        f.write(b"CQGF")
        f.write(struct.pack("<II", 1, len(out)))
        for name, t in out.items():
            arr = np.ascontiguousarray(t.detach().numpy(), dtype="<f4")
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", arr.ndim))
            f.write(struct.pack(f"<{arr.ndim}I", *arr.shape))
            f.write(arr.tobytes())


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "testdata")
    for kind in SETTINGS:
        seed = 20241125
        while True:
            out, margin = build(kind, seed)
            print(f"{kind} seed {seed}: smallest |pre-activation| {margin:.2e}, loss {out['loss'].item():.6f}")
            if margin > MARGIN:
                break
            seed += 1
        path = os.path.join(folder, f"{kind}_golden.bin")
        write(path, out)
        print(f"wrote {path}: {len(out)} tensors")


if __name__ == "__main__":
    main()
