#!/usr/bin/env python3
"""TestRunner worker of examples/build_website.flow.

Stands for: the generated site's test suite (a headless browser, a link
checker, an accessibility audit) run in a scratch directory.

What it does here: writes the build's files into a fresh temporary
directory and checks every HTML file with the standard library's HTML
parser: it declares a language, has a <title>, a <main> and exactly one
<h1>, every image has an `alt`, and every relative link points to a file of
the build. `--headless` is accepted for the real runner's sake and changes
nothing here.

Input (stdin): {"build": {"files": [{"path", "contents"}], "changelog"}}
Output (stdout): {"passed": int, "failed": int, "failures": [string]}
"""

import json
import os
import sys
import tempfile
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang = False
        self.counts = {}
        self.images_without_alt = 0
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "html" and attrs.get("lang"):
            self.lang = True
        if tag == "img" and not attrs.get("alt"):
            self.images_without_alt += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def check(root, name):
    """The failures of one HTML file, one line each."""
    with open(os.path.join(root, name), encoding="utf-8") as f:
        parser = Page()
        parser.feed(f.read())
    failures = []
    if not parser.lang:
        failures.append("%s: lang: the <html> element declares no language" % name)
    for tag in ("title", "main"):
        if parser.counts.get(tag, 0) == 0:
            failures.append("%s: structure: no <%s>" % (name, tag))
    if parser.counts.get("h1", 0) != 1:
        failures.append("%s: headings: expected one <h1>, found %d" % (name, parser.counts.get("h1", 0)))
    if parser.images_without_alt:
        failures.append("%s: a11y: %d images without alt text" % (name, parser.images_without_alt))
    for href in parser.links:
        if "://" in href or href.startswith(("#", "mailto:")):
            continue
        target = os.path.normpath(os.path.join(root, os.path.dirname(name), href.split("#")[0]))
        if not os.path.isfile(target):
            failures.append("%s: links: %s points to no file of the build" % (name, href))
    return failures


def main():
    try:
        files = json.load(sys.stdin)["build"]["files"]
    except (ValueError, KeyError, TypeError) as e:
        print("run_site_tests: the input is not a TestRunner input: %s" % e, file=sys.stderr)
        return 1
    passed, failures = 0, []
    with tempfile.TemporaryDirectory(prefix="site-tests-") as root:
        for f in files:
            path = os.path.normpath(f["path"]).lstrip("/")
            if path.startswith(".."):
                failures.append("%s: layout: the path leaves the site's directory" % f["path"])
                continue
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as out:
                out.write(f["contents"])
        html_files = sorted(
            os.path.normpath(f["path"]).lstrip("/") for f in files if f["path"].endswith(".html")
        )
        if not html_files:
            failures.append("site: the build has no HTML file")
        for name in html_files:
            if name.startswith(".."):
                continue
            found = check(root, name)
            if found:
                failures.extend(found)
            else:
                passed += 1
    failed_files = len({line.split(":")[0] for line in failures})
    json.dump({"passed": passed, "failed": failed_files, "failures": failures}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
