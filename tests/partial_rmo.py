"""A warehouse whose latest 福島 list has a few hubs of unknown RMO status (the sample has none).

The 2024 list (59 hubs, 47 with an RMO) with the RMO cells of four hubs left blank:

| list row | municipality | bureau | RMO before |
|---|---|---|---|
| 1 | 喜多方市 | 会津 | あり |
| 5 | 喜多方市 | 会津 | なし |
| 50 | 川俣町 | 県北 | なし |
| 56 | 矢祭町 (its only hub) | 県南 | あり |

So the list counts 45 hubs with an RMO and 4 of unknown status: 「45（ほか不明4）」, never NULL
for the whole prefecture; 矢祭町 alone knows nothing (データなし).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from core.settings import Settings
from etl.build import build
from tests.conftest import SAMPLE_DIR, settings_for

SURVEY_2024 = "fukushima_survey_r06_2024.csv"
BLANK_ROWS = (1, 5, 50, 56)  # data rows of the list (1 = the first hub)
RMO_CELLS = ("地域運営組織の有無", "地域運営組織名", "法人格")
KNOWN, UNKNOWN = 45, 4  # hubs with an RMO among the known rows; hubs of unknown status


def blank_rmo(text: str, rows: tuple[int, ...] = BLANK_ROWS) -> str:
    """The list with the RMO status, name and legal form of `rows` left blank."""
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    for number in rows:
        for name in RMO_CELLS:
            table[number][header.index(name)] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue()


def build_partial_rmo(root: Path, published_rmo: bool = True) -> Settings:
    """The sample with four RMO cells of the 2024 list blank, built into a warehouse under root;
    without `published_rmo`, the reference holds no published RMO count of 福島県, so that every
    RMO figure of the prefecture comes from the lists."""
    folder = root / "input"
    shutil.copytree(SAMPLE_DIR, folder)
    survey = folder / SURVEY_2024
    survey.write_text(blank_rmo(survey.read_text(encoding="utf-8-sig")), encoding="utf-8-sig")
    settings = settings_for(root)
    if not published_rmo:
        reference = root / "reference"
        shutil.copytree(settings.reference_dir, reference)
        counts = reference / "published_counts.csv"
        lines = counts.read_text(encoding="utf-8").splitlines(keepends=True)
        counts.write_text("".join(line for line in lines if not line.startswith("07,rmo_in_hubs,")),
                          encoding="utf-8")  # fmt: skip
        settings = settings_for(root, reference_dir=reference)
    build(settings, folder)
    return settings
