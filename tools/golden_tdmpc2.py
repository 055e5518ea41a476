#!/usr/bin/env python3
"""Writes tests/testdata/tdmpc2_golden.bin: three TD-MPC2 updates (world model + policy prior +
target Qs) and one MPPI planning call, computed by PyTorch autograd in float64, independent of
the C++ code, as the reference a C++ test checks the TD-MPC2 agent against.

Why: TD-MPC2 (Hansen et al., ICLR 2024) has many small pieces whose order matters (two-hot
soft cross entropy in symlog space, SimNorm, the rho-weighted latent rollout, the running
percentile scale, TD-MPC2's "scaled entropy", the MPPI loop with policy-prior trajectories).
One fixture pins them all. Facts (formulas, order of operations) follow the authors'
repository nicklashansen/tdmpc2 at commit e9f5932; the code here is written from scratch.
Sizes are tiny and several settings differ from TD-MPC2's defaults on purpose (see the
constants): a larger dropout, learning rate and tau, a model grad clip of 0.25, and non-zero
last layers of the reward and Q heads (the Q heads' three times larger), so every path has a
gradient: the model's grad norms (0.52, 0.48, 0.42) are clipped in all three updates, and the
Q spread p95 - p5 (6.8, 2.9, 1.8) is above 1, so the running scale moves.

Needs Debian's python3-torch and python3-numpy (`scripts/install-deps.sh tools`). CI does not
run this: the fixture is committed. Regenerate with `python3 tools/golden_tdmpc2.py [path]`.

Every input, initial parameter and noise tensor is drawn with numpy, rounded to float32 and
used as float64 (so the float32 C++ code starts from identical values); all randomness of the
update and of the planner is drawn here and stored, so the C++ side draws nothing.

Fixture format (version 1), little endian, as tools/golden_crossq.py:
  magic b"CQGF", uint32 version, uint32 count, then `count` records:
  uint32 name_len, name bytes, uint32 ndim, uint32 dims[ndim], float32 data[prod(dims)]
(computed in float64, stored rounded to float32; indices are stored as float32 values).

Parameter layout (the C++ one), per network prefix enc. dyn. rew. pi. q0..q4. tq0..tq4:
layer i has l{i}.w (out, in), l{i}.b (out) and, for a normed layer (Linear -> [Dropout] ->
LayerNorm -> activation), l{i}.ln.g, l{i}.ln.b (out). Inputs of dyn, rew and q are [z, a].
  enc: l0 normed OBS->ENC Mish, l1 normed ENC->LATENT SimNorm
  dyn: l0, l1 normed Mish, l2 normed ->LATENT SimNorm
  rew, q*: l0, l1 normed Mish (q: dropout after l0's Linear), l2 plain ->BINS
  pi: l0, l1 normed Mish, l2 plain ->2*ACT, rows [mean | raw log_std]
Tensors: init.<param> (every parameter of enc, dyn, rew, pi, q*; tq* start as copies of q*),
the batch (obs, action, reward), the noise (td.*, q.mask, pi.*), first-update results (loss.*,
td, zs, model/pi grad norms and whether clipping acted, scale.spread (p95 - p5 of q[0]), scale,
grad.<param> before clipping),
after1.<param> / after3.<param> (all networks incl. tq*, after 1 and 3 updates on the same
batch and noise), steps.* (per-update losses and norms), plan.* (inputs, noise and results of
one planning call with the initial parameters), cfg.* (the scalar settings), meta.seed.
"""
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

# sizes
OBS, ACT, B, H = 5, 2, 8, 3
ENC, LATENT, SIMNORM, MLP = 16, 32, 8, 32
NUM_Q, BINS, VMIN, VMAX = 5, 101, -10.0, 10.0
BIN_SIZE = (VMAX - VMIN) / (BINS - 1)
LN_EPS = 1e-5
# the update
DROPOUT, RHO, GAMMA = 0.1, 0.5, 0.99
CONSISTENCY_COEF, REWARD_COEF, VALUE_COEF, ENTROPY_COEF = 20.0, 0.1, 0.1, 1e-4
LOG_STD_MIN, LOG_STD_MAX = -10.0, 2.0
LR, ENC_LR_SCALE, BETAS = 3e-3, 0.3, (0.9, 0.999)
MODEL_ADAM_EPS, PI_ADAM_EPS = 1e-8, 1e-5
MODEL_CLIP, PI_CLIP = 0.25, 20.0
TAU = 0.1  # target-Q Polyak and the running scale's lerp (TD-MPC2 uses cfg.tau for both)
UPDATES = 3
LOG_SQRT_2PI = 0.9189385175704956
# the planner
S, P, E, ITERS = 64, 8, 16, 6
TEMPERATURE, MIN_STD, MAX_STD = 0.5, 0.05, 2.0

