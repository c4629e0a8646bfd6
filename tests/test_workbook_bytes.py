"""Every workbook the kit writes (local-data template, report attachments, demo data) has the same
bytes for the same content, whenever it is saved (atomic.workbook_bytes): a fresh clone once failed
the workbook-determinism test because openpyxl stamps the save time into docProps/core.xml and the
zip entries."""

from __future__ import annotations

import io
import time
import zipfile

from openpyxl import Workbook, load_workbook

from sckpi_helpers.atomic import XLSX_STAMP, workbook_bytes


def _book() -> Workbook:
    wb = Workbook()
    wb.active.title = "データ"
    wb.active.append(["指標", "値"])
    wb.active.append(["見守りカメラ設置数", 12])
    return wb


def test_a_workbook_saved_later_has_the_same_bytes(monkeypatch):
    first = workbook_bytes(_book())
    later = time.time() + 3 * 3600 + 61  # another hour, minute and second
    monkeypatch.setattr(time, "time", lambda: later)
    assert workbook_bytes(_book()) == first


def test_document_dates_and_zip_entries_carry_the_fixed_stamp():
    data = workbook_bytes(_book())
    props = load_workbook(io.BytesIO(data)).properties
    assert props.created == XLSX_STAMP and props.modified == XLSX_STAMP
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {XLSX_STAMP.timetuple()[:6]}
