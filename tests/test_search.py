"""Media search through the text index (SQLite FTS5 trigram / PostgreSQL pg_trgm): substrings of
three characters or more anywhere, shorter ones at the start, typed wildcards as plain text."""

from __future__ import annotations

from tests.conftest import login
from tracker import db, queries, search
from tracker.models import create_schema
from tracker.workflows import media, tokens


def found(cast, text: str) -> list[str]:
    return [medium.id for medium in queries.search_media(["KG26"], queries.MediaFilter(text=text)).media]


def test_substrings_anywhere_in_any_field_whatever_the_case(cast):
    tax = media.register(cast.worker, "KG26", "paper", "住民税課税資料", description="令和7年度 第2期分")
    usb = media.register(cast.worker, "KG26", "usb", "転送用USB", serial_number="SN-AbC-777", seal_number="S-0042",
                         encrypted=True, encryption="AES-256")
    assert found(cast, "課税資") == [tax.id]
    assert found(cast, "第2期") == [tax.id]
    assert found(cast, "abc-7") == [usb.id] and found(cast, "ABC") == [usb.id]
    assert found(cast, "0042") == [usb.id]
    assert found(cast, tax.id[2:]) == [tax.id]
    media.register(cast.worker, "KG26", "paper", "課税台帳")  # a changed row is found by its new text
    assert len(found(cast, "課税台")) == 1


def test_one_or_two_characters_match_the_start_of_a_field(cast):
    tax = media.register(cast.worker, "KG26", "paper", "課税資料")
    media.register(cast.worker, "KG26", "paper", "住民税課税")
    assert found(cast, "課税") == [tax.id]
    assert search.is_prefix_only("課税") and not search.is_prefix_only("課税資")


def test_wildcards_and_huge_text_are_plain_text_answered_at_once(client, cast):
    media.register(cast.worker, "KG26", "paper", "資料100%確認")
    media.register(cast.worker, "KG26", "paper", "普通の資料")
    assert found(cast, "%%%") == [] and found(cast, "___") == [] and found(cast, "%") == [] and found(cast, "_") == []
    assert len(found(cast, "100%")) == 1
    login(client, "sato")
    response = client.get("/media", query_string={"q": "%" * 10_000})
    assert response.status_code == 200 and "該当する媒体はありません" in response.get_data(as_text=True)
    response = client.get("/media", query_string={"q": "資料" * 5_000})
    assert response.status_code == 200 and "該当する媒体はありません" in response.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'station')}"}
    refused = client.get("/api/v1/media", query_string={"q": "x" * 10_000}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["field"] == "q"
    assert client.get("/api/v1/media", query_string={"q": "%_%_"}, headers=headers).get_json()["media"] == []


def test_the_index_reads_matches_only(cast):
    """The plan of a search: the text index leads, the medium table is read by row ID."""
    media.register(cast.worker, "KG26", "paper", "課税資料")
    query = queries._matching(["KG26"], queries.MediaFilter(text="課税資料")).order_by(queries.Medium.id).limit(50)
    sql, params = query.sql()
    if db.is_sqlite():
        plan = " | ".join(row[3] for row in db.database.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
        assert "medium_search VIRTUAL TABLE" in plan and "SCAN t1" not in plan, plan
    else:
        with db.database.atomic():  # a table of one row: ask whether the index can serve, not whether it is cheaper
            db.database.execute_sql("SET LOCAL enable_seqscan = off")
            db.database.execute_sql("SET LOCAL enable_indexscan = off")
            sql, params = queries.Medium.select().where(search.matching("課税資料")).sql()  # the text alone
            plan = " | ".join(row[0] for row in db.database.execute_sql("EXPLAIN " + sql, params))
        assert "medium_search_trgm" in plan, plan


def test_an_older_data_folder_gets_the_index_filled(cast):
    tax = media.register(cast.worker, "KG26", "paper", "住民税課税資料")
    if db.is_sqlite():
        for name in ("medium_search_insert", "medium_search_delete", "medium_search_update"):
            db.database.execute_sql(f"DROP TRIGGER {name}")
        db.database.execute_sql("DROP TABLE medium_search")
    else:
        db.database.execute_sql("DROP INDEX medium_search_trgm")
    create_schema()
    assert found(cast, "課税資") == [tax.id]