# the seed is advanced until float32 cannot reorder a discrete choice
TIE_MARGIN = 1e-4      # smallest gap among the top E+1 values and of the Gumbel choice
SQUASH_MARGIN = 1e-3   # smallest 1 - tanh(u)^2 in the policy updates (tanh saturates in float32)

NETS = ["enc", "dyn", "rew", "pi"] + [f"q{k}" for k in range(NUM_Q)]
MODEL_NETS = ["enc", "dyn", "rew"] + [f"q{k}" for k in range(NUM_Q)]
rng = None


def f32(x):
    """Rounds to float32 so the C++ side starts from exactly the same values."""
    return torch.tensor(np.asarray(x, dtype=np.float32).astype(np.float64))


def spec(net):
    """(input width, [(out width, activation or None for a plain Linear)]) of a network."""
    if net == "enc":
        return OBS, [(ENC, "mish"), (LATENT, "simnorm")]
    if net == "dyn":
        return LATENT + ACT, [(MLP, "mish"), (MLP, "mish"), (LATENT, "simnorm")]
    if net == "pi":
        return LATENT, [(MLP, "mish"), (MLP, "mish"), (2 * ACT, None)]
    return LATENT + ACT, [(MLP, "mish"), (MLP, "mish"), (BINS, None)]  # rew, q*


def draw_params():
    """Initial parameters in the C++ order; not TD-MPC2's init, chosen to exercise every path."""
    params = {}
    for net in NETS:
        fan, layers = spec(net)
        for i, (out, act) in enumerate(layers):
            last = i == len(layers) - 1
            gain = (3.0 if net.startswith("q") else 0.5) if last and (net == "rew" or net.startswith("q")) else 1.0
            params[f"{net}.l{i}.w"] = f32(gain * rng.normal(0, 1, (out, fan)) / math.sqrt(fan))
            params[f"{net}.l{i}.b"] = f32(0.1 * rng.normal(0, 1, out))
            if act is not None:
                params[f"{net}.l{i}.ln.g"] = f32(1 + 0.1 * rng.normal(0, 1, out))
                params[f"{net}.l{i}.ln.b"] = f32(0.1 * rng.normal(0, 1, out))
            fan = out
    return params


PARAM_NAMES = []  # filled by build() from the first draw


def mish(x):
    return x * torch.tanh(torch.nn.functional.softplus(x))


def simnorm(x):
    shape = x.shape
    return torch.softmax(x.reshape(*shape[:-1], -1, SIMNORM), -1).reshape(shape)


def layer_norm(x, g, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + LN_EPS) * g + b


def forward(params, net, x, mask=None, detach=False):
    """Runs network `net` (prefix in params) on x (..., in); mask: dropout of l0 (..., out)."""
    get = (lambda n: params[n].detach()) if detach else (lambda n: params[n])
    layers = spec(net[1:] if net.startswith("tq") else net)[1]
    for i, (_, act) in enumerate(layers):
        x = x @ get(f"{net}.l{i}.w").T + get(f"{net}.l{i}.b")
        if act is None:
            continue
        if i == 0 and mask is not None:
            x = x * mask
        x = layer_norm(x, get(f"{net}.l{i}.ln.g"), get(f"{net}.l{i}.ln.b"))
        x = mish(x) if act == "mish" else simnorm(x)
    return x


def symlog(x):
    return torch.sign(x) * torch.log1p(torch.abs(x))


def symexp(x):
    return torch.sign(x) * (torch.exp(torch.abs(x)) - 1)


BIN_CENTERS = torch.linspace(VMIN, VMAX, BINS)


