"""The demo leaves the README's sample list importable (issue #13): its first handover uses the
demo's own copy of the sample's lines (own 管理番号 and serial numbers)."""

from __future__ import annotations

from tracker import ledger


def test_the_sample_list_imports_into_a_fresh_demo(tmp_path, monkeypatch):
    """The README's first step after the demo: import tracker/samples/handover-list-sample.csv."""
    from tracker import config, db, demo
    from tracker.models import User, create_schema
    from tracker.workflows import handovers

    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = config.load(config.initialise(tmp_path / "demo", base_url="http://mediatrail.test").data_dir)
    db.connect(settings.database_url)
    create_schema()
    demo.seed(0, settings)
    yamada = User.get_by_id("yamada")
    handover = handovers.start(yamada, "KG26", "receive", "2026-12-01 10:00", "小金井市役所", "手渡し", "高橋 美咲")
    imported = handovers.import_list(yamada, handover.number, demo.SAMPLE_LIST.name, demo.SAMPLE_LIST.read_bytes(), settings=settings)
    assert len(imported) == 5 and imported[2].serial_number == "AA1234567890"
    assert ledger.verify(settings.attachments_dir).ok
