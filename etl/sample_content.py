"""What the sample dataset says: hubs, grant records and cooperatives, generated deterministically.

The totals reproduce the published figures exactly (福島県 48 hubs in 2020; 55 in 2023 in 20
municipalities with 43 RMOs; 59 with 47 RMOs in 2024; 鳥取県 30 / 39 / 46). Everything else
(district names, people, services, amounts) is invented and labelled as sample data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SEED = 42

# Hubs per municipality in the 2023 list (55 in 20 municipalities).
FUKUSHIMA_HUBS_2023 = {
    "07208": 5, "07405": 3, "07423": 2, "07444": 2, "07445": 3, "07446": 2, "07447": 3,
    "07408": 2, "07367": 4, "07368": 5, "07362": 2, "07211": 4, "07344": 2, "07505": 2,
    "07522": 2, "07483": 3, "07484": 2, "07308": 3, "07564": 2, "07544": 2,
}  # fmt: skip
# Districts whose hub first appears in the 2023 list (formed FY2021-FY2022) and in the 2024 list.
NEW_IN_2023 = {
    "A": "07208",
    "B": "07367",
    "C": "07211",
    "D": "07483",
    "F": "07445",
    "U": "07423",
    "G": "07368",
}
NEW_IN_2024 = {"M1": "07482", "M2": "07503", "J": "07367", "K": "07208"}
NEW_2024_WITHOUT_RMO = ("K",)
RMO_COUNT_2023 = 43

# 鳥取県 hubs per municipality in the lists of 2019, 2021 and 2022 (30 / 39 / 46).
TOTTORI_HUBS = {
    "31201": (5, 6, 7), "31302": (1, 2, 2), "31325": (1, 1, 2), "31328": (2, 3, 3),
    "31329": (2, 2, 3), "31203": (2, 3, 4), "31364": (1, 2, 2), "31370": (1, 1, 1),
    "31371": (2, 3, 3), "31372": (0, 1, 1), "31202": (2, 3, 3), "31386": (2, 2, 3),
    "31389": (2, 2, 2), "31390": (1, 2, 2), "31401": (3, 3, 3), "31402": (2, 2, 3),
    "31403": (1, 1, 2),
}  # fmt: skip
TOTTORI_YEARS = (2019, 2021, 2022)
# Two hubs of 令和4年度 named in 鳥取県's report; the other names are invented.
TOTTORI_NAMED_2022 = {
    "31203": ("小鴨地区", "小鴨コミュニティセンター"),
    "31402": ("菅福地区", "高宮の郷"),
}

NAME_FIRST = "上下中東西北南大小新高長横古奥早赤白青黒"
NAME_SECOND = "野川沢田原山谷平岩森宮石滝関倉瀬畑根戸坂"
NAME_THIRD = ("", "", "", "内", "沢", "田", "原", "入", "口", "台", "窪")
HUB_SUFFIXES = (
    "地区小さな拠点",
    "ふれあいセンター",
    "交流館",
    "地区コミュニティセンター",
    "の里",
    "むらの駅",
)
FACILITIES = (
    "公民館",
    "旧小学校",
    "道の駅",
    "地区集会所",
    "診療所併設の複合施設",
    "地区交流センター",
    "商店",
)
TRANSPORT = (
    "デマンド型乗合タクシー",
    "コミュニティバス",
    "住民共助による送迎",
    "路線バス",
    "スクールバス混乗",
)
COVERAGE = ("小学校区", "旧小学校区", "旧町村", "大字", "地区公民館区")
LEGAL_FORMS = (
    ("任意団体", 12),
    ("NPO法人", 4),
    ("一般社団法人", 2),
    ("認可地縁団体", 2),
    ("株式会社", 1),
)
RMO_PATTERNS = (
    "{}振興協議会",
    "{}地域づくり協議会",
    "{}まちづくり委員会",
    "{}の里づくり会",
    "{}ふるさと会議",
)
SNOWY_BUREAUS = {"会津", "南会津", "日野", "東部"}


@dataclass
class SampleHub:
    pref_code: str
    municipality_code: str
    district: str
    hub_name: str
    address: str
    population: int
    settlements: int
    coverage: str
    facility: str
    transport: str
    in_strategy: bool
    in_regional_plan: bool
    services: tuple[str, ...]
    first_year: int  # first survey year whose list contains the hub
    rmo_since: int | None = None
    rmo_name: str | None = None
    legal_form: str | None = None
    tag: str | None = None


@dataclass
class Names:
    rng: random.Random
    used: set[str] = field(default_factory=set)

    def district(self, municipality_code: str) -> str:
        while True:
            base = (
                self.rng.choice(NAME_FIRST)
                + self.rng.choice(NAME_SECOND)
                + self.rng.choice(NAME_THIRD)
            )
            if (municipality_code, base) not in self.used:
                self.used.add((municipality_code, base))
                return base + "地区"


def _services(rng: random.Random, bureau: str) -> tuple[str, ...]:
    weights = {
        "移動": 0.7,
        "買い物": 0.5,
        "見守り": 0.6,
        "医療・福祉": 0.25,
        "配食": 0.3,
        "サロン": 0.7,
    }
    weights["雪かき"] = 0.55 if bureau in SNOWY_BUREAUS else 0.0
    order = ("移動", "買い物", "見守り", "医療・福祉", "雪かき", "配食", "サロン")
    chosen = tuple(s for s in order if rng.random() < weights[s])
    return chosen or ("サロン",)


def _hub(rng: random.Random, names: Names, muni, first_year: int, district: str | None = None,
         hub_name: str | None = None, pref_name: str = "") -> SampleHub:  # fmt: skip
    district = district or names.district(muni.code)
    base = district.removesuffix("地区")
    block = rng.choice(("宮ノ前", "中島", "堂ノ下", "上ノ原", "川端", "道下", "寺前"))
    return SampleHub(
        pref_code=muni.pref_code,
        municipality_code=muni.code,
        district=district,
        hub_name=hub_name or base + rng.choice(HUB_SUFFIXES),
        address=f"{pref_name}{muni.name}{base}字{block}{rng.randint(1, 999)}",
        population=rng.randrange(180, 4200, 10),
        settlements=rng.randint(3, 28),
        coverage=rng.choice(COVERAGE),
        facility=rng.choice(FACILITIES),
        transport=rng.choice(TRANSPORT),
        in_strategy=rng.random() < 0.85,
        in_regional_plan=rng.random() < 0.3,
        services=_services(rng, muni.bureau),
        first_year=first_year,
    )


def _assign_rmo(rng: random.Random, hub: SampleHub, since: int) -> None:
    forms = [f for f, w in LEGAL_FORMS for _ in range(w)]
    hub.rmo_since = since
    hub.legal_form = rng.choice(forms)
    name = rng.choice(RMO_PATTERNS).format(hub.district.removesuffix("地区"))
    prefix = {"NPO法人": "NPO法人", "一般社団法人": "一般社団法人", "株式会社": "株式会社"}.get(
        hub.legal_form, ""
    )
    hub.rmo_name = prefix + name


def fukushima_hubs(municipalities: dict, names: Names, rng: random.Random) -> list[SampleHub]:
    """59 hubs: 48 in the 2020 list, 55 in 2023 (20 municipalities), 59 in 2024."""
    hubs: list[SampleHub] = []
    for code, count in FUKUSHIMA_HUBS_2023.items():
        tags = [t for t, c in NEW_IN_2023.items() if c == code]
        for i in range(count):
            tag = tags[i] if i < len(tags) else None
            hub = _hub(rng, names, municipalities[code], 2023 if tag else 2020, pref_name="福島県")
            hub.tag = tag
            hubs.append(hub)
    for tag, code in NEW_IN_2024.items():
        hub = _hub(rng, names, municipalities[code], 2024, pref_name="福島県")
        hub.tag = tag
        hubs.append(hub)
    in_2023 = [h for h in hubs if h.first_year <= 2023]
    with_rmo = sorted(rng.sample(range(len(in_2023)), RMO_COUNT_2023))
    without = [h for i, h in enumerate(in_2023) if i not in set(with_rmo)]
    for i in with_rmo:
        _assign_rmo(rng, in_2023[i], 2020)
    _assign_rmo(rng, without[0], 2024)  # an existing hub whose RMO forms before the 2024 list
    for hub in hubs:
        if hub.first_year == 2024 and hub.tag not in NEW_2024_WITHOUT_RMO:
            _assign_rmo(rng, hub, 2024)
    return hubs


def tottori_hubs(municipalities: dict, names: Names, rng: random.Random) -> list[SampleHub]:
    hubs: list[SampleHub] = []
    for code, counts in TOTTORI_HUBS.items():
        previous = 0
        for year, count in zip(TOTTORI_YEARS, counts, strict=True):
            for _ in range(count - previous):
                named = TOTTORI_NAMED_2022.get(code) if year == 2022 else None
                district, hub_name = named or (None, None)
                hubs.append(
                    _hub(rng, names, municipalities[code], year, district, hub_name, "鳥取県")
                )
            previous = count
    return hubs


def hubs_in(hubs: list[SampleHub], year: int) -> list[SampleHub]:
    return [h for h in hubs if h.first_year <= year]


# Grant records of 福島県 2021-2026, district by district: (fiscal year, program, 事業名,
# 補助対象経費 in 千円, grant in 千円 or None for 9/10 rounded down to 千円, options).
# Tags A..K name the districts whose hubs appear in the 2023 and 2024 lists.
GRANT_PLAN: dict[str, tuple[str, list[tuple]]] = {
    "A": ("07208", [(2021, "plan", "地域課題の洗い出しと住民ワークショップ", 480, None, {}),
                    (2022, "project", "移動販売車の試験運行", 1600, None, {}),
                    (2023, "project", "移動販売と見守りの一体運営", 1500, None, {})]),
    "B": ("07367", [(2021, "plan", "先進地視察と地域ビジョン策定", 500, None, {}),
                    (2022, "project", "デマンド交通の実証運行", 1800, None, {}),
                    (2023, "project", "除雪支援隊の組織化", 1400, None, {})]),
    "C": ("07211", [(2021, "plan", "集落アンケート調査と計画策定", 420, None, {}),
                    (2022, "project", "空き店舗を活用した交流サロン整備", 2200, None, {})]),
    "D": ("07483", [(2021, "plan", "住民座談会と計画づくり", 400, None, {}),
                    (2022, "project", "コミュニティカーシェアの試験導入", 1100, None, {}),
                    (2023, "project", "カーシェア運行体制の拡充", 1000, None, {}),
                    (2024, "project", "カーシェアと買物支援の連携", 1000, None, {}),
                    (2025, "project", "カーシェアの自主運営化", 900, None, {})]),
    "F": ("07445", [(2021, "plan", "地域づくり勉強会の開催", 380, None, {}),
                    (2022, "project", "デマンド型乗合タクシーの試験運行", 1300, None, {}),
                    (2023, "project", "デマンド型乗合タクシーの試験運行", 1300, None, {})]),
    "U": ("07423", [(2021, "plan", "地域デザインの策定", 450, None, {}),
                    (2022, "project", "高齢者見守りネットワークの構築", 2000, 1900, {})]),
    "M1": ("07482", [(2022, "plan", "有識者を招いた勉強会と計画策定", 520, None, {}),
                     (2023, "project", "道の駅と周辺集落の農産物集出荷体制の構築", 2000, None, {}),
                     (2024, "project", "集出荷と買物支援の一体化", 1800, None, {})]),
    "M2": ("07503", [(2022, "plan", "地域課題の分析・調査", 350, None, {}),
                     (2023, "project", "サロン運営と配食の試行", 1200, None, {}),
                     (2024, "project", "配食サービスの本格運営", 1100, None, {})]),
    "J": ("07367", [(2022, "plan", "地区将来ビジョンの策定", 500, None, {}),
                    (2023, "project", "拠点施設の改修と交流事業", 2000, None, {}),
                    (2024, "project", "交流事業と移動支援の拡充", 1800, None, {}),
                    (2025, "project", "移動支援の自立運営", 1500, None, {})]),
    "K": ("07208", [(2023, "plan", "住民ワークショップと計画策定", 400, None, {}),
                    (2023, "project", "買物支援の試行", 1000, None, {}),
                    (2024, "project", "買物支援と見守りの連携", 1200, None, {})]),
    "S": ("07368", [(2022, "project", "既存計画に基づく交流拠点の運営改善", 1500, None, {"equivalent": True}),
                    (2023, "project", "交流拠点の運営と送迎支援", 1400, None, {"equivalent": True})]),
    "V1": ("07344", [(2022, "plan", "計画策定のための調査とワークショップ", 580, 520, {}),
                     (2023, "project", "移動支援の試行", 1500, None, {})]),
    "V3": ("07444", [(2021, "plan", "地域課題の整理", 300, None, {}),
                     (2022, "plan", "住民合意形成の座談会", 300, None, {}),
                     (2023, "plan", "計画書の取りまとめ", 300, None, {}),
                     (2024, "project", "サロンと見守りの立ち上げ", 1200, None, {})]),
    "V6": ("07408", [(2024, "project", "冬期の除雪支援体制づくり", 1000, None, {})]),
    "V7": ("07522", [(2023, "plan", "地域運営組織による計画策定", 450, None, {"indirect": True}),
                     (2024, "project", "移動販売の試験運行", 1400, None, {"indirect": True})]),
    "Q": ("07564", [(2021, "plan", "帰還住民と地域の将来像の検討", 500, None, {}),
                    (2024, "project", "交流サロンの開設", 1300, None, {}),
                    (2025, "project", "サロンと移動支援の連携", 1200, None, {}),
                    (2026, "project", "移動支援の自主運営化", 1000, None, {})]),
    "W": ("07484", [(2021, "plan", "住民アンケートと座談会", 400, None, {}),
                    (2022, "project", "配食サービスの試行", 900, None, {}),
                    (2023, "project", "配食と見守りの連携", 1000, None, {})]),
    "O": ("07484", [(2025, "plan", "第2地区の計画づくり", 450, None, {})]),
    "P1": ("07405", [(2024, "plan", "集落点検と計画策定", 460, None, {}),
                     (2025, "project", "雪かき・買物支援の試行", 1500, None, {}),
                     (2026, "project", "生活支援サービスの拡充", 1600, None, {})]),
    "P2": ("07446", [(2024, "plan", "地域の将来像の話合い", 300, None, {}),
                     (2025, "plan", "計画書の策定", 300, None, {}),
                     (2026, "project", "交流拠点づくり", None, None, {"status": "採択"})]),
    "P3": ("07505", [(2025, "plan", "勉強会と先進地視察", 556, None, {}),
                     (2026, "project", "移動支援の実証", 1200, None, {})]),
    "P5": ("07362", [(2026, "plan", "地区ビジョンの策定", 400, None, {})]),
    "R": ("07447", [(2024, "plan", "計画策定", 450, None, {"status": "取下げ"}),
                    (2025, "plan", "住民主体の計画づくり", 500, None, {}),
                    (2026, "project", "見守りと配食の試行", 1300, None, {})]),
}  # fmt: skip

# The rule breaches and the advice the sample contains on purpose, by district tag.
DOCUMENTED_FINDINGS = (
    ("U", "R2", "error", 2022, "補助率95%（補助対象経費2,000千円に補助金1,900千円）"),
    ("V1", "R3", "error", 2022, "計画策定事業 520千円（上限500千円）"),
    ("V3", "R3", "error", 2023, "計画策定事業を3か年度（上限2か年度）"),
    ("J", "R4", "error", 2025, "累計5,220千円（上限5,000千円）"),
    ("D", "R5", "error", 2025, "小さな拠点づくり事業を4か年度（上限3か年度）"),
    ("Q", "R5", "error", 2026, "計画策定2021年度から事業2026年度まで6か年度（上限5か年度）"),
    ("V6", "R6", "error", 2024, "計画策定も同等計画もないまま小さな拠点づくり事業"),
    ("V7", "R1", "error", 2023, "計画策定事業で間接補助"),
    ("K", "R6", "advice", 2023, "計画策定と事業を同一年度に実施"),
    ("J", "R7", "advice", 2022, "只見町の2地区目"),
    ("K", "R7", "advice", 2023, "喜多方市の2地区目"),
    ("O", "R7", "advice", 2025, "鮫川村の2地区目"),
    ("F", "R8", "advice", 2023, "同一事業名を2年連続"),
)
EXACT_CAP_TAG = "P3"  # its 2025 planning grant is exactly 500,000 yen: at the cap, not over it


@dataclass
class SampleGrant:
    tag: str
    fiscal_year: int
    municipality_code: str
    district: str
    program: str
    project_name: str
    total_cost_yen: int | None
    eligible_cost_yen: int | None
    grant_yen: int | None
    implementing_body: str
    is_indirect: bool
    has_equivalent_plan: bool | None
    status: str
    amount_basis: str


CURRENT_FY = 2026


def _grant_row(rng, tag, code, muni_name, district, rmo_name, entry) -> SampleGrant:
    year, program, name, eligible_k, grant_k, options = entry
    status = options.get("status") or ("交付決定" if year == CURRENT_FY else "完了")
    if eligible_k is None or status == "取下げ":
        eligible = total = grant = None
    else:
        eligible = eligible_k * 1000
        grant = grant_k * 1000 if grant_k else (eligible * 9 // 10) // 1000 * 1000
        grant = min(grant, 500_000) if program == "plan" and grant_k is None else grant
        total = eligible + rng.choice((0, 0, 50, 100, 200)) * 1000
    indirect = bool(options.get("indirect"))
    body = (rmo_name or f"{district.removesuffix('地区')}地区振興協議会") if indirect else muni_name
    return SampleGrant(
        tag=tag, fiscal_year=year, municipality_code=code, district=district, program=program,
        project_name=name, total_cost_yen=total, eligible_cost_yen=eligible, grant_yen=grant,
        implementing_body=body, is_indirect=indirect,
        has_equivalent_plan=True if options.get("equivalent") else None, status=status,
        amount_basis="交付決定額" if year == CURRENT_FY else "実績額",
    )  # fmt: skip


def fukushima_grants(municipalities: dict, hubs: list[SampleHub], names: Names,
                     rng: random.Random) -> list[SampleGrant]:  # fmt: skip
    """Grant records 2021-2026; districts with a tag of a hub share that hub's 地区名."""
    by_tag = {h.tag: h for h in hubs if h.tag}
    existing = [h for h in hubs if h.municipality_code == "07368" and h.first_year == 2020]
    grants = []
    for tag, (code, entries) in GRANT_PLAN.items():
        hub = by_tag.get(tag) or (existing[0] if tag == "S" else None)
        district = hub.district if hub else names.district(code)
        rmo_name = hub.rmo_name if hub else None
        for entry in entries:
            grants.append(
                _grant_row(rng, tag, code, municipalities[code].name, district, rmo_name, entry)
            )
    return sorted(grants, key=lambda g: (g.fiscal_year, g.municipality_code, g.district, g.program))


