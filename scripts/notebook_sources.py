"""Cell sources of the check notebooks and of the runner's test fixtures (see build_notebooks.py).

Each notebook is a list of ``(kind, source, tags)``; kind is ``md`` or ``code``.
"""

from __future__ import annotations

PARAMETERS = '''
# Parameters (papermill injects a cell after this one; see docs/DESIGN.md)
city_code = "99201"       # 5-digit area code
period = "2024"           # fiscal year, or 2024Q4 / 2024-12 / 2024H2
logic_model_path = ""     # empty: from the city's settings
source = "demo"           # demo | estat-api | estat-csv
peer_group = ""           # empty: from the city's settings
lang = "ja"               # ja | en
output_dir = ""           # where figures/tables are saved; empty: none
'''

VALIDATE = '''
from sckpi_helpers import notebook_support as ns

P = ns.validate_parameters(city_code, period, logic_model_path, source, peer_group, lang, output_dir)
'''

# ------------------------------------------------------------------------------------------------
# test fixtures: tiny, no data needed; behaviour switched by environment variables the tests set
# ------------------------------------------------------------------------------------------------

_PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _fixture(name: str, title: str) -> list[tuple[str, str, list[str]]]:
    return [
        ("md", f"# {title}\n\nテスト用の小さなノートブック（{name}）。", []),
        ("code", PARAMETERS, ["parameters"]),
        ("code", VALIDATE.replace("output_dir)", "output_dir, setup=False)"), []),
        ("code", f'''
import base64
import os

import pandas as pd
from IPython.display import Image, display

NAME = "{name}"
ns.show_heading(f"{{P.city_name}} {{P.period_ja}} {{NAME}}")
ns.show_table(pd.DataFrame({{"name": [P.city_name, "<b>指標</b>"], "status": ["achieved", "behind"]}}),
              columns={{"name": "指標名", "status": "状況"}}, params=P, name="table")
display(Image(data=base64.b64decode("{_PNG_1PX}"), format="png"), metadata={{"alt": "1px"}})
_ = ns.publish_summary(P, f"{{NAME}}: {{P.city_name}}")
''', []),
        ("md", "## 結果の確認", []),
        ("code", '''
if os.environ.get("SCKPI_FIXTURE_LEAK"):
    print("appId in output:", os.environ.get("ESTAT_APP_ID"))
if NAME in os.environ.get("SCKPI_FIXTURE_FAIL", "").split(","):
    raise RuntimeError(f"fixture failure in {NAME} <script>alert('x')</script>")
print("fixture done:", NAME)
''', []),
    ]


FIXTURES = {
    "check1_outputs": _fixture("check1_outputs", "Check❶ アウトプット（フィクスチャ）"),
    "check2_outcome1": _fixture("check2_outcome1", "Check❷ アウトカム第1階層（フィクスチャ）"),
    "check3_outcome2": _fixture("check3_outcome2", "Check❸ アウトカム第2階層（フィクスチャ）"),
    "check4_outcome3": _fixture("check4_outcome3", "Check❹ アウトカム第3階層（フィクスチャ）"),
    "00_ingest": _fixture("00_ingest", "データ取込（フィクスチャ）"),
}

NOTEBOOKS: dict[str, list[tuple[str, str, list[str]]]] = {}