def two_hot(y):
    """(...,) scalars -> (..., BINS) soft two-hot targets in symlog space."""
    x = torch.clamp(symlog(y), VMIN, VMAX)
    pos = (x - VMIN) / BIN_SIZE
    idx = torch.floor(pos)
    off = (pos - idx).unsqueeze(-1)
    idx = idx.long().unsqueeze(-1)
    t = torch.zeros(*y.shape, BINS)
    t = t.scatter(-1, idx, 1 - off)
    return t.scatter(-1, (idx + 1) % BINS, off)


def two_hot_inv(logits):
    return symexp((torch.softmax(logits, -1) * BIN_CENTERS).sum(-1))


def soft_ce(logits, y):
    return -(two_hot(y) * torch.log_softmax(logits, -1)).sum(-1)


def policy(head, eps):
    """Tanh-squashed Gaussian sample with the given noise; returns (action, logp, scaled
    entropy, min 1 - action^2) as TD-MPC2's world model computes them."""
    mean, raw = head[..., :ACT], head[..., ACT:]
    log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(raw) + 1)
    u = mean + eps * torch.exp(log_std)
    logp_g = (-0.5 * eps ** 2 - log_std).sum(-1) - LOG_SQRT_2PI * ACT
    a = torch.tanh(u)
    logp = logp_g - torch.log(torch.relu(1 - a ** 2) + 1e-6).sum(-1)
    scaled_entropy = -logp * (logp_g * ACT) / (logp + 1e-8)
    return a, logp, scaled_entropy, (1 - a.detach() ** 2).min().item()


def za(z, a):
    return torch.cat([z, a], -1)


def percentile(x, p):
    """TD-MPC2's percentile: position p (n-1) / 100, linear between floor and ceil."""
    s = torch.sort(x).values
    n = s.shape[0]
    pos = p * (n - 1) / 100
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    w = pos - lo
    return s[lo] * (1 - w) + s[hi] * w


def clip_(tensors, max_norm):
    """Global L2 norm of the gradients; scales them by max_norm / (norm + 1e-6) if above."""
    norm = torch.sqrt(sum((t.grad ** 2).sum() for t in tensors)).item()
    clipped = norm > max_norm
    if clipped:
        for t in tensors:
            t.grad.mul_(max_norm / (norm + 1e-6))
    return norm, clipped


