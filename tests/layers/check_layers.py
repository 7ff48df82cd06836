#!/usr/bin/env python3
"""Checks that includes between gantry's areas point only down the layer map.

The map is the table between the `layer-map` markers in docs/architecture.md (one row per area,
bottom layer first), so the document and the check cannot drift apart. For every file under
include/gantry/ and src/, each `#include <gantry/AREA/...>` must name the file's own area or an
area on a lower layer. Top-level headers (gantry/config.h, gantry/error.h, ...) form the
`vocabulary` area at the bottom; src/main.cc is the `program`, above everything.

Reports, and exits 1 on, any of:
  * an upward include (an area including one above it);
  * a mutual include (two areas including each other; implied by the first, named on its own
    because it is the worse defect);
  * an area directory that the map does not list, or an area the map lists twice.

Usage: check_layers.py [SOURCE_DIR]   (default: the repository holding this script)
       check_layers.py --self-test      (the check itself, on scratch trees)
"""

import os
import re
import sys
from collections import defaultdict

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]gantry/([^>"]+)[>"]')
MAP_BEGIN = "<!-- layer-map:begin -->"
MAP_END = "<!-- layer-map:end -->"


def read_layer_map(doc_path):
    """Returns {area: layer} from the table rows `| layer | area | ... |` between the markers."""
    text = open(doc_path, encoding="utf-8").read()
    if MAP_BEGIN not in text or MAP_END not in text:
        raise SystemExit(f"{doc_path}: no {MAP_BEGIN} ... {MAP_END} table")
    table = text.split(MAP_BEGIN, 1)[1].split(MAP_END, 1)[0]
    layers, problems = {}, []
    for line in table.splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].isdigit():
            continue  # header or separator row
        layer, area = int(cells[0]), cells[1]
        if area in layers:
            problems.append(f"{doc_path}: area {area} is listed twice in the layer map")
        layers[area] = layer
    return layers, problems


def area_of_include(target):
    parts = target.split("/")
    return parts[0] if len(parts) > 1 else "vocabulary"


def area_of_file(base, relative):
    parts = relative.split(os.sep)
    if len(parts) > 1:
        return parts[0]
    if base == "src" and relative == "main.cc":
        return "program"
    return "vocabulary"  # gantry/config.h, src/error.cc, ...


def collect_edges(root):
    """Returns {(from_area, to_area): [(file, line_number, target), ...]} and the areas seen."""
    edges, areas = defaultdict(list), set()
    for base, prefix in (("include/gantry", "include"), ("src", "src")):
        top = os.path.join(root, base)
        for directory, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, top)
                area = area_of_file(prefix, relative)
                areas.add(area)
                with open(path, encoding="utf-8", errors="replace") as source:
                    for number, line in enumerate(source, 1):
                        match = INCLUDE.match(line)
                        if match:
                            target_area = area_of_include(match.group(1))
                            if target_area != area:
                                shown = os.path.relpath(path, root)
                                edges[(area, target_area)].append((shown, number, match.group(1)))
    return edges, areas


def check(root):
    doc = os.path.join(root, "docs", "architecture.md")
    layers, problems = read_layer_map(doc)
    edges, areas = collect_edges(root)
    for area in sorted(areas - layers.keys()):
        problems.append(f"area {area} has no row in the layer map of docs/architecture.md")
    for (source, target), sites in sorted(edges.items()):
        if source not in layers or target not in layers:
            if target not in layers:
                problems.append(f"{sites[0][0]}:{sites[0][1]}: includes gantry/{sites[0][2]}, "
                                f"whose area {target} has no row in the layer map")
            continue
        if (target, source) in edges and source < target:
            problems.append(f"mutual include: {source} <-> {target}")
        if layers[target] > layers[source]:
            for path, number, include in sites:
                problems.append(f"{path}:{number}: upward include: {source} (layer "
                                f"{layers[source]}) includes gantry/{include} ({target}, layer "
                                f"{layers[target]})")
    if problems:
        print("\n".join(problems))
        print(f"layer check: {len(problems)} problem(s)")
        return 1
    print(f"layer check: {len(areas)} areas, {len(edges)} include edges between areas, all "
          f"pointing down")
    return 0


def self_test():
    """Runs check() on scratch trees: a clean one passes, each kind of defect fails."""
    import contextlib
    import io
    import tempfile

    doc = "\n".join([MAP_BEGIN, "| layer | area |", "|---|---|", "| 0 | `vocabulary` |",
                      "| 1 | `low` |", "| 2 | `high` |", MAP_END, ""])

    def run(files):
        with tempfile.TemporaryDirectory() as root:
            files = dict(files)
            files.setdefault("docs/architecture.md", doc)
            for relative, text in files.items():
                path = os.path.join(root, relative)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as out:
                    out.write(text)
            output = io.StringIO()
            with contextlib.redirect_stdout(output):
                status = check(root)
            return status, output.getvalue()

    clean = {"include/gantry/low/a.h": "#include <gantry/config.h>\n",
             "include/gantry/high/b.h": "#include <gantry/low/a.h>\n",
             "src/high/b.cc": '#include <gantry/high/b.h>\n#include "private.h"\n'}
    cases = [
        ("a clean tree", clean, 0, "all pointing down"),
        ("an upward include", {**clean, "src/low/a.cc": "#include <gantry/high/b.h>\n"}, 1,
         "src/low/a.cc:1: upward include: low (layer 1) includes gantry/high/b.h"),
        ("a mutual include", {**clean, "include/gantry/low/c.h": "#include <gantry/high/b.h>\n"},
         1, "mutual include: high <-> low"),
        ("an area without a row", {**clean, "src/other/x.cc": "#include <gantry/low/a.h>\n"}, 1,
         "area other has no row"),
        ("a vocabulary header including an area",
         {**clean, "include/gantry/error.h": "#include <gantry/low/a.h>\n"}, 1,
         "upward include: vocabulary (layer 0)"),
    ]
    failures = 0
    for name, files, want_status, want_text in cases:
        status, output = run(files)
        if status != want_status or want_text not in output:
            failures += 1
            print(f"self-test FAILED on {name}: exit {status}, output:\n{output}")
    print(f"layer check self-test: {len(cases) - failures} of {len(cases)} cases as expected")
    return 1 if failures else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    return check(os.path.abspath(root))


if __name__ == "__main__":
    sys.exit(main())
