#!/usr/bin/env python3
"""Coder worker of examples/build_website.flow.

Stands for: an AI coding agent that turns a website specification into source
files and revises them after test failures and review comments.

What it does here: writes a small static site from the specification,
deterministically (the same input always gives the same files): an index page
linking to every page of the specification, and one HTML page per spec page
with a heading and one section per listed section. The house constraints
(from the workflow's `before` hook) are written into each page as a comment.
A revision lists the review comments and test failures it answered in the
changelog and in a `CHANGES.md` file.

Input (stdin): {"spec": Spec, "test_failures": [string],
                "review_comments": [string], "previous": Build | null}
Output (stdout): {"files": [{"path", "contents"}], "changelog": string}
"""

import html
import json
import re
import sys


def slug(text):
    """The file name of a URL path: `/pricing` -> `pricing.html`."""
    name = re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
    return (name or "index") + ".html"


def page(title, heading, purpose, sections, constraints, nav):
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<title>%s</title>" % html.escape(title),
        "<!-- constraints: %s -->" % html.escape("; ".join(constraints)),
        "</head>",
        "<body>",
        "<nav>%s</nav>" % nav,
        "<main>",
        "<h1>%s</h1>" % html.escape(heading),
        "<p>%s</p>" % html.escape(purpose),
    ]
    for section in sections:
        parts.append("<section><h2>%s</h2></section>" % html.escape(section))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def main():
    try:
        data = json.load(sys.stdin)
        spec = data["spec"]
        pages = spec["pages"]
    except (ValueError, KeyError, TypeError) as e:
        print("coder: the input is not a Coder input: %s" % e, file=sys.stderr)
        return 1
    title = spec.get("title", "Untitled")
    constraints = spec.get("constraints") or []
    files = {}
    links = []
    for p in pages:
        name = slug(p.get("path", ""))
        if name == "index.html":
            name = "home.html"
        links.append((name, p.get("path", name)))
    nav = " ".join(
        '<a href="%s">%s</a>' % (html.escape(n), html.escape(label)) for n, label in links
    )
    files["index.html"] = page(
        title, title, "For %s." % spec.get("audience", "everyone"), [], constraints, nav
    )
    for p, (name, _) in zip(pages, links):
        files[name] = page(
            "%s: %s" % (title, p.get("path", "")),
            p.get("path", name),
            p.get("purpose", ""),
            p.get("sections", []),
            constraints,
            nav,
        )

    failures = data.get("test_failures") or []
    comments = data.get("review_comments") or []
    previous = data.get("previous")
    if previous is None:
        changelog = "first build: %d pages from the specification" % len(pages)
    else:
        changelog = "revision: answered %d review comments and %d test failures" % (
            len(comments),
            len(failures),
        )
        notes = ["# Changes", ""] + ["- review: %s" % c for c in comments]
        notes += ["- test: %s" % f for f in failures]
        files["CHANGES.md"] = "\n".join(notes) + "\n"

    out = {
        "files": [{"path": k, "contents": files[k]} for k in sorted(files)],
        "changelog": changelog,
    }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