def update(params, targets, scale, batch, noise, model_opt, pi_opt):
    """One TD-MPC2 update in the agent's order; mutates params, targets; returns (info, scale)."""
    obs, action, reward = batch["obs"], batch["action"], batch["reward"]
    info = {}
    # 1. TD target (eval mode: no dropout; target Qs)
    with torch.no_grad():
        next_z = forward(params, "enc", obs[1:])
        a_next = policy(forward(params, "pi", next_z), noise["td.eps"])[0]
        k0, k1 = (int(k) for k in noise["td.qpair"])
        q0 = two_hot_inv(forward(targets, f"tq{k0}", za(next_z, a_next)))
        q1 = two_hot_inv(forward(targets, f"tq{k1}", za(next_z, a_next)))
        td = reward + GAMMA * torch.min(q0, q1)
    # 2. latent rollout (train mode)
    z = forward(params, "enc", obs[0])
    zs = [z]
    consistency = 0
    for t in range(H):
        z = forward(params, "dyn", za(z, action[t]))
        consistency = consistency + RHO ** t * ((z - next_z[t]) ** 2).mean()
        zs.append(z)
    zs = torch.stack(zs)
    # 3. predictions and losses; Q dropout masks are rows t * B + b
    x = za(zs[:-1], action)
    rew_pred = forward(params, "rew", x)
    qs = [forward(params, f"q{k}", x, mask=noise["q.mask"][k].reshape(H, B, MLP))
          for k in range(NUM_Q)]
    reward_loss, value_loss = 0, 0
    for t in range(H):
        reward_loss = reward_loss + RHO ** t * soft_ce(rew_pred[t], reward[t]).mean()
        for k in range(NUM_Q):
            value_loss = value_loss + RHO ** t * soft_ce(qs[k][t], td[t]).mean()
    consistency = consistency / H
    reward_loss = reward_loss / H
    value_loss = value_loss / (H * NUM_Q)
    total = CONSISTENCY_COEF * consistency + REWARD_COEF * reward_loss + VALUE_COEF * value_loss
    # 4. model step
    model_opt.zero_grad()
    total.backward()
    model_params = [params[n] for n in PARAM_NAMES if not n.startswith("pi.")]
    grads = {n: params[n].grad.detach().clone() for n in PARAM_NAMES if not n.startswith("pi.")}
    info["model.grad_norm"], info["model.clipped"] = clip_(model_params, MODEL_CLIP)
    model_opt.step()
    model_opt.zero_grad()
    # 5. policy step on the detached rollout; the updated Qs are constants (train mode: dropout)
    zd = zs.detach()
    a, logp, scaled_entropy, squash_min = policy(forward(params, "pi", zd), noise["pi.eps"])
    qa, qb = (int(k) for k in noise["pi.qpair"])
    masks = noise["pi.mask"].reshape(2, H + 1, B, MLP)
    q = (two_hot_inv(forward(params, f"q{qa}", za(zd, a), mask=masks[0], detach=True)) +
         two_hot_inv(forward(params, f"q{qb}", za(zd, a), mask=masks[1], detach=True))) / 2
    q0d = q[0].detach()
    info["scale.spread"] = (percentile(q0d, 95) - percentile(q0d, 5)).item()
    value = max(info["scale.spread"], 1.0)
    scale = scale + TAU * (value - scale)
    q = q / scale
    rho = torch.tensor([RHO ** t for t in range(H + 1)])
    pi_loss = ((-(ENTROPY_COEF * scaled_entropy + q)).mean(1) * rho).mean()
    pi_opt.zero_grad()
    pi_loss.backward()
    pi_params = [params[n] for n in PARAM_NAMES if n.startswith("pi.")]
    grads.update({n: params[n].grad.detach().clone() for n in PARAM_NAMES if n.startswith("pi.")})
    info["pi.grad_norm"], info["pi.clipped"] = clip_(pi_params, PI_CLIP)
    pi_opt.step()
    pi_opt.zero_grad()
    # 6. Polyak into the target Qs
    with torch.no_grad():
        for n, t in targets.items():
            t.add_(TAU * (params[n[1:]] - t))
    info.update({"loss.consistency": consistency.item(), "loss.reward": reward_loss.item(),
                 "loss.value": value_loss.item(), "loss.total": total.item(),
                 "loss.pi": pi_loss.item(), "td": td, "zs": zd, "grads": grads,
                 "squash_min": squash_min, "logp_min": logp.detach().abs().min().item()})
    return info, scale


