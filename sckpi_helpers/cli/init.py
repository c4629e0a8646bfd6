"""``sckpi init --city CODE``: scaffold a city's folder ``data/raw/<city>/`` so a clerk can start.

Writes, in this order (each needs the one before): ``settings.yaml`` (the real area name, the data
source the user has), a commented starter ``logic_model.yaml`` that validates, and the local-data
workbook made from that logic model; then prints the next command to run. Existing files are
never overwritten without ``--force``; nothing is written unless every file can be.

The area name comes from the bundled SSDSE-A table (``data/raw/ssdse/SSDSE-A-*.csv``: CP932, the
area code as ``R13101`` in the first column, 都道府県 and 市区町村 next to it); when it is absent
or does not know the code, the user is asked for ``--name``.

Stage: ``cli`` (13).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sckpi_helpers import atomic
from sckpi_helpers.config import paths
from sckpi_helpers.config.periods import parse_period_spec
from sckpi_helpers.errors import SckpiError

FILES = ("settings.yaml", "logic_model.yaml", "local_data.xlsx")


def ssdse_area_names(path: str | Path) -> dict[str, tuple[str, str]]:
    """Area code (5 digits) → (都道府県, 市区町村) from an SSDSE-A CSV (the SSDSE reader's names)."""
    from sckpi_helpers.sources.ssdse import municipality_names

    names = municipality_names(path)
    return {c: (p, m) for c, p, m in zip(names["area_code"], names["pref_name"], names["area_name"], strict=True)}


def area_name(code: str, root: Path | None = None) -> str | None:
    """The municipality's name from the newest bundled SSDSE-A file, or None when unknown."""
    files = sorted(((root or paths.raw_dir()) / "ssdse").glob("SSDSE-A-*.csv"))
    if not files:
        return None
    pref_muni = ssdse_area_names(files[-1]).get(code)
    return pref_muni[1] if pref_muni else None


def _default_definition() -> str:
    """The catalog's default 補正人口 definition (written out so the city sees its choice)."""
    from sckpi_helpers.catalog import load_catalog

    return load_catalog().adjusted_population.default


def _settings_text(code: str, name: str, source: str) -> str:
    where = {"estat-api": "# e-Stat API v3: 環境変数 ESTAT_APP_ID にアプリケーションIDを設定してください（ファイルには書きません）",
             "estat-csv": "# e-Stat（地域の統計）からダウンロードした CSV をこのフォルダに置き、estat_csv: に列挙してください",
             "ssdse": "# 統計センターの SSDSE-A（data/raw/ssdse/ に同梱）を使います",
             }[source]
    return (f"# {name}（{code}）の設定 — sckpi init が作成。パスはこのファイルからの相対パスです。\n"
            f'city_code: "{code}"\n'
            f"name_ja: {name}\n"
            f"{where}\n"
            f"source: {source}\n"
            "# 補正人口の定義（sckpi catalog 参照）と比較対象（prefecture = 同じ県の市区町村）\n"
            f"adjusted_population: {_default_definition()}\n"
            "peer_group: prefecture\n"
            "years: 2010-2024\n"
            "logic_model: logic_model.yaml\n"
            "local_data:\n"
            "  - local_data.xlsx\n"
            "external_statistics: []\n"
            "estat_csv: []\n")


def _logic_model_text(code: str, name: str, fy: int) -> str:
    return f"""# {name}（{code}）のロジックモデル — sckpi init が作成した雛形です。
# 施策ごとに measures を書き、箱（boxes）を インプット → 事業・取組 → アウトプット → アウトカム第1〜第3階層 と
# feeds で上向きにつなぎます。指標は catalog: <ID>（sckpi catalog で一覧）か、id/name_ja/unit/direction/cadence
# を書いた地域独自の指標です。下の数値（基準値・目標値）は仮の値です。必ず実際の値に書き換えてください。
# 書き換えたら sckpi template --city {code} --out local_data.xlsx で入力シートを作り直します。
city: {{code: "{code}", name: {name}}}
plan: {{start: {fy}, end: {fy + 4}}}

measures:
  - id: measure1
    name_ja: （施策名）例：AIオンデマンド交通
    field: mobility            # 評価分野: mobility, environment_energy, disaster_crime, health_medical …
    description: （施策の目的を1〜2文で）
    boxes:
      - {{id: resources, tier: input, label: 予算・人員・システム, feeds: [service]}}
      - {{id: service, tier: activity, label: （事業・取組の内容）, feeds: [users]}}
      - id: users
        tier: output
        label: （事業の直接の成果）サービスの利用
        feeds: [outing]
        indicators:
          - id: measure1.users            # 地域データの指標ID（入力シートの「指標ID」）
            name_ja: 利用登録者数（累計）
            unit: 人
            direction: higher
            cadence: quarterly          # 報告の頻度: monthly, quarterly, semiannual, yearly
            baseline: {{value: 0, period: {fy - 1}Q4}}
            targets:
              - {{value: 500, period: {fy + 1}Q4}}
            source: （担当課）利用登録名簿
      - id: outing
        tier: outcome2
        label: 高齢者の外出機会の増加
        feeds: [safety]
        indicators:
          - catalog: t2.transport.outing_rate
            baseline: {{value: 50, period: {fy - 1}}}
            targets:
              - {{value: 55, period: {fy + 3}}}
      - id: safety
        tier: outcome3
        label: 安全で暮らしやすいまち
        indicators:
          - catalog: t3.soc.traffic_accident_rate   # 政府統計から計算（地域データは不要）
            baseline: {{value: 400, period: {fy - 1}}}
            targets:
              - {{value: 360, period: {fy + 3}}}
"""


def cli_init(args: argparse.Namespace) -> int:
    """Handler of ``sckpi init --city CODE [--name NAME] [--source S] [--period P] [--force]``."""
    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.checks.template import logic_model_indicators, write_template
    from sckpi_helpers.sources.logic_model import load_logic_model

    code = args.city
    folder = paths.raw_dir() / code
    name = (getattr(args, "name", None) or "").strip() or area_name(code)
    if not name:
        raise SckpiError(f"団体コード {code} の名前が分かりません（data/raw/ssdse/ の SSDSE-A にありません）。"
                         f"--name で指定してください（例: sckpi init --city {code} --name 千代田区）")
    source = getattr(args, "source", None) or ("estat-api" if os.environ.get("ESTAT_APP_ID") else "ssdse")
    targets = [folder / f for f in FILES]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not getattr(args, "force", False):
        raise SckpiError("既にあるファイルは上書きしません（上書きするなら --force）: " + ", ".join(existing))
    span = parse_period_spec(getattr(args, "periods", None))
    fy = min(span).fiscal_year
    lm_text = _logic_model_text(code, name, fy)
    folder.mkdir(parents=True, exist_ok=True)
    atomic.atomic_write_bytes(targets[0], _settings_text(code, name, source).encode("utf-8"))
    atomic.atomic_write_bytes(targets[1], lm_text.encode("utf-8"))
    catalog = load_catalog()
    specs = logic_model_indicators(load_logic_model(targets[1], catalog), catalog)
    write_template(targets[2], code, specs, span, city_name=name, source=source)
    rel = folder.relative_to(paths.project_root()) if folder.is_relative_to(paths.project_root()) else folder
    print(f"{name}（{code}）のフォルダを作りました: {rel}/")
    for f in FILES:
        print(f"  {rel / f}")
    print("次にすること:")
    print(f"  1. {rel / 'logic_model.yaml'} を施策に合わせて書き換える（仮の基準値・目標値を直す）")
    print(f"  2. {rel / 'local_data.xlsx'} の「値」列に実績を入力する（説明シート参照）")
    if source == "estat-api" and not os.environ.get("ESTAT_APP_ID"):
        print("  （e-Stat API: 環境変数 ESTAT_APP_ID にアプリケーションIDを設定してから）")
    print(f"  3. sckpi ingest --city {code} --source {source}")
    return 0
