"""Reports what an exec worker receives: its stdin as read, the FLOW_*
variables, one variable of the worker's own `env`, and its working
directory."""
import json
import os
import sys

raw = sys.stdin.read()
json.dump(
    {
        "stdin": raw,
        "input": json.loads(raw),
        "env": {
            name: os.environ.get(name)
            for name in [
                "FLOW_RUN_ID",
                "FLOW_STEP",
                "FLOW_ATTEMPT",
                "FLOW_IDEMPOTENCY_KEY",
                "GREETING",
            ]
        },
        "inherited_path": "PATH" in os.environ,
        "cwd": os.getcwd(),
    },
    sys.stdout,
)