def plan(params, obs, prev_mean, noise):
    """One MPPI call with eval-mode networks (no dropout); returns outputs and the smallest
    gap that decides a discrete choice (elite order, Gumbel argmax)."""
    out, gap = {}, float("inf")
    with torch.no_grad():
        z0 = forward(params, "enc", obs[None])
        pi_actions = torch.zeros(H, P, ACT)
        z = z0.repeat(P, 1)
        for t in range(H):
            pi_actions[t] = policy(forward(params, "pi", z), noise["plan.pi_traj_eps"][t])[0]
            if t < H - 1:
                z = forward(params, "dyn", za(z, pi_actions[t]))
        mean = torch.zeros(H, ACT)
        mean[:-1] = prev_mean[1:]
        std = torch.full((H, ACT), MAX_STD)
        actions = torch.zeros(H, S, ACT)
        actions[:, :P] = pi_actions
        values, elites, means, stds = [], [], [], []
        for it in range(ITERS):
            actions[:, P:] = torch.clamp(mean[:, None] + std[:, None] * noise["plan.r"][it], -1, 1)
            z = z0.repeat(S, 1)
            G, discount = torch.zeros(S), 1.0
            for t in range(H):
                G = G + discount * two_hot_inv(forward(params, "rew", za(z, actions[t])))
                z = forward(params, "dyn", za(z, actions[t]))
                discount *= GAMMA
            a_h = policy(forward(params, "pi", z), noise["plan.value_eps"][it])[0]
            qv = sum(two_hot_inv(forward(params, f"q{int(k)}", za(z, a_h)))
                     for k in noise["plan.value_qpair"][it]) / 2
            value = torch.nan_to_num(G + discount * qv, nan=0.0)
            top = torch.topk(value, E + 1).values
            gap = min(gap, (top[:-1] - top[1:]).min().item())
            idx = torch.topk(value, E).indices
            ev, ea = value[idx], actions[:, idx]
            score = torch.exp(TEMPERATURE * (ev - ev.max()))
            score = score / score.sum()
            mean = (score[None, :, None] * ea).sum(1) / (score.sum() + 1e-9)
            std = torch.sqrt((score[None, :, None] * (ea - mean[:, None]) ** 2).sum(1)
                             / (score.sum() + 1e-9)).clamp(MIN_STD, MAX_STD)
            values.append(value)
            elites.append(idx.double())
            means.append(mean.clone())
            stds.append(std.clone())
        g = torch.log(score) + noise["plan.gumbel"]
        top2 = torch.topk(g, 2).values
        gap = min(gap, (top2[0] - top2[1]).item())
        choice = int(torch.argmax(g))
        elite_a0 = ea[0, choice]
        out["plan.values"] = torch.stack(values)
        out["plan.elites"] = torch.stack(elites)
        out["plan.means"] = torch.stack(means)
        out["plan.stds"] = torch.stack(stds)
        out["plan.choice"] = torch.tensor([float(choice)])
        out["plan.action"] = torch.clamp(elite_a0 + std[0] * noise["plan.noise"], -1, 1)
        out["plan.mean_action"] = mean[0].clone()
        out["plan.elite_action"] = torch.clamp(elite_a0, -1, 1)  # TD-MPC2's eval_mode action
        out["plan.new_prev_mean"] = mean.clone()
    return out, gap


def qpair():
    return f32(rng.permutation(NUM_Q)[:2])


def mask(*shape):
    return f32((rng.uniform(0, 1, shape) >= DROPOUT) / (1 - DROPOUT))


