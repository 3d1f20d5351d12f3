"""A realistic demo installation: one contract with Koganei City, its people, places and media.

Everything goes through the same workflows as real use, with the clock set back so the history
spreads over the past weeks; ``mediatrail verify`` passes on the result.
"""

from __future__ import annotations

import random
from datetime import timedelta

from tracker import timeutil
from tracker.models import Event, User
from tracker.workflows import labelling, media, people, places

DEMO_PASSWORD = "mediatrail-demo"
CONTRACT = "KG26"

PEOPLE = (
    # login, name, role, organisation, title
    ("admin", "システム管理者", "admin", "株式会社武蔵野データサービス", "情報システム課"),
    ("yamada", "山田 太郎", "contractor", "株式会社武蔵野データサービス", "取扱責任者"),
    ("sato", "佐藤 花子", "contractor", "株式会社武蔵野データサービス", "入力オペレーター"),
    ("suzuki", "鈴木 一郎", "contractor", "株式会社武蔵野データサービス", "入力オペレーター"),
    ("takahashi", "高橋 美咲", "municipality", "小金井市 市民部 市民税課", "主査"),
)

# kind, title, personal-information items, records (range), electronic details
MEDIA_TEMPLATES = (
    ("paper", "令和8年度 給与支払報告書（原票）", ["氏名", "住所", "生年月日", "個人番号", "給与支払額"], (50, 500)),
    ("paper", "公的年金等支払報告書（原票）", ["氏名", "住所", "個人番号", "支払金額"], (30, 300)),
    ("usb", "課税資料パンチデータ", ["氏名", "住所", "個人番号", "所得金額"], (1000, 20000)),
    ("optical", "課税資料イメージデータ（DVD-R）", ["氏名", "住所", "所得金額"], (500, 8000)),
    ("hdd", "入力作業用バックアップ", ["氏名", "住所", "個人番号", "所得金額", "扶養情報"], (5000, 60000)),
    ("ssd", "作業端末データ", ["氏名", "住所", "所得金額"], (2000, 30000)),
    ("tape", "月次バックアップテープ", ["氏名", "住所", "個人番号"], (10000, 80000)),
)
MAKERS = {
    "usb": ("I-O DATA", "ED-E4/32G"), "hdd": ("BUFFALO", "HD-PCG1.0U3"), "ssd": ("Samsung", "T7 500GB"),
    "optical": ("Verbatim", "DHR47J"), "tape": ("IBM", "LTO-8"),
}


def seed(media_count: int = 40, seed_value: int = 2026) -> dict:
    """Create the demo records; refuses a database that already holds events."""
    if Event.select().exists():
        return {"seeded": False}
    rng = random.Random(seed_value)
    start = timeutil.utc_now() - timedelta(days=45)
    with timeutil.clock_at(start):
        actors = _people()
        cabinet = places.create_location(actors["admin"], "施錠キャビネットA", "cabinet", "storage", site="本社 東小金井", room="2階 保管室", check_interval_days=30)
        safe = places.create_location(actors["admin"], "耐火金庫1", "safe", "storage", site="本社 東小金井", room="2階 保管室", check_interval_days=30)
        work_room = places.create_location(actors["admin"], "入力作業室", "room", "work", site="本社 東小金井", room="3階 301（入退室管理）", lockable=True)
    workers = [actors["sato"], actors["suzuki"]]
    slot = timedelta(days=40) / max(media_count, 1)  # each medium's history fits in its slot
    for number in range(media_count):
        moment = start + timedelta(days=1) + slot * number
        with timeutil.clock_at(moment):
            _one_medium(rng, number, workers[number % 2], (cabinet, safe), work_room, moment, slot)
    return {"seeded": True, "media": media_count}


def _people() -> dict[str, User]:
    actors = {}
    for login, name, role, organisation, title in PEOPLE:
        actors[login] = people.create_user(actors.get("admin"), login, name, role, DEMO_PASSWORD, organisation=organisation, title=title)
    admin = actors["admin"]
    people.create_contract(
        admin, CONTRACT, "令和8年度 市民税課税資料入力業務委託", "小金井市", contractor="株式会社武蔵野データサービス",
        client_section="市民部 市民税課", contractor_address="東京都小金井市梶野町5丁目", contract_number="小金井市契約第2026-0412号",
        period_start="2026-04-01", period_end="2027-03-31",
    )
    today = timeutil.utc_now().astimezone(timeutil.JST).date().isoformat()
    people.add_to_roster(admin, CONTRACT, "yamada", "responsible", reported_on=today)
    people.sign_pledge(actors["yamada"], CONTRACT)
    for login in ("sato", "suzuki"):
        people.add_to_roster(actors["yamada"], CONTRACT, login, "worker", reported_on=today)
        people.sign_pledge(actors[login], CONTRACT)
    return actors


def _one_medium(rng, number, worker, storage_places, work_room, moment, slot) -> None:
    kind, title, items, (low, high) = MEDIA_TEMPLATES[number % len(MEDIA_TEMPLATES)]
    maker, model = MAKERS.get(kind, ("", ""))
    electronic = kind != "paper"
    medium = media.register(
        worker, CONTRACT, kind, f"{title} 第{number // len(MEDIA_TEMPLATES) + 1}回",
        pi_items=items, record_count=rng.randint(low, high), quantity=rng.randint(1, 5) if kind == "paper" else 1,
        manufacturer=maker, model=model, serial_number=f"SN{rng.randint(10**7, 10**8 - 1)}" if electronic else "",
        encrypted=electronic, encryption="AES-256（BitLocker To Go）" if electronic else "",
        seal_number=f"S-{rng.randint(1000, 9999)}" if rng.random() < 0.5 else "",
    )
    labelling.record_print(worker, [medium.id], "a4-24")
    place = storage_places[number % len(storage_places)]
    roll = rng.random()
    if roll < 0.08:
        return  # received at the handover, not yet put away: the dashboard shows it
    media.store(worker, medium.id, place.code)
    if roll < 0.30:
        with timeutil.clock_at(moment + slot * 0.3):
            due = (moment + timedelta(days=rng.choice((1, 3, 7, 60)))).astimezone(timeutil.JST).date().isoformat()
            media.take_out(worker, medium.id, work_room.code, "課税資料の入力作業", due)
        if roll < 0.18:
            with timeutil.clock_at(moment + slot * 0.6):
                media.store(worker, medium.id, place.code)
