#!/usr/bin/env python3
"""External output hook `clean_markdown` of examples/content_pipeline.flow.

Stands for: the publication's markdown normaliser, run on every draft before
the critic reads it.

What it does here, deterministically: puts one space after the `#` of a
heading, turns typographic quotes into straight ones, collapses runs of blank
lines, trims trailing spaces, and, with `--strip-tracking`, removes
tracking parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`, `mc_eid`) from the
URLs of links. The word count is computed again the way the workflow's
`count_words` transformer does: the body, trimmed, split on single spaces.

Input (stdin): {"d": {"headline", "body", "word_count"}}
Output (stdout): {"headline", "body", "word_count"}
"""

import json
import re
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_cid|mc_eid)$")
QUOTES = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}


def strip_tracking(url):
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def clean(body, tracking):
    for curly, straight in QUOTES.items():
        body = body.replace(curly, straight)
    lines = []
    for line in body.split("\n"):
        line = line.rstrip()
        line = re.sub(r"^(#{1,6})(?=[^#\s])", r"\1 ", line)
        lines.append(line)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    if tracking:
        body = re.sub(r"\]\(([^)\s]+)\)", lambda m: "](%s)" % strip_tracking(m.group(1)), body)
    return body


def main():
    tracking = "--strip-tracking" in sys.argv[1:]
    try:
        draft = json.load(sys.stdin)["d"]
        headline, body = draft["headline"], draft["body"]
    except (ValueError, KeyError, TypeError) as e:
        print("clean_markdown: the input is not {\"d\": Draft}: %s" % e, file=sys.stderr)
        return 1
    body = clean(body, tracking)
    headline = clean(headline, False).lstrip("# ").strip()
    out = {"headline": headline, "body": body, "word_count": len(body.strip().split(" "))}
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
