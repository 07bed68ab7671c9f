"""PyTorch anchor for tensorlane's `bench ... --torch`: times PyTorch on request, one sample at a time.

The bench alternates its own samples with this process's, so that both sides are timed under the same host
conditions (on a shared machine the speed of a core changes from second to second; two runs a minute apart
compare states, not libraries). The workloads, their tensors and the timed calls are those of
../shared/bench/torch_anchor.py (the project's reference anchor), rebuilt here so that the bench needs
nothing outside the project at run time.

Protocol, one line each way (stdin commands, stdout answers):
  start-up                -> READY <torch version> <threads>     (or ERROR <why>, then exit)
  prepare <workload>      -> OK <ms of one call after warm-up>   (builds the tensors, warms up)
  sample <workload> <n>   -> MS <median ms per call>             (n calls, timed one by one)
  quit                    -> (exit)
Errors in a command answer ERROR <why> and the process goes on. Workloads: see WORKLOADS below.
Run: python3 torch_server.py THREADS (set OMP_NUM_THREADS and OPENBLAS_NUM_THREADS to THREADS as well).
"""
import re
import sys
import time


def reply(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # no torch: say why, the bench reports the anchor as unavailable
    reply("ERROR cannot import torch with %s: %s (Debian: apt-get install -y python3-torch)" % (sys.executable, e))
    sys.exit(0)

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(THREADS)

# name, N, C, H, W, F, k, stride, pad (torch_anchor.py's CONVS)
CONVS = {
    "LeNet-A": (64, 1, 28, 28, 20, 5, 1, 0),
    "LeNet-B": (64, 20, 12, 12, 50, 5, 1, 0),
    "AlexNet-conv1": (1, 3, 227, 227, 96, 11, 4, 0),
    "ResNet-3x3": (8, 64, 56, 56, 64, 3, 1, 1),
    "ResNet-1x1": (8, 256, 56, 56, 64, 1, 1, 0),
    "Deep-3x3": (8, 256, 14, 14, 256, 3, 1, 1),
}


def conv_call(name, backward):
    N, C, H, W, Fo, k, s, p = CONVS[name]
    Ho = (H + 2 * p - k) // s + 1
    Wo = (W + 2 * p - k) // s + 1
    x = torch.randn(N, C, H, W)
    w = torch.randn(Fo, C, k, k) * 0.1
    b = torch.randn(Fo)
    if not backward:
        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, b, stride=s, padding=p)
        return fwd
    xg, wg, bg = x.requires_grad_(True), w.requires_grad_(True), b.requires_grad_(True)
    gy = torch.randn(N, Fo, Ho, Wo)

    def fb():
        y = F.conv2d(xg, wg, bg, stride=s, padding=p)
        torch.autograd.grad(y, (xg, wg, bg), gy)
    return fb


def softmax_call(rows, cols):
    s = torch.randn(rows, cols)

    def f():
        with torch.no_grad():
            torch.softmax(s, dim=1)
    return f


def lstm_call(N, D, H):
    cell = nn.LSTMCell(D, H)
    xin = torch.randn(N, D); h = torch.randn(N, H); c = torch.randn(N, H)

    def f():
        with torch.no_grad():
            cell(xin, (h, c))
    return f


def batchnorm_call(N, C, H, W):
    xb = torch.randn(N, C, H, W)
    rm = torch.zeros(C); rv = torch.ones(C)
    gamma = torch.ones(C, requires_grad=True); beta = torch.zeros(C, requires_grad=True)
    xbg = xb.clone().requires_grad_(True)
    gyb = torch.randn_like(xb)

    def fb():
        y = F.batch_norm(xbg, rm, rv, gamma, beta, training=True)
        torch.autograd.grad(y, (xbg, gamma, beta), gyb)
    return fb


def maxpool_call(N, C, H, W):
    x = torch.randn(N, C, H, W)

    def f():
        with torch.no_grad():
            F.max_pool2d(x, 2, 2)
    return f


def train_call(name):
    if name == "LeNet-5":
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        shape = (1, 28, 28)
    else:
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(64 * 4, 128), nn.ReLU(), nn.Linear(128, 10))
        shape = (1, 8, 8)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, *shape)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=False)
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return step


# workload name (tensorlane's row: kernel + " " + shape) -> factory of the timed call
WORKLOADS = {
    "LeNet-5 step b64 1x28x28": lambda: train_call("LeNet-5"),
    "digits-CNN step b64 1x8x8": lambda: train_call("digits-CNN"),
}
# sized workloads: (pattern, factory of the timed call from the numbers in the name, description)
SIZED = [
    (re.compile(r"softmax fwd (\d+)x(\d+)"), softmax_call, "softmax fwd ROWSxCOLS"),
    (re.compile(r"LSTMCell fwd N(\d+) D(\d+) H(\d+)"), lstm_call, "LSTMCell fwd N<batch> D<input> H<hidden>"),
    (re.compile(r"batchnorm train fwd\+bwd (\d+)x(\d+)x(\d+)x(\d+)"), batchnorm_call, "batchnorm train fwd+bwd NxCxHxW"),
    (re.compile(r"maxpool2x2s2 fwd (\d+)x(\d+)x(\d+)x(\d+)"), maxpool_call, "maxpool2x2s2 fwd NxCxHxW"),
]
for _name in CONVS:
    WORKLOADS["conv2d fwd " + _name] = (lambda n: lambda: conv_call(n, False))(_name)
    WORKLOADS["conv2d fwd+bwd " + _name] = (lambda n: lambda: conv_call(n, True))(_name)

calls = {}


def factory(name):
    if name in WORKLOADS:
        return WORKLOADS[name]
    for pattern, make, _ in SIZED:
        m = pattern.fullmatch(name)
        if m:
            sizes = [int(v) for v in m.groups()]
            if min(sizes) < 1 or max(sizes) > 1 << 20:
                raise ValueError("sizes of '%s' must be in [1, 2^20]" % name)
            return lambda: make(*sizes)
    raise ValueError("unknown workload '%s' (known: %s, %s)" % (
        name, ", ".join(sorted(WORKLOADS)), ", ".join(d for _, _, d in SIZED)))


def prepare(name):
    make = factory(name)
    torch.manual_seed(0)
    fn = make()
    t_end = time.perf_counter() + 0.5  # warm-up: oneDNN primitives, allocator caches
    n = 0
    while n < 3 or time.perf_counter() < t_end:
        fn()
        n += 1
    t0 = time.perf_counter()
    fn()
    calls[name] = fn
    return (time.perf_counter() - t0) * 1e3


def sample(name, n):
    fn = calls.get(name)
    if fn is None:
        raise ValueError("workload '%s' was not prepared" % name)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    m = len(ts)
    return (ts[m // 2] if m % 2 else (ts[m // 2 - 1] + ts[m // 2]) / 2) * 1e3


reply("READY %s %d" % (torch.__version__.split("+")[0], THREADS))
for line in sys.stdin:
    cmd = line.strip()
    if not cmd:
        continue
    try:
        if cmd == "quit":
            break
        elif cmd.startswith("prepare "):
            reply("OK %.6f" % prepare(cmd[len("prepare "):]))
        elif cmd.startswith("sample "):
            name, _, n = cmd[len("sample "):].rpartition(" ")
            count = int(n)
            if count < 1:
                raise ValueError("sample count must be >= 1, got %d" % count)
            reply("MS %.6f" % sample(name, count))
        else:
            reply("ERROR unknown command '%s' (prepare, sample, quit)" % cmd)
    except Exception as e:
        reply("ERROR %s" % e)
