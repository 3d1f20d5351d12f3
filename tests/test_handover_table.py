"""The handover at the table, on a phone (issue #13): the reconciliation shows the city's 管理番号,
each line's quantity with its counting word, and whether it was scanned, in words; the label-printing
ticks are their own column and say so; the receipt prints the 管理番号 too."""

from __future__ import annotations

import re

from conftest import login
from tracker.workflows import handovers

LIST = "管理番号,名称,種類,数量,件数\nR6-ZEI-001,申告書 第1箱,紙,1200,1200\nR6-ZEI-002,課税データ,USBメモリ,1,5000\n".encode()


def test_the_reconciliation_shows_reference_quantity_and_scanned_state(client, cast, settings, tmp_path):
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    paper, stick = handovers.import_list(cast.worker, handover.number, "list.csv", LIST)
    handovers.scan(cast.worker, handover.number, paper.id)
    login(client, "takahashi")
    page = client.get(f"/handovers/{handover.number}").get_data(as_text=True)
    rows = {medium.id: re.search(rf"<tr class=\"[^\"]*\">((?:(?!</tr>).)*{medium.id}(?:(?!</tr>).)*)</tr>", page, re.S).group(1)
            for medium in (paper, stick)}
    assert "R6-ZEI-001" in rows[paper.id] and "1,200枚" in rows[paper.id] and "読取り済" in rows[paper.id]
    assert "R6-ZEI-002" in rows[stick.id] and "1個" in rows[stick.id] and "未読取り" in rows[stick.id]
    assert "ラベルを印刷" in rows[stick.id]  # the tick names what it does, beside a line not scanned
    assert '<th>ラベル印刷</th></tr>' in page  # the last column, apart from the scanned state

    handovers.scan(cast.worker, handover.number, stick.id)
    handovers.sign(cast.worker, handover.number)
    document = handovers.confirm(cast.city, handover.number, settings)
    from test_documents import pdf_text
    from tracker.workflows import papers

    text = pdf_text(papers.content(settings, document), tmp_path)
    assert "管理番号 R6-ZEI-001" in text and "管理番号 R6-ZEI-002" in text


def test_an_exact_id_or_a_scanned_label_in_the_search_box_opens_the_medium(client, cast, settings):
    from labels.payload import medium_url
    from tracker.workflows import media

    medium = media.register(cast.worker, "KG26", "usb", "課税データ")
    login(client, "sato")
    for typed in (medium.id, medium.id.lower(), "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in medium.id),
                  medium_url(medium.id, settings.secret, settings.base_url)):
        response = client.get("/media", query_string={"q": typed})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/media/{medium.id}"), typed
    for other in ("課税", medium.id[:-2], "KG26-99999-9", medium_url(medium.id, b"another installation", settings.base_url)):
        assert client.get("/media", query_string={"q": other}).status_code == 200, other  # the list, searched
