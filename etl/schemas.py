"""Input kinds and their alias tables: which header labels mean which canonical column.

Headers vary by year and by prefecture, so every column lists the labels it is known by. Labels
are compared after NFKC normalisation with whitespace and any unit in brackets removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.normalize import split_header


@dataclass(frozen=True)
class Column:
    name: str  # canonical column name in staging
    label: str  # the Japanese label written in the sample files and in messages
    parser: str  # text, int, amount, fy, date, as_of, bool, code, services
    aliases: tuple[str, ...] = ()
    required: bool = False  # the column must be present (and, unless blank_ok, filled)
    blank_ok: bool = False  # a blank cell is allowed even in a required column

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    columns: tuple[Column, ...]
    # canonical columns whose presence identifies this kind; a tuple entry lists alternatives
    signature: tuple[str | tuple[str, ...], ...]
    # sets of columns that must not appear together, with the reason
    exclusive: tuple[tuple[frozenset[str], str], ...] = ()

    def identified_by(self, names: set[str]) -> bool:
        return all(
            bool(names & set(s)) if isinstance(s, tuple) else s in names for s in self.signature
        )

    def conflicts(self, names: set[str]) -> list[str]:
        return [reason for columns, reason in self.exclusive if columns <= names]

    def by_label(self) -> dict[str, Column]:
        table = {}
        for column in self.columns:
            for label in column.labels:
                table[split_header(label)[0]] = column
        return table


MUNICIPALITY_COLUMNS = (
    Column(
        "municipality_code",
        "市町村コード",
        "code",
        ("団体コード", "地方公共団体コード", "市区町村コード"),
    ),
    Column(
        "municipality_name",
        "市町村名",
        "text",
        ("市町村", "市区町村名", "市区町村", "町村", "町", "補助事業者"),
    ),
)

SURVEY = Kind(
    name="survey",
    label="小さな拠点の一覧（内閣府 実態調査）",
    signature=("hub_name",),
    columns=(
        Column("pref_name", "都道府県", "text", ("都道府県名",)),
        Column("fiscal_year", "調査年度", "fy", ("年度",)),
        *MUNICIPALITY_COLUMNS,
        Column(
            "hub_name", "小さな拠点の名称", "text", ("小さな拠点名", "拠点名", "拠点の名称"), True
        ),
        Column("district_name", "地区名", "text", ("地域名", "集落生活圏名", "地区")),
        Column("address", "住所", "text", ("所在地", "拠点の所在地")),
        Column("population", "人口", "int", ("対象人口", "集落生活圏の人口", "人口(人)")),
        Column("settlements", "集落数", "int", ("対象集落数",)),
        Column("coverage_area", "対象範囲", "text", ("範囲", "対象区域")),
        Column("area_type", "地域区分", "text", ("地域の区分", "過疎等の区分")),
        Column(
            "in_municipal_strategy",
            "市町村版総合戦略への位置付け",
            "bool",
            ("総合戦略への位置付け", "総合戦略位置付け", "市町村版総合戦略"),
        ),
        Column(
            "in_regional_plan",
            "地域再生計画への位置付け",
            "bool",
            ("地域再生計画位置付け", "地域再生計画"),
        ),
        Column("main_facility", "主な拠点施設", "text", ("拠点施設", "主な施設")),
        Column(
            "transport", "交通ネットワーク", "text", ("交通手段", "周辺集落との交通ネットワーク")
        ),
        Column("has_rmo", "地域運営組織の有無", "bool", ("地域運営組織", "運営組織の有無")),
        Column("rmo_name", "地域運営組織の名称", "text", ("地域運営組織名", "運営組織名")),
        Column(
            "rmo_legal_form", "法人格", "text", ("法人格の有無", "地域運営組織の法人格", "組織形態")
        ),
        Column(
            "services", "提供サービス", "services", ("主な生活サービス", "生活サービス", "主な取組")
        ),
    ),
)

GRANTS = Kind(
    name="grants",
    label="補助金交付実績",
    signature=("program", ("grant_yen", "decided_yen", "actual_yen")),
    exclusive=(
        (
            frozenset({"grant_yen", "actual_yen"}),
            "「補助金額」と「実績額」の列があり、補助金額が交付決定額か実績額か決められません"
            "（見出しを「交付決定額」にしてください）",
        ),
        (
            frozenset({"grant_yen", "decided_yen"}),
            "「補助金額」と「交付決定額」の列があり、補助金額が交付決定額か実績額か決められません"
            "（見出しを「実績額」にしてください）",
        ),
    ),
    columns=(
        Column("fiscal_year", "年度", "fy", ("事業年度", "交付年度"), True),
        Column("pref_name", "都道府県", "text", ("都道府県名",)),
        Column("bureau", "地方振興局", "text", ("振興局", "所管振興局", "地域", "総合事務所")),
        *MUNICIPALITY_COLUMNS,
        Column("district_name", "地区名", "text", ("対象地区", "地区", "地域名"), True),
        Column("program", "事業区分", "text", ("区分", "事業の区分"), True),
        Column("project_name", "事業名", "text", ("事業内容", "取組内容")),
        Column("total_cost_yen", "総事業費", "amount", ("事業費",)),
        Column("eligible_cost_yen", "補助対象経費", "amount", ("補助対象事業費",)),
        # The grant figure: 補助金額 as such, or 交付決定額 and/or 実績額 (実績額 where present).
        Column("grant_yen", "補助金額", "amount", ("補助額", "補助金")),
        Column("decided_yen", "交付決定額", "amount", ("補助金交付決定額", "交付決定", "決定額")),
        Column(
            "actual_yen",
            "実績額",
            "amount",
            ("補助金実績額", "確定額", "補助金確定額", "確定", "実績"),
        ),
        Column("amount_basis", "金額区分", "text", ("補助金額の区分",)),
        Column("implementing_body", "事業実施主体", "text", ("実施主体",)),
        Column("is_indirect", "間接補助の有無", "bool", ("間接補助",)),
        Column(
            "has_equivalent_plan", "同等計画の有無", "bool", ("既存計画の有無", "既存の同等計画")
        ),
        Column("status", "状態", "text", ("進捗", "ステータス", "進捗状況"), True),
        Column("note", "備考", "text"),
    ),
)

COOPERATIVES = Kind(
    name="cooperatives",
    label="特定地域づくり事業協同組合",
    signature=("cooperative_name",),
    columns=(
        Column("fiscal_year", "年度", "fy", (), True),
        Column("cooperative_name", "組合名", "text", ("組合の名称",), True),
        Column("pref_name", "都道府県", "text", ("都道府県名",)),
        *MUNICIPALITY_COLUMNS,
        Column("certified_on", "認定日", "date", ("認定年月日",)),
        Column("members", "組合員数", "int", ("組合員",)),
        Column("dispatched_workers", "派遣人員", "int", ("派遣職員数", "派遣人数")),
    ),
)

PUBLISHED = Kind(
    name="published_counts",
    label="公表値",
    signature=("indicator", "value"),
    columns=(
        Column("scope", "scope", "text", ("範囲", "対象"), True),
        Column("indicator", "indicator", "text", ("指標",), True),
        Column("fiscal_year", "fiscal_year", "fy", ("年度",), True),
        Column("value", "value", "int", ("値", "数値"), True),
        Column("kind", "kind", "text", ("種別",), True),
        Column("as_of", "as_of", "as_of", ("時点", "基準日")),
        Column("source", "source", "text", ("出典",), True),
    ),
)

# Columns that name the thing a row counts: merged over several rows they cannot be copied
# to each (one hub written over two district rows is one hub, not two).
IDENTITY_COLUMNS = {"hub_name", "cooperative_name"}

KINDS: dict[str, Kind] = {k.name: k for k in (SURVEY, GRANTS, COOPERATIVES, PUBLISHED)}

# The first fiscal year each kind of record can exist: the Cabinet Office survey of 小さな拠点
# (まち・ひと・しごと創生 from 2014, the survey from 2015), 特定地域づくり事業協同組合 (the act of 2020).
# A profile may set its own first year for grants (its programmes' start).
FIRST_YEARS = {"survey": 2015, "grants": 2015, "cooperatives": 2020, "published_counts": 2000}

# Canonical values of grant status, with the spellings accepted for each.
GRANT_STATUSES = {
    "採択": ("採択", "採択済", "採択済み", "内定", "内定済"),
    "交付決定": ("交付決定", "交付決定済", "交付決定済み"),
    "完了": ("完了", "完了済", "完了済み", "実績報告済", "実績報告済み", "確定", "確定済"),
    "取下げ": ("取下げ", "取り下げ", "取下", "取り下げ済", "取下げ済", "辞退"),
}
AMOUNT_BASES = {
    "交付決定額": ("交付決定額", "交付決定", "決定額"),
    "実績額": ("実績額", "実績", "確定額"),
}
PUBLISHED_KINDS = {
    "actual": ("actual", "実績"),
    "target": ("target", "目標"),
    "derived": ("derived", "推計", "算出"),
}
