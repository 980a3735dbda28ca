"""Reading the reference lists (municipalities, published counts, variant characters): what a
list may look like, and what is refused, naming the file, the line, the column and the text."""

from __future__ import annotations

import math

import pytest

from etl.errors import EtlError
from etl.reference import load_reference

MUNICIPALITIES = (
    "pref_code,code,name,kana,bureau,kaso,rep_lat,rep_lon\n"
    "07,07201,福島市,ふくしまし,県北,非過疎,37.7997,140.4021\n"
    "07,07202,会津若松市,,会津,,37.4558,140.006\n"
)
PUBLISHED = (
    "scope,indicator,fiscal_year,value,kind,as_of,source\n"
    "national,hubs_in_strategy,2016,722,actual,,国土交通省\n"
    "07,hubs_total,2030,60,target,2024-05,福島県\n"
)


def write(folder, municipalities=MUNICIPALITIES, published=PUBLISHED, variants=None):
    (folder / "municipalities.csv").write_text(municipalities, encoding="utf-8")
    (folder / "published_counts.csv").write_text(published, encoding="utf-8")
    if variants is not None:
        (folder / "name_variants.csv").write_text(variants, encoding="utf-8")
    return folder


def test_rows_and_frames_read_the_same(tmp_path):
    reference = load_reference(write(tmp_path))
    first, second = reference.municipality_rows
    assert (first.code, first.name, first.kana, first.rep_lat, first.county) == (
        "07201", "福島市", "ふくしまし", 37.7997, None,
    )  # fmt: skip
    assert (second.kana, second.kaso) == (None, None)  # an empty cell is unknown, not ""
    frame = reference.municipalities
    assert frame["code"].tolist() == ["07201", "07202"]
    assert frame.loc[1, "kaso"] is None and frame.loc[0, "rep_lon"] == 140.4021
    assert [r["scope"] for r in reference.published_rows] == ["00", "07"]  # national is 00
    published = reference.published
    assert published["value"].tolist() == [722, 60] and str(published["value"].dtype) == "Int64"
    assert [r["source_row"] for r in reference.published_rows] == [2, 3]


def test_a_bom_blank_lines_quotes_and_short_rows_are_read(tmp_path):
    municipalities = (
        "\ufeffpref_code,code,name,kana,bureau,kaso,rep_lat,rep_lon\n"
        "\n"
        '07,07201,"福島市",ふくしまし,県北,非過疎,37.7997,140.4021\n'
        "   \n"
        "07,07202,会津若松市,あいづわかまつし\n"  # the cells after kana: empty
    )
    published = PUBLISHED.replace("\n07,", "\n\n07,")  # the target is on line 4
    reference = load_reference(write(tmp_path, municipalities, published))
    rows = reference.municipality_rows
    assert [r.code for r in rows] == ["07201", "07202"]
    assert (rows[1].bureau, rows[1].rep_lat) == (None, None)
    assert [r["source_row"] for r in reference.published_rows] == [2, 4]


