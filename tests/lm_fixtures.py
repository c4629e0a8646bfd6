"""Shared by the logic-model tests: the fixture folder and a small stand-in catalog.

The stand-in keeps these tests about the logic-model rules, independent of the real catalog's
content (tests against the real catalog say so in their names).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import yaml

FIX = Path(__file__).parent / "fixtures" / "logic_models"
ROOT = Path(__file__).resolve().parents[1]


def fake_catalog() -> SimpleNamespace:
    """Indicators of ``fixtures/logic_models/fake_catalog.yaml`` as attribute objects."""
    data = yaml.safe_load((FIX / "fake_catalog.yaml").read_text(encoding="utf-8"))
    return SimpleNamespace(indicators={k: SimpleNamespace(id=k, **v) for k, v in data["indicators"].items()})


def load_demo():
    """The real catalog, the demo city's logic model and ``scripts/demo_local.make_local_frame``."""
    import sys

    from sckpi_helpers.catalog import load_catalog
    from sckpi_helpers.sources.logic_model import load_logic_model

    catalog = load_catalog()
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from demo_local import make_local_frame
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    model = load_logic_model(ROOT / "data" / "raw" / "demo" / "logic_model.yaml", catalog)
    return catalog, model, make_local_frame