@dataclass
class SampleCooperative:
    fiscal_year: int
    name: str
    municipality_code: str
    certified_on: str  # 和暦, as the prefecture writes it
    members: int
    dispatched: int


# 鳥取県's three certified cooperatives. 智頭町's 令和5年度 figures (14 members, 9 dispatched) are
# the ones in 鳥取県's report; the other figures are invented.
COOPERATIVES = (
    ("智頭町複業協同組合", "31328", "令和3年6月1日", {2021: (8, 3), 2022: (11, 6), 2023: (14, 9), 2024: (15, 12)}),
    ("日野町地域づくり事業協同組合", "31402", "令和3年3月26日", {2021: (6, 2), 2022: (7, 4), 2023: (8, 5), 2024: (9, 6)}),
    ("若桜町特定地域づくり事業協同組合", "31325", "令和4年4月1日", {2022: (5, 1), 2023: (6, 3), 2024: (7, 4)}),
)  # fmt: skip


def tottori_cooperatives() -> list[SampleCooperative]:
    rows = []
    for name, code, certified, years in COOPERATIVES:
        for year, (members, dispatched) in years.items():
            rows.append(SampleCooperative(year, name, code, certified, members, dispatched))
    return sorted(rows, key=lambda r: (r.fiscal_year, r.municipality_code))
