"""A program that will not stop on SIGTERM, for the fault tests.

It ignores SIGTERM, starts a child (`sleep`) that inherits that, and writes
"<own pid> <child pid>" to <dir>/pids.<attempt> and its FLOW_* variables as
JSON to <dir>/env.<attempt>. On an attempt after the first it first writes
to <dir>/before.<attempt> the pids of the attempt before that are still
alive ("none" when none are). Then, by the mode in $2:
- `hang`: sleeps until it is killed;
- `leave`: prints {"done": true} and exits 0, its child still running;
- `fail`: prints what went wrong on stdout only and exits 1, its child
  still running;
- `flaky`: exits 75 (try again) on the first attempt, else as `leave`;
- `misfit`: on the first attempt prints an output of the wrong type
  ({"done": "yes"}) and exits 0, its child still running; else as `leave`;
- `check`: starts nothing and records nothing of its own, but writes to
  <dir>/checked the pids of every `pids.*` file that are still alive
  ("none" when none are), then prints {"done": true}.
"""
import json
import os
import signal
import subprocess
import sys
import time

directory, mode = sys.argv[1], sys.argv[2]
attempt = int(os.environ.get("FLOW_ATTEMPT", "1"))
signal.signal(signal.SIGTERM, signal.SIG_IGN)


def alive(pid):
    """Whether `pid` runs: there and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def write(name, text):
    path = os.path.join(directory, name)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


if attempt > 1:
    try:
        with open(os.path.join(directory, f"pids.{attempt - 1}")) as f:
            before = [int(p) for p in f.read().split()]
        left = [str(p) for p in before if alive(p)]
        write(f"before.{attempt}", " ".join(left) or "none")
    except OSError:
        write(f"before.{attempt}", "no pids from the attempt before")

if mode == "check":
    recorded = []
    for name in os.listdir(directory):
        if name.startswith("pids.") and not name.endswith(".tmp"):
            with open(os.path.join(directory, name)) as f:
                recorded += [int(p) for p in f.read().split()]
    write("checked", " ".join(str(p) for p in recorded if alive(p)) or "none")
    print(json.dumps({"done": True}))
    sys.exit(0)

child = subprocess.Popen(["sleep", "1000"])
variables = {k: v for k, v in os.environ.items() if k.startswith("FLOW_")}
write(f"env.{attempt}", json.dumps(variables))
write(f"pids.{attempt}", f"{os.getpid()} {child.pid}")

if mode == "hang":
    while True:
        time.sleep(1000)
if mode == "fail":
    print("working on it")
    print("error: the model refused the prompt")
    sys.exit(1)
if mode == "flaky" and attempt == 1:
    sys.exit(75)
if mode == "misfit" and attempt == 1:
    print(json.dumps({"done": "yes"}))
    sys.exit(0)
print(json.dumps({"done": True}))
