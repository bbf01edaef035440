"""Builds communes.json.gz, the compact copy of the official list of French
départements and communes with their postal codes that the dossier checks
addresses and birth places against (reference data is real).

Source: the npm package @etalab/decoupage-administratif (Etalab's packaging of
the INSEE Code officiel géographique and La Poste's postal codes). To refresh:

    cd /tmp && npm pack @etalab/decoupage-administratif && tar xzf etalab-*.tgz
    python services/accounts/dossier/data/build_communes.py /tmp/package/data

Output: {"source", "departments": {code: name},
         "communes": [[insee, name, département, [postal codes], current]]}
where `current` is false for former communes (communes déléguées or
associées), which remain valid birth places but not addresses.
"""
import gzip
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = {"commune-actuelle": True, "commune-deleguee": False, "commune-associee": False}


def build(source_dir):
    source = Path(source_dir)
    departments = {d["code"]: d["nom"]
                   for d in json.loads((source / "departements.json").read_text("utf-8"))}
    package = json.loads((source.parent / "package.json").read_text("utf-8"))
    communes = []
    for commune in json.loads((source / "communes.json").read_text("utf-8")):
        current = TYPES.get(commune.get("type"))
        if current is None or not commune.get("departement"):
            continue
        communes.append([commune["code"], commune["nom"], commune["departement"],
                         sorted(commune.get("codesPostaux") or []), current])
    communes.sort(key=lambda c: (c[2], c[1], c[0]))
    return {"source": f"@etalab/decoupage-administratif {package['version']}",
            "departments": departments, "communes": communes}


def main(argv):
    data = build(argv[0])
    target = HERE / "communes.json.gz"
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as out:
        json.dump(data, out, ensure_ascii=False, separators=(",", ":"))
    print(f"{target}: {len(data['departments'])} départements, {len(data['communes'])} communes")


if __name__ == "__main__":
    main(sys.argv[1:])
