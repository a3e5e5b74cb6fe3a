#!/usr/bin/env python3
"""LoadManuscript worker of examples/manuscript_analysis.flow.

Stands for: a document converter that splits a manuscript (docx, markdown or
plain text) into chapters.

What it does here: reads the file named by its argument (a `.docx` through
the standard library's zipfile and XML parser, anything else as UTF-8
text); takes `Title:`, `Author:` and `Genre:` lines before the first chapter
as metadata (else the title is the file name, and the author and genre
"unknown"); starts a chapter at every markdown heading (`#` or `##`) or line
beginning with `Chapter`. It exits with 75 (a transient failure, which the
workflow retries) while a lock file says the file is still being written
(`FILE.lock`, or LibreOffice's `.~lock.FILE#`), and with 1 when the file
cannot be read.

Input (stdin): {"path": string}   Arguments: the same path
Output (stdout): {"title", "author", "genre", "chapters": [{"number",
                  "title", "text"}], "word_count"}
"""

import json
import os
import re
import sys
import zipfile
from xml.etree import ElementTree

WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING = re.compile(r"^(#{1,2}\s+(?P<md>.+)|(?P<ch>chapter\b.*))$", re.IGNORECASE)
META = re.compile(r"^(title|author|genre):\s*(.+)$", re.IGNORECASE)


def docx_lines(path):
    with zipfile.ZipFile(path) as z:
        root = ElementTree.fromstring(z.read("word/document.xml"))
    for para in root.iter(WORD_NS + "p"):
        yield "".join(t.text or "" for t in para.iter(WORD_NS + "t"))


def main():
    if len(sys.argv) != 2:
        print("split_chapters: usage: split_chapters.py PATH", file=sys.stderr)
        return 2
    path = sys.argv[1]
    folder, name = os.path.split(path)
    if os.path.exists(path + ".lock") or os.path.exists(os.path.join(folder, ".~lock.%s#" % name)):
        print("split_chapters: %s is still being written; try again" % path, file=sys.stderr)
        return 75
    try:
        if path.lower().endswith(".docx"):
            lines = list(docx_lines(path))
        else:
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError, zipfile.BadZipFile, KeyError, ElementTree.ParseError) as e:
        print("split_chapters: cannot read %s: %s" % (path, e), file=sys.stderr)
        return 1

    meta = {"title": os.path.splitext(name)[0], "author": "unknown", "genre": "unknown"}
    chapters = []
    for line in lines:
        stripped = line.strip()
        heading = HEADING.match(stripped)
        if heading:
            title = (heading.group("md") or heading.group("ch")).strip()
            chapters.append({"number": len(chapters) + 1, "title": title, "text": []})
        elif chapters:
            chapters[-1]["text"].append(line.rstrip())
        else:
            found = META.match(stripped)
            if found:
                meta[found.group(1).lower()] = found.group(2).strip()
    for c in chapters:
        c["text"] = "\n".join(c["text"]).strip()
    words = sum(len(c["text"].split()) for c in chapters)
    json.dump(dict(meta, chapters=chapters, word_count=words), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
