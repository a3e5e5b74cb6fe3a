"""Starts a grandchild (`sleep`), writes "<own pid> <grandchild pid>" to $1,
then sleeps. With `--ignore-term` it ignores SIGTERM first, and so does the
grandchild, which inherits that."""
import os
import signal
import subprocess
import sys
import time

if "--ignore-term" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen(["sleep", "1000"])
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {grandchild.pid}")
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(1000)