def build(seed):
    global rng
    rng = np.random.default_rng(seed)
    init = draw_params()
    PARAM_NAMES[:] = list(init)
    out = {}
    for n, t in init.items():
        out["init." + n] = t.clone()
    batch = {"obs": f32(rng.normal(0, 1, (H + 1, B, OBS))),
             "action": f32(rng.uniform(-1, 1, (H, B, ACT))),
             "reward": f32(rng.uniform(-2, 6, (H, B)))}
    noise = {"td.eps": f32(rng.normal(0, 1, (H, B, ACT))),
             "td.qpair": qpair(),
             "q.mask": mask(NUM_Q, H * B, MLP),
             "pi.eps": f32(rng.normal(0, 1, (H + 1, B, ACT))),
             "pi.qpair": qpair(),
             "pi.mask": mask(2, (H + 1) * B, MLP)}
    plan_in = {"plan.obs": f32(rng.normal(0, 1, OBS)),
               "plan.prev_mean": f32(rng.uniform(-0.5, 0.5, (H, ACT)))}
    plan_noise = {"plan.pi_traj_eps": f32(rng.normal(0, 1, (H, P, ACT))),
                  "plan.r": f32(rng.normal(0, 1, (ITERS, H, S - P, ACT))),
                  "plan.value_eps": f32(rng.normal(0, 1, (ITERS, S, ACT))),
                  "plan.value_qpair": torch.stack([qpair() for _ in range(ITERS)]),
                  "plan.gumbel": f32(rng.gumbel(0, 1, E)),
                  "plan.noise": f32(rng.normal(0, 1, ACT))}
    out.update(batch)
    out.update(noise)
    out.update(plan_in)
    out.update(plan_noise)

    # the planner first, with the initial parameters
    plan_out, gap = plan(init, plan_in["plan.obs"], plan_in["plan.prev_mean"], plan_noise)
    out.update(plan_out)

    params = {n: t.clone().requires_grad_(True) for n, t in init.items()}
    targets = {"t" + n: t.clone() for n, t in init.items() if n.startswith("q")}
    lr_of = lambda n: LR * ENC_LR_SCALE if n.startswith("enc.") else LR
    model_opt = torch.optim.Adam(
        [{"params": [params[n]], "lr": lr_of(n)} for n in PARAM_NAMES if not n.startswith("pi.")],
        lr=LR, betas=BETAS, eps=MODEL_ADAM_EPS)
    pi_opt = torch.optim.Adam([params[n] for n in PARAM_NAMES if n.startswith("pi.")],
                              lr=LR, betas=BETAS, eps=PI_ADAM_EPS)
    scale = 1.0
    steps = {k: [] for k in ["loss.consistency", "loss.reward", "loss.value", "loss.total",
                             "loss.pi", "model.grad_norm", "model.clipped", "pi.grad_norm",
                             "pi.clipped", "scale.spread", "scale"]}
    squash_min, logp_min = float("inf"), float("inf")
    for step in range(UPDATES):
        info, scale = update(params, targets, scale, batch, noise, model_opt, pi_opt)
        info["scale"] = scale
        squash_min = min(squash_min, info["squash_min"])
        logp_min = min(logp_min, info["logp_min"])
        for k in steps:
            steps[k].append(float(info[k]))
        if step == 0:
            for k in steps:
                out[k] = torch.tensor([float(info[k])])
            out["td"] = info["td"]
            out["zs"] = info["zs"]
            for n, g in info["grads"].items():
                out["grad." + n] = g
        if step in (0, UPDATES - 1):
            tag = "after1." if step == 0 else f"after{UPDATES}."
            for n in PARAM_NAMES:
                out[tag + n] = params[n].detach().clone()
            for n, t in targets.items():
                out[tag + n] = t.clone()
    out[f"after{UPDATES}.scale"] = torch.tensor([scale])
    for k, v in steps.items():
        out["steps." + k] = torch.tensor(v)

    cfg = dict(obs=OBS, act=ACT, batch=B, horizon=H, enc=ENC, latent=LATENT, simnorm=SIMNORM,
               mlp=MLP, num_q=NUM_Q, bins=BINS, vmin=VMIN, vmax=VMAX, bin_size=BIN_SIZE,
               ln_eps=LN_EPS, dropout=DROPOUT, rho=RHO, gamma=GAMMA,
               consistency_coef=CONSISTENCY_COEF, reward_coef=REWARD_COEF,
               value_coef=VALUE_COEF, entropy_coef=ENTROPY_COEF, log_std_min=LOG_STD_MIN,
               log_std_max=LOG_STD_MAX, lr=LR, enc_lr_scale=ENC_LR_SCALE, beta1=BETAS[0],
               beta2=BETAS[1], model_adam_eps=MODEL_ADAM_EPS, pi_adam_eps=PI_ADAM_EPS,
               model_clip=MODEL_CLIP, pi_clip=PI_CLIP, tau=TAU, updates=UPDATES,
               scale_init=1.0, plan_samples=S, plan_pi_trajs=P, plan_elites=E,
               plan_iters=ITERS, plan_temperature=TEMPERATURE, plan_min_std=MIN_STD,
               plan_max_std=MAX_STD)
    for k, v in cfg.items():
        out["cfg." + k] = torch.tensor([float(v)])
    out["meta.seed"] = torch.tensor([float(seed)])
    return out, gap, squash_min, logp_min


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
    torch.set_num_threads(1)
    seed = 20241125
    while True:
        out, gap, squash_min, logp_min = build(seed)
        print(f"seed {seed}: smallest decision gap {gap:.2e}, smallest 1 - tanh(u)^2 "
              f"{squash_min:.2e}, smallest |logp| {logp_min:.2e}")
        if gap > TIE_MARGIN and squash_min > SQUASH_MARGIN and logp_min > 1e-3:
            break
        seed += 1
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "tests", "testdata", "tdmpc2_golden.bin")
    write(path, out)
    for k in ["loss.consistency", "loss.reward", "loss.value", "loss.total", "loss.pi",
              "model.grad_norm", "model.clipped", "pi.grad_norm", "pi.clipped", "scale.spread",
              "scale"]:
        print(f"  {k}: {['%.6f' % v for v in out['steps.' + k].tolist()]}")
    print(f"wrote {path}: {len(out)} tensors, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
