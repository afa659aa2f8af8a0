#!/usr/bin/env python3
"""Per-step training time of the truck backer-upper controller in PyTorch (CPU), for the
side-by-side comparison with Kestrel's dfdx pipeline (`kestrel train truck --bench-steps N`).

The step is the same as Kestrel's `PolicyTrainer::step` with the truck models of
sims/src/train/truck_models.rs:
  * emulator (frozen): features sin/cos of theta0, theta1, theta0-theta1 (standardised),
    first layer W_f f + W_u u_n + b, tanh 45, tanh 45, linear 4 (the normalised state change),
    next = x + sigma_d * out + mu_d;
  * controller: features x, y, sin/cos theta0, theta1, theta0-theta1 (standardised),
    tanh H, tanh H, tanh 1, times 45 degrees (H = --hidden, 64 as CONTROLLER_HIDDEN);
  * batch 64 starts, unrolled for exactly `--unroll` steps (no episode end, as the Rust bench);
  * loss: mean over the batch of |rear|^2 + 10 (2 - 2 cos theta1) at the end, plus
    100 max(0, cos 80deg - cos(theta0 - theta1))^2 plus the arena hinges
    max(0, |front y| - 9)^2, max(0, front x - 39)^2, max(0, |rear y| - 9)^2 at every step;
  * backward through every step, global gradient-norm clip 1.0, one Adam step (lr 1e-3)
    on the controller only.
Weights are random (only the timing matters); float32, as dfdx.

Usage: /work/venvs/torch/bin/python tools/compare/torch_truck.py [--steps 30] [--unroll 200]
       [--threads 1] [--hidden 64]
"""
import argparse
import math
import statistics
import time

import torch


class Features(torch.nn.Module):
    """f = (g(x A^T + b) - mu) / sigma, g = sin on the periodic rows."""

    def __init__(self, rows, offsets, periodic):
        super().__init__()
        self.register_buffer("at", torch.tensor(rows, dtype=torch.float32).T.contiguous())
        self.register_buffer("b", torch.tensor(offsets, dtype=torch.float32))
        p = torch.tensor(periodic, dtype=torch.float32)
        # standardisation folded in as in Kestrel: sin(z) w_sin + z w_lin + c
        self.register_buffer("w_sin", p * 1.3)
        self.register_buffer("w_lin", (1 - p) * 0.1)
        self.register_buffer("c", torch.full((len(offsets),), -0.05))

    def forward(self, x):
        z = x @ self.at + self.b
        return torch.sin(z) * self.w_sin + z * self.w_lin + self.c


ANGLES = [[0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, -1], [0, 0, 1, -1]]
ANGLE_OFFSETS = [0, math.pi / 2, 0, math.pi / 2, 0, math.pi / 2]


class Emulator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = Features(ANGLES, ANGLE_OFFSETS, [1] * 6)
        self.f_in = torch.nn.Linear(6, 45)
        self.u_in = torch.nn.Linear(1, 45, bias=False)
        self.h = torch.nn.Linear(45, 45)
        self.out = torch.nn.Linear(45, 4)
        self.register_buffer("u_w", torch.tensor([1.7]))
        self.register_buffer("u_c", torch.tensor([0.0]))
        self.register_buffer("d_std", torch.tensor([0.07, 0.07, 0.06, 0.02]))
        self.register_buffer("d_mean", torch.tensor([0.0, 0.0, 0.0, 0.0]))

    def delta(self, x, u):
        a = torch.tanh(self.f_in(self.features(x)) + self.u_in(u * self.u_w + self.u_c))
        return self.out(torch.tanh(self.h(a))) * self.d_std + self.d_mean


class Controller(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        rows = [[1, 0, 0, 0], [0, 1, 0, 0]] + ANGLES
        self.features = Features(rows, [0, 0] + ANGLE_OFFSETS, [0, 0] + [1] * 6)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(8, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, 1), torch.nn.Tanh(),
        )

    def forward(self, x):
        return self.net(self.features(x)) * (math.pi / 4)


def training_step(emulator, controller, opt, starts, unroll):
    x = starts
    stage = x.new_zeros(())
    c80 = math.cos(math.radians(80))
    for _ in range(unroll):
        hitch_cos = torch.cos(x[:, 2] - x[:, 3])
        front_x = x[:, 0] + 1.5 * torch.cos(x[:, 2])
        front_y = x[:, 1] + 1.5 * torch.sin(x[:, 2])
        rear_y = x[:, 1] - 4 * torch.sin(x[:, 3])
        arena = (torch.relu(front_y - 9) ** 2 + torch.relu(-9 - front_y) ** 2
                 + torch.relu(front_x - 39) ** 2
                 + torch.relu(rear_y - 9) ** 2 + torch.relu(-9 - rear_y) ** 2)
        stage = stage + (100.0 * torch.relu(c80 - hitch_cos) ** 2 + 1.0 * arena).sum()
        u = controller(x)
        x = x + emulator.delta(x, u)
    rear_x = x[:, 0] - 4 * torch.cos(x[:, 3])
    rear_y = x[:, 1] - 4 * torch.sin(x[:, 3])
    terminal = (rear_x ** 2 + rear_y ** 2 + 10 * ((torch.cos(x[:, 3]) - 1) ** 2 + torch.sin(x[:, 3]) ** 2)).sum()
    loss = (terminal + stage) / x.shape[0]
    opt.zero_grad(set_to_none=False)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(controller.parameters(), 1.0)
    opt.step()
    return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--unroll", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=64, help="controller hidden units per layer")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    emulator = Emulator()
    for p in emulator.parameters():
        p.requires_grad_(False)  # frozen, as in Kestrel (dfdx still computes its weight gradients)
    controller = Controller(args.hidden)
    opt = torch.optim.Adam(controller.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(2)
    theta1 = (torch.rand(args.batch, generator=g) - 0.5) * math.pi
    hitch = (torch.rand(args.batch, generator=g) - 0.5) * (math.pi / 2)
    starts = torch.stack([
        10 + 25 * torch.rand(args.batch, generator=g),
        16 * (torch.rand(args.batch, generator=g) - 0.5),
        theta1 + hitch,
        theta1,
    ], dim=1)
    training_step(emulator, controller, opt, starts, args.unroll)  # warm-up
    times = []
    for _ in range(args.steps):
        t = time.perf_counter()
        training_step(emulator, controller, opt, starts, args.unroll)
        times.append(1e3 * (time.perf_counter() - t))
    print(
        f"torch {torch.__version__} ({args.threads} thread(s)): BPTT training step, batch {args.batch} x unroll "
        f"{args.unroll} (controller 8-{args.hidden}-{args.hidden}-1), {args.steps} steps: median "
        f"{statistics.median(times):.2f} ms, mean {statistics.mean(times):.2f} ms, min {min(times):.2f} ms"
    )


if __name__ == "__main__":
    main()
