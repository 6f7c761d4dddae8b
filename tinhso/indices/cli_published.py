"""``tinhso index import-published FILE``: the ministries' published ranks and scores, with sources."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tinhso.core.errors import UserError


def _import(args: argparse.Namespace) -> int:
    from tinhso.indices import published

    path = Path(args.file)
    if not path.is_file():
        raise UserError("file_not_found", f"Không có tệp {path}", f"No such file {path}", field="file")
    try:
        result = published.import_file(path.read_bytes(), path.name)
    except UserError as err:
        for problem in err.details or []:
            if isinstance(problem, dict) and "row" in problem:
                print(f"  dòng/row {problem['row']}, {problem['column']}: {problem['reason']}")
        raise
    print(json.dumps(result))
    return 0


def add_command(sub) -> None:
    p = sub.add_parser("import-published",
                       help="import published ranks/scores (CSV/XLSX: index, period, structure, unit_code, "
                            "unit_name, score, rank, of_total, source[, note])")
    p.add_argument("file")
    p.set_defaults(func=_import)
