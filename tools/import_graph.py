"""The import graph of `dcglr_tf` and its layers: prints each layer with the layers it imports from, and every import
that points up (from a module to a layer above its own), then exits 1 if there is one.

    python tools/import_graph.py            # the layers and the arrows between them
    python tools/import_graph.py --edges    # every module-to-module import too

Layers, lowest first; a module belongs to the layer of its longest matching prefix. Imports inside functions count.
"""

import argparse
import ast
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
LAYERS = [
    ("utils", ("dcglr_tf.utils",)),
    ("settings", ("dcglr_tf.config", "dcglr_tf.presets")),
    ("point ops", ("dcglr_tf.ops",)),
    ("protocols", ("dcglr_tf.evaluation",)),
    ("data", ("dcglr_tf.data", "dcglr_tf.builders")),
    ("models", ("dcglr_tf.models",)),
    ("method", ("dcglr_tf.losses", "dcglr_tf.teacher", "dcglr_tf.schedules", "dcglr_tf.dcglr", "dcglr_tf.export")),
    ("prediction", ("dcglr_tf.predict",)),
    ("training", ("dcglr_tf.training",)),
    ("tasks", ("dcglr_tf.evaluation.tasks",)),
    ("commands", ("dcglr_tf.commands",)),
]


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module):
    """(index, name) of the layer of `module`, or None for the package root."""
    best = None
    for index, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[2]):
                best = (index, name, len(prefix))
    return None if best is None else best[:2]


def imports_of(path, module):
    """The dcglr_tf modules `path` imports (absolute or relative, at any depth of the file)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    known = {module_name(p) for p in (REPO / "dcglr_tf").rglob("*.py")}
    return {name for name in found if name in known and name != module}


def graph():
    """{module: set of imported modules} of every module of dcglr_tf."""
    return {module_name(path): imports_of(path, module_name(path)) for path in sorted((REPO / "dcglr_tf").rglob("*.py"))}


def upward_imports(edges):
    """[(module, its layer, imported module, that layer)] of every import into a higher layer."""
    upward = []
    for module, targets in edges.items():
        source = layer_of(module)
        for target in sorted(targets):
            destination = layer_of(target)
            if source and destination and destination[0] > source[0]:
                upward.append((module, source[1], target, destination[1]))
    return upward


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", action="store_true", help="also print every module-to-module import")
    args = parser.parse_args(argv)
    edges = graph()
    for index, (name, prefixes) in enumerate(LAYERS):
        used = sorted({layer_of(t)[1] for m, ts in edges.items() if (layer_of(m) or (None,))[0] == index
                       for t in ts if layer_of(t) and layer_of(t)[0] != index}, key=lambda n: [l[0] for l in LAYERS].index(n))
        print(f"{index}. {name:10s} {', '.join(prefixes)}" + (f"  <- imports {', '.join(used)}" if used else ""))
    if args.edges:
        for module, targets in edges.items():
            for target in sorted(targets):
                print(f"  {module} -> {target}")
    upward = upward_imports(edges)
    for module, source, target, destination in upward:
        print(f"UPWARD: {module} ({source}) imports {target} ({destination})")
    print(f"{len(edges)} modules, {sum(len(t) for t in edges.values())} imports, {len(upward)} pointing up")
    return 1 if upward else 0


if __name__ == "__main__":
    sys.exit(main())
