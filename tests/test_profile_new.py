"""`python -m etl profile new`: a profile for any prefecture from N03-shaped and TopoJSON fixtures
the tests write, bureaus from the prefecture's own file, lists of prefectures without a profile,
and national boundary files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from openpyxl import Workbook

from core.settings import PROJECT_DIR
from etl.boundaries import boundaries_from_file
from etl.build import build
from etl.errors import BoundaryError, EtlError, ValidationFailed
from etl.profile_new import new_profile, resolve_prefecture
from etl.profiles import load_profile
from etl.reference import load_reference
from tests.conftest import SAMPLE_DIR, settings_for
from tests.n03 import SHIMANE, shimane_n03, write_topojson

BUREAUS = {"32201": "松江", "32206": "松江", "32203": "出雲", "32209": "出雲", "32343": "出雲", "32386": "出雲",
           "32525": "隠岐", "32526": "隠岐", "32527": "隠岐", "32528": "隠岐"}  # fmt: skip
SURVEY = """調査年度,都道府県名,団体コード,市町村名,小さな拠点の名称,地区名,地域運営組織の有無,主な生活サービス
R6,島根県,322016,松江市,八束ふれあいセンター,八束地区,あり,移動、買い物
R6,島根県,322032,出雲市,佐田拠点,佐田地区,あり,見守り
R6,島根県,323438,奥出雲町,横田拠点,横田地区,なし,サロン
R6,島根県,325252,海士町,海士拠点,崎地区,あり,配食
R6,島根県,324418,川本町,三原拠点,三原地区,,移動
"""


def bureau_of(code: str) -> str:
    return BUREAUS.get(code, "西部")


@pytest.fixture
def settings(tmp_path):
    """Settings whose profiles and reference data are private copies (a new profile writes there)."""
    shutil.copytree(PROJECT_DIR / "data" / "profiles", tmp_path / "profiles")
    shutil.copytree(PROJECT_DIR / "data" / "reference", tmp_path / "reference")
    return settings_for(
        tmp_path, profiles_dir=tmp_path / "profiles", reference_dir=tmp_path / "reference"
    )


def bureau_csv(path: Path, six_digits: bool = True) -> Path:
    """県民局 by municipality, with 6-digit codes (the check digit as printed in lists) or names."""
    lines = ["市町村,県民局" if not six_digits else "団体コード,県民局"]
    for code, (name, county) in SHIMANE.items():
        cell = f"{code}{sum(int(c) for c in code) % 10}" if six_digits else f"{county or ''}{name}"
        lines.append(f"{cell},{bureau_of(code)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_profile_from_an_n03_file_with_the_prefectures_bureaus(settings, tmp_path):
    made = new_profile(settings, "32", str(shimane_n03(tmp_path / "n03.geojson")), bureau_csv(tmp_path / "b.csv"),
                       target=(2030, 40))  # fmt: skip
    profile = load_profile(made.profile_path)
    assert (profile.key, profile.pref_code, profile.pref_name) == ("shimane", "32", "島根県")
    assert (profile.bureau_label, profile.bureaus) == ("県民局", ("松江", "西部", "出雲", "隠岐"))
    assert (profile.kpi.indicator, profile.kpi.target_year, profile.kpi.target_value) == (
        "hubs_total",
        2030,
        40,
    )
    assert (profile.kpi.base_year, profile.programs, profile.rules) == (None, (), ())
    listing = load_reference(settings.reference_dir).municipalities.set_index("code")
    assert len(listing[listing["pref_code"] == "32"]) == 19
    assert listing.loc["32343", ["name", "county", "bureau"]].tolist() == [
        "奥出雲町",
        "仁多郡",
        "出雲",
    ]
    assert listing.loc["32201", ["kana", "kaso"]].isna().all()  # unknown facts stay unknown
    shapes = gpd.read_file(made.boundaries_path).set_index("code")
    assert len(shapes) == 19
    for code, row in listing[
        listing["pref_code"] == "32"
    ].iterrows():  # points inside their polygons
        assert (
            shapes.loc[code, "geometry"]
            .buffer(1e-6)
            .contains(gpd.points_from_xy([row.rep_lon], [row.rep_lat])[0])
        )


def test_bureaus_by_name_in_an_excel_file_and_a_national_topojson(settings, tmp_path):
    national = {**SHIMANE, "31201": ("鳥取市", None), "07201": ("福島市", None)}
    book = Workbook()
    book.active.append(["市町村名", "地域"])
    for code, (name, county) in SHIMANE.items():
        book.active.append([f"{county or ''}{name}", bureau_of(code)])
    book.save(tmp_path / "bureaus.xlsx")
    made = new_profile(settings, "島根県", str(write_topojson(tmp_path / "japan.topojson", national)),
                       tmp_path / "bureaus.xlsx", key="shimane_test")  # fmt: skip
    profile = load_profile(made.profile_path)
    assert (made.key, made.municipalities, profile.bureau_label) == ("shimane_test", 19, "地域")
    assert profile.kpi.target_year is None  # no target: progress without a judgement


@pytest.mark.parametrize(
    ("text", "code"),
    [("32", "32"), ("2", "02"), ("島根県", "32"), ("島根", "32"), ("北海道", "01")],
)
def test_the_prefecture_by_code_or_name(text, code):
    assert resolve_prefecture(text) == code


def test_what_is_refused_and_nothing_is_written(settings, tmp_path):
    source = str(shimane_n03(tmp_path / "n03.geojson"))
    with pytest.raises(EtlError, match="都道府県がわかりません"):
        new_profile(settings, "99", source)
    with pytest.raises(EtlError, match="福島県のプロファイルはすでにあります"):
        new_profile(settings, "07", source, key="fukushima2")
    (tmp_path / "short.csv").write_text("団体コード,県民局\n322016,松江\n", encoding="utf-8")
    with pytest.raises(EtlError, match="県民局のない市町村があります: 浜田市"):
        new_profile(settings, "32", source, tmp_path / "short.csv")
    assert not (settings.profiles_dir / "shimane.toml").exists()
    assert not (settings.reference_dir / "municipalities" / "32.csv").exists()
    new_profile(settings, "32", source)
    with pytest.raises(EtlError, match="プロファイルがすでにあります.*上書きしません"):
        new_profile(settings, "32", source)


def test_without_network_or_file_it_says_where_n03_comes_from(settings, monkeypatch):
    monkeypatch.setattr("etl.profile_new.N03_URL", "http://127.0.0.1:9/N03-20240101_{code}_GML.zip")
    with pytest.raises(
        BoundaryError, match=r"(?s)nlftp\.mlit\.go\.jp.*python -m etl profile new 32 --boundaries"
    ):
        new_profile(settings, "32", timeout=2)


def test_the_command_prints_what_it_wrote(settings, tmp_path):
    env = {"KYOTEN_PROFILES_DIR": str(settings.profiles_dir), "KYOTEN_REFERENCE_DIR": str(settings.reference_dir),
           "KYOTEN_BOUNDARIES_DIR": str(settings.boundaries_dir)}  # fmt: skip
    command = [sys.executable, "-m", "etl", "profile", "new", "32", "--boundaries", str(shimane_n03(tmp_path / "n.geojson")),
               "--bureaus", str(bureau_csv(tmp_path / "b.csv", six_digits=False)), "--quiet"]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={**__import__("os").environ, **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (
        "shimane.toml" in done.stdout
        and "19市町村" in done.stdout
        and "県民局: 松江、西部、出雲、隠岐" in done.stdout
    )


def test_a_list_of_a_prefecture_without_a_profile_says_which_command_makes_one(
    fresh_settings, tmp_path
):
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "shimane_r06.csv").write_text(SURVEY, encoding="utf-8")
    with pytest.raises(ValidationFailed) as failed:
        build(fresh_settings, folder)
    problems = failed.value.problems
    assert len(problems) == 1 and "python -m etl profile new 32" in problems[0].reason


def test_a_national_list_loads_the_profiled_prefectures_and_names_the_others(
    fresh_settings, tmp_path
):
    folder = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, folder)
    survey = folder / "fukushima_survey_r06_2024.csv"
    text = survey.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    extra = []
    others = SURVEY.splitlines()[1:] + [
        "R6,宮城県,042021,石巻市,北上拠点,北上地区,あり,移動"
    ]  # a third prefecture
    for line in others:
        cells = dict(zip(SURVEY.splitlines()[0].split(","), line.split(","), strict=True))
        extra.append(",".join(cells.get(h, "") for h in header))
    survey.write_text(text.rstrip("\n") + "\n" + "\n".join(extra) + "\n", encoding="utf-8-sig")
    result = build(fresh_settings, folder)
    assert (
        result.rows["hubs"] == 277
    )  # the sample's hubs; 島根県's and 宮城県's rows are not loaded
    log = __import__("duckdb").connect(str(result.path), read_only=True).execute(
        "select note from load_log where file = 'fukushima_survey_r06_2024.csv'").fetchone()[0]  # fmt: skip
    assert (
        "宮城県 1行（python -m etl profile new 04）、島根県 5行（python -m etl profile new 32）"
        in log
    )


def test_a_national_file_writes_every_profiles_boundaries(settings, tmp_path):
    fukushima = {"07201": ("福島市", None), "07202": ("会津若松市", None)}
    tottori = {"31201": ("鳥取市", None), "31202": ("米子市", None)}
    national = write_topojson(tmp_path / "japan.topojson", {**fukushima, **tottori, **SHIMANE})
    written = boundaries_from_file(settings, str(national))
    assert sorted(p.name for p in written) == ["07.geojson", "31.geojson"]  # profiles only
    assert sorted(gpd.read_file(written[0])["code"]) == ["07201", "07202"]


NATIONAL = PROJECT_DIR.parent / "shared" / "data" / "national" / "ja_municipality_area.json"


@pytest.mark.skipif(not NATIONAL.exists(), reason="the shared national TopoJSON is not here")
def test_the_national_topojson_gives_fukushima_and_tottori_every_polygon(settings):
    written = {p.name: len(gpd.read_file(p)) for p in boundaries_from_file(settings, str(NATIONAL))}
    assert written == {"07.geojson": 59, "31.geojson": 19}


def test_a_stray_row_of_another_prefecture_in_a_list_is_an_error(fresh_settings, tmp_path):
    """Two prefectures are not a national list: the row without a profile is refused, named."""
    folder = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, folder)
    survey = folder / "fukushima_survey_r06_2024.csv"
    header = survey.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    cells = dict(
        zip(SURVEY.splitlines()[0].split(","), SURVEY.splitlines()[1].split(","), strict=True)
    )
    survey.write_text(survey.read_text(encoding="utf-8-sig") + ",".join(cells.get(h, "") for h in header) + "\n",
                      encoding="utf-8-sig")  # fmt: skip
    with pytest.raises(ValidationFailed) as failed:
        build(fresh_settings, folder)
    assert [p.reason for p in failed.value.problems] == [
        "島根県のプロファイルがありません（1行）。python -m etl profile new 32 で作ってから取り込んでください"
    ]