@pytest.mark.parametrize(
    ("municipalities", "published", "message"),
    [
        (MUNICIPALITIES + "07,07203,郡山市,こおりやまし,県中,非過疎,37.4,140.3,余分\n", PUBLISHED,
         "municipalities.csv 4行目: 見出しより多い9列があります（見出しは8列）"),
        (MUNICIPALITIES.replace("37.4558", "北緯37度"), PUBLISHED,
         "municipalities.csv 3行目: rep_lat が数ではありません（'北緯37度'）"),
        (MUNICIPALITIES.replace("07202", "7202"), PUBLISHED,
         "municipalities.csv: 5桁でないコードがあります: ['7202']"),
        (MUNICIPALITIES.replace("会津,,", "会津,過疎,"), PUBLISHED,
         "municipalities.csv: 過疎区分が不正です: ['過疎']"),
        (MUNICIPALITIES + "07,07201,福島市,,,,,\n", PUBLISHED,
         "コードが重複しています（二つのファイルに同じ市町村）: ['07201']"),
        (MUNICIPALITIES, PUBLISHED.replace(",2016,722,", ",2016,\"1,234\","),
         "published_counts.csv 2行目: value が数ではありません（'1,234'）"),
        (MUNICIPALITIES, PUBLISHED.replace(",2030,", ",,"),
         "published_counts.csv 3行目: fiscal_year が空です"),
        (MUNICIPALITIES, PUBLISHED.replace(",2016,722,", ",2016, 722 ,"),
         "published_counts.csv 2行目: value が数ではありません（' 722 '）"),
        (MUNICIPALITIES, PUBLISHED.replace(",2016,722,", ",2016,７２２,"),
         "published_counts.csv 2行目: value が数ではありません（'７２２'）"),
        (MUNICIPALITIES, PUBLISHED.replace(",2030,", ",9223372036854775808,"),
         "published_counts.csv 3行目: fiscal_year が数ではありません（'9223372036854775808'）"),
        (MUNICIPALITIES, PUBLISHED.replace(",国土交通省", ',"国土交通省'),
         "published_counts.csv 2行目: CSV として読めません（unexpected end of data。"),
        (MUNICIPALITIES, PUBLISHED.replace("2024-05", "R6.5"),
         "published_counts.csv: as_of は YYYY-MM(-DD) です: ['R6.5']"),
        ("", PUBLISHED, "municipalities.csv: 見出し行がありません（空のファイルです）"),
        (MUNICIPALITIES.replace(",rep_lon", ""), PUBLISHED,
         "municipalities.csv: 列がありません: ['rep_lon']"),
    ],
)  # fmt: skip
def test_a_list_that_cannot_be_read_right_is_refused(tmp_path, municipalities, published, message):
    with pytest.raises(EtlError) as raised:
        load_reference(write(tmp_path, municipalities, published))
    assert message in str(raised.value)


def test_a_row_is_named_by_the_line_it_starts_on(tmp_path):
    """`source_row` of a published count is the line of the file where its row starts, blank
    lines and cells over two lines included; every row of a file is read (an open quote, which
    would swallow the rows after it, is refused above)."""
    published = (
        "\nscope,indicator,fiscal_year,value,kind,as_of,source\n"
        '07,hubs_total,2020,48,actual,,"福島県\n過疎・中山間地域振興戦略"\n'
        "\n"
        "07,hubs_total,2030,60,target,,福島県\n"
    )
    rows = load_reference(write(tmp_path, published=published)).published_rows
    assert [(r["fiscal_year"], r["source_row"]) for r in rows] == [(2020, 3), (2030, 6)]
    assert rows[0]["source"] == "福島県\n過疎・中山間地域振興戦略"


def test_a_large_count_beside_an_unknown_one_stays_exact(tmp_path):
    published = PUBLISHED.replace(",2016,722,", ",2016,9007199254740993,").replace(",60,", ",,")
    reference = load_reference(write(tmp_path, published=published))
    assert reference.published["value"].tolist()[0] == 9007199254740993  # not via a float


def test_a_nan_coordinate_is_unknown(tmp_path):
    reference = load_reference(write(tmp_path, MUNICIPALITIES.replace("140.006", "nan")))
    assert reference.municipality_rows[1].rep_lon is None
    assert math.isnan(reference.municipalities.loc[1, "rep_lon"])


def test_a_list_not_in_utf8_is_refused(tmp_path):
    write(tmp_path)
    (tmp_path / "municipalities.csv").write_bytes(MUNICIPALITIES.encode("cp932"))
    with pytest.raises(EtlError, match="municipalities.csv: UTF-8 として読めません"):
        load_reference(tmp_path)


def test_variant_characters(tmp_path):
    folder = write(tmp_path, variants="variant,canonical,note\n館,舘,飯舘村\n")
    assert load_reference(folder).variants == {"館": "舘"}
    write(tmp_path, variants="variant,canonical,note\n館舘,舘,二文字\n")
    with pytest.raises(EtlError, match=r"1文字ずつ書いてください: \['館舘'\]"):
        load_reference(folder)
