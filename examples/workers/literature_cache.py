#!/usr/bin/env python3
"""CachedLiterature worker of examples/research_plan.flow.

Stands for: a local cache of literature-search results saved by earlier
runs, used when the live search service is slow or down.

What it does here: reads the cache file (`$LITERATURE_CACHE`, else
`workers/data/literature_cache.json` relative to the working directory,
which `flow run` makes the directory of the .flow file: a small sample
whose entries are illustrative, not real papers),
keeps the sources whose title or abstract contains at least one of the
keywords (case-insensitive), the most cited first, at most `--max N`
(default 50). A missing cache file is an empty cache, not an error.

Input (stdin): {"keywords": [string]}
Output (stdout): {"sources": [Source], "origin": "cache"}
"""

import json
import os
import sys

DEFAULT_CACHE = os.path.join("workers", "data", "literature_cache.json")


def main():
    args = sys.argv[1:]
    limit = 50
    if "--max" in args:
        try:
            limit = int(args[args.index("--max") + 1])
        except (IndexError, ValueError):
            print("literature_cache: --max needs a whole number", file=sys.stderr)
            return 2
    try:
        keywords = [k.lower() for k in json.load(sys.stdin)["keywords"]]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        print("literature_cache: the input is not {\"keywords\": [string]}: %s" % e, file=sys.stderr)
        return 1
    path = os.environ.get("LITERATURE_CACHE") or DEFAULT_CACHE
    try:
        with open(path, encoding="utf-8") as f:
            cached = json.load(f)
    except FileNotFoundError:
        cached = []
    except ValueError as e:
        print("literature_cache: %s is not valid JSON: %s" % (path, e), file=sys.stderr)
        return 1
    found = [
        s
        for s in cached
        if any(k in (s.get("title", "") + " " + s.get("abstract", "")).lower() for k in keywords)
    ]
    found.sort(key=lambda s: -(s.get("citations") or 0))
    json.dump({"sources": found[:limit], "origin": "cache"}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
