"""Reading handover lists: what a large honest list costs, and what hostile files cost now.

    .venv/bin/python bench/bench_list_parse.py [--compare]

Each case runs in a fresh process, so that its peak memory (max RSS) is its own. The hostile
files are the ones of issue #11 and #20: a 2 MB XLSX whose shared-strings table holds a million
tiny strings, a zip bomb, and a sheet of 100,000 rows. ``--compare`` also times openpyxl opening
the shared-strings file directly, as the list reader did before it inspected the zip first.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

from tracker.errors import InvalidInput  # noqa: E402
from tracker.workflows import handover_list  # noqa: E402

KINDS = ["紙", "USBメモリ", "DVD-R", "HDD"]


def city_list(rows: int) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "引渡しリスト"
    sheet["A1"] = "令和8年度 個人住民税 媒体引渡しリスト"
    sheet.merge_cells("A1:J1")
    sheet["A2"] = "市民税課 課税係"
    sheet.append([])
    sheet.append(["No.", "媒体名", "区分", "数", "人数", "個人情報項目", "シリアル番号", "暗号化", "暗号化方式", "管理番号"])
    for line in range(1, rows + 1):
        kind = KINDS[line % 4]
        encrypted = kind != "紙"
        sheet.append([line, f"住民税申告書 第{line}箱", kind, 1, 100 + line, "氏名、住所、個人番号",
                      f"SN{line:06d}" if encrypted else None, "有" if encrypted else "無",
                      "AES-256" if encrypted else None, f"R8-{line:05d}"])
    return workbook


def xlsx(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_csv(rows: int) -> bytes:
    lines = ["令和8年度 個人住民税 媒体引渡しリスト", "", "No.,媒体名,区分,数,人数,シリアル番号,暗号化,暗号化方式,管理番号"]
    for line in range(1, rows + 1):
        kind = KINDS[line % 4]
        encrypted = kind != "紙"
        lines.append(f"{line},住民税申告書 第{line}箱,{kind},1,{100 + line},{f'SN{line:06d}' if encrypted else ''},"
                     f"{'有' if encrypted else '無'},{'AES-256' if encrypted else ''},R8-{line:05d}")
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def with_part(content: bytes, name: str, data: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename != name:
                target.writestr(member.filename, source.read(member))
        target.writestr(name, data)
    return buffer.getvalue()


def shared_strings_bomb() -> bytes:
    """Issue #11: about 2 MB on disk, a million shared strings inside."""
    count = 1_000_000
    strings = b"".join(b"<si><t>%d</t></si>" % index for index in range(count))
    part = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'count="%d" uniqueCount="%d">' % (count, count)) + strings + b"</sst>"
    content = xlsx(city_list(3))
    content = with_part(content, "xl/sharedStrings.xml", part)
    types = zipfile.ZipFile(io.BytesIO(content)).read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                     b'spreadsheetml.sharedStrings+xml"/></Types>')
    content = with_part(content, "[Content_Types].xml", types)
    rels = zipfile.ZipFile(io.BytesIO(content)).read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                             b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    return with_part(content, "xl/_rels/workbook.xml.rels", rels)


def zip_bomb() -> bytes:
    return with_part(xlsx(city_list(3)), "xl/worksheets/sheet2.xml", b"\0" * (1024 * 1024 * 1024))


def hundred_thousand_rows() -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("一覧")
    sheet.append(["名称", "種類"])
    for line in range(100_000):
        sheet.append([f"申告書 {line}", "紙"])
    return xlsx(workbook)


def run(case: str, filename: str, content: bytes, queue) -> None:
    started = time.perf_counter()
    try:
        outcome = f"{len(handover_list.parse(filename, content).rows):,} rows read"
    except InvalidInput as error:
        outcome = "refused: " + error.message_en[:70]
    seconds = time.perf_counter() - started
    queue.put((case, len(content), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, outcome))


def run_openpyxl(case: str, filename: str, content: bytes, queue) -> None:
    started = time.perf_counter()
    openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True).close()
    seconds = time.perf_counter() - started
    queue.put((case, len(content), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "opened by openpyxl alone"))


def measure(target, case: str, filename: str, content: bytes):
    queue = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=target, args=(case, filename, content, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--compare", action="store_true", help="also time openpyxl opening the shared-strings file directly")
    compare = parser.parse_args().compare
    bomb = shared_strings_bomb()
    cases = [
        ("5,000-row city list, XLSX (title, merged cells, 10 columns)", "list.xlsx", xlsx(city_list(5000))),
        ("5,000-row city list, CSV Shift_JIS (title line)", "list.csv", as_csv(5000)),
        ("2 MB XLSX, 1,000,000 shared strings (#11)", "list.xlsx", bomb),
        ("zip bomb: a part of 1 GiB of zeros", "list.xlsx", zip_bomb()),
        ("a sheet of 100,000 rows", "list.xlsx", hundred_thousand_rows()),
    ]
    results = [measure(run, *case) for case in cases]
    if compare:
        results.append(measure(run_openpyxl, "the #11 file opened by openpyxl directly (before)", "list.xlsx", bomb))
    print("| file | bytes | seconds | peak MB | outcome |")
    print("|---|---:|---:|---:|---|")
    for case, size, seconds, peak, outcome in results:
        print(f"| {case} | {size:,} | {seconds:.2f} | {peak:,.0f} | {outcome} |")


if __name__ == "__main__":
    main()
