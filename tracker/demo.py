"""A realistic demo installation: one contract with Koganei City, its people, places and media,
and the custody story a person opening the app should see on every page.

Everything goes through the same workflows as real use, with the clock set back so the history
spreads over the past weeks; ``mediatrail verify`` passes on the result. The story, in order:

* day 0 — the roster: yamada (responsible person), sato and suzuki, each added on an application
  takahashi approved; yamada and sato sign their pledges on screen, suzuki signs the workers' form
  by hand and yamada uploads the scan, which is not yet handed to the city; the work room is
  reported as the contract's work place and takahashi acknowledges it; day 1 takahashi confirms
  yamada's pledge and the roster paper (名簿) is issued; day 3 yamada and sato attend the training
  (suzuki does not: his first training is past due, flagged on the dashboard); day 20 a
  supervision check;
* day 1 — the city hands the media over with its list (the sample list, plus generated lines
  when more media are asked for): the list is imported, the labels printed and scanned, one
  line is not handed over (未受領 on the receipt), the worker signs, takahashi confirms (預り証);
  the media are put away in the cabinet and the safe;
* day 2–42 — media are taken out to the work room and brought back (some late, some not yet);
* day 8 — two media are moved to a second storage site (transfer record issued);
* day 15–16 — a copy is asked for, approved by the city and made;
* day 20–21 — the cabinet's storage check finds everything; yamada signs it off (保管状況点検報告),
  so its next check falls due in the coming days;
* day 25 — three media are returned to the city (返還受領書);
* day 30–33 — an HDD and a box of paper are destroyed: applied for, approved by takahashi, their
  labels read at the destruction station, photographed before and after (JPEGs whose EXIF time
  is the backdated clock), takahashi witnesses with her own login, the 消去・廃棄証明書 is issued;
* day 40 — a second transfer leaves and is still on its way (移送中);
* day 41–42 — the safe's storage check misses a DVD-R: it is recorded as lost, the incident gets
  its response plan and the preliminary report (速報) goes to the city; the check awaits sign-off;
* day 42 — another copy is asked for and waits for the city's approval;
* day 43 — a second handover is scanned and signed, and waits for the city's confirmation;
* day 44 — an SSD's erasure is applied for and waits for the city's approval;
* day 45 — yamada applies to add ito, a dispatched worker, who waits for the city's approval and
  cannot handle media until then.

Beside it runs a second contract, with Mitaka City, under the generic provision profile (the
national guidance's baseline, stricter than Koganei's text: the city witnesses every destruction,
a first incident report within 24 hours, DIN levels of 4): three media received without a list
and an application to destroy one, with the witness the profile demands, waiting for the city.
Its inspection page and papers show the other profile's articles, titles and addressee.

The second storage site is never checked, so its check is overdue. Seven papers are issued in all
(each PDF costs a second or two to render). The two destroyed media come on top of the media
asked for, so the labels left to print are as many as without them.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from labels import payload as label_payload
from tracker import timeutil
from tracker.models import Event, Medium, User
from tracker.workflows import (
    checks,
    contracts,
    copies,
    destruction,
    electronic,
    handovers,
    incident_instructions,
    incidents,
    labelling,
    media,
    notices,
    people,
    places,
    pledges,
    response_plans,
    roster,
    scans,
    subcontracting,
    training,
    transfers,
    workplaces,
)

DEMO_PASSWORD = "mediatrail-demo"
CONTRACT = "KG26"
GENERIC_CONTRACT = "MT26"  # with Mitaka City, under the generic provision profile
SAMPLE_LIST = Path(__file__).parent / "samples" / "handover-list-sample.csv"

PEOPLE = (
    # login, name, role, organisation, title
    ("admin", "システム管理者", "admin", "株式会社武蔵野データサービス", "情報システム課"),
    ("yamada", "山田 太郎", "contractor", "株式会社武蔵野データサービス", "取扱責任者"),
    ("sato", "佐藤 花子", "contractor", "株式会社武蔵野データサービス", "入力オペレーター"),
    ("suzuki", "鈴木 一郎", "contractor", "株式会社武蔵野データサービス", "入力オペレーター"),
    ("ito", "伊藤 由美", "contractor", "株式会社ひかり人材サービス", "入力オペレーター（派遣）"),
    ("takahashi", "高橋 美咲", "municipality", "小金井市 市民部 市民税課", "主査"),
    ("kobayashi", "小林 健一", "municipality", "三鷹市 健康福祉部 健康推進課", "係長"),
)

# kind, title, personal-information items, records (range): the lines generated beyond the sample
MEDIA_TEMPLATES = (
    ("paper", "令和8年度 給与支払報告書（原票）", ["氏名", "住所", "生年月日", "個人番号", "給与支払額"], (50, 500)),
    ("paper", "公的年金等支払報告書（原票）", ["氏名", "住所", "個人番号", "支払金額"], (30, 300)),
    ("usb", "課税資料パンチデータ", ["氏名", "住所", "個人番号", "所得金額"], (1000, 20000)),
    ("optical", "課税資料イメージデータ（DVD-R）", ["氏名", "住所", "所得金額"], (500, 8000)),
    ("hdd", "入力作業用バックアップ", ["氏名", "住所", "個人番号", "所得金額", "扶養情報"], (5000, 60000)),
    ("ssd", "作業端末データ", ["氏名", "住所", "所得金額"], (2000, 30000)),
    ("tape", "月次バックアップテープ", ["氏名", "住所", "個人番号"], (10000, 80000)),
)
KIND_WORDS = {"paper": "紙（原票）", "usb": "USBメモリ", "optical": "DVD-R", "hdd": "HDD", "ssd": "SSD", "tape": "磁気テープ"}
ENCRYPTION = {"usb": "AES-256（BitLocker To Go）", "optical": "ZIP AES-256（パスワード別送）", "hdd": "BitLocker（XTS-AES 256）",
              "ssd": "BitLocker（XTS-AES 256）", "tape": "LTO ハードウェア暗号化（AES-256）"}

# Parts in the story, by position on the first handover list (its first five lines are the
# sample: two paper boxes, a USB stick, a DVD-R, an HDD). The last line is never handed over.
COPIED = 2  # copy approved and made
SENT_AWAY = 3  # on the transfer still on its way
MOVED = (4, 5)  # moved to the second storage site
COPY_ASKED = 6  # copy waiting for the city's approval
RETURNED = (7, 8, 9)  # returned to the city
DESTRUCTION_ASKED = 10  # an SSD on the destruction application waiting for the city (in the cabinet)
DESTROYED = (16, 12)  # an HDD and a box of paper, destroyed (in the cabinet)
MISSING = 15  # a DVD-R the safe's storage check does not find
MIN_LIST_LINES = 18  # the parts above, the line not handed over, and a few ordinary media
AWAITING_LINES = 2  # on the second handover, waiting for the city's confirmation

# What is done to each destroyed medium (NIST SP 800-88 category, technique, DIN 66399 level).
DESTROY_HDD = {"category": "destroy", "technique": "shred", "level": "H-5",
               "tool": "HDD破砕機 HDS-500（消磁装置 MD-2 で消磁の後に破砕）"}
SHRED_PAPER = {"category": "destroy", "technique": "shred", "level": "P-4", "tool": "業務用シュレッダー MSD-F31（クロスカット）"}
PURGE_SSD = {"category": "purge", "technique": "secure_erase", "tool": "SecureEraser（ATA Secure Erase）", "tool_version": "3.2.1"}


def seed(media_count: int, settings, seed_value: int = 2026) -> dict:
    """Create the demo records (about ``media_count`` media plus the two destroyed, at least 21 in
    all for the whole story);
    refuses a database that already holds events. ``settings``: where issued papers are kept."""
    if Event.select().exists():
        return {"seeded": False}
    story = _Story(random.Random(seed_value), settings)
    story.tell(max(media_count - AWAITING_LINES - 1 + len(DESTROYED), MIN_LIST_LINES))
    return {"seeded": True, "media": Medium.select().count()}


class _Story:
    def __init__(self, rng: random.Random, settings):
        self.rng = rng
        self.settings = settings
        today = timeutil.utc_now().astimezone(timeutil.JST).date()
        self.first_day = datetime.combine(today - timedelta(days=45), datetime.min.time(), timeutil.JST)
        self.serials: set[str] = set()
        self.references = 5  # the sample list's R6-ZEI-001..005
        self.later: list[tuple[datetime, int, Callable[[], None]]] = []
        self.scan_keys = 0

    def day(self, number: float, hour: int = 9, minute: int = 0) -> datetime:
        return self.first_day + timedelta(days=number, hours=hour, minutes=minute)

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        """Do ``action`` later, in time order with everything else scheduled."""
        self.later.append((moment, len(self.later), action))

    def tell(self, list_lines: int) -> None:
        with timeutil.clock_at(self.day(0, 9)):
            self.actors = _people()
            self.people_under_the_contract()
            admin = self.actors["admin"]
            self.cabinet = places.create_location(admin, "施錠キャビネットA", "cabinet", "storage", site="本社 東小金井", room="2階 保管室", check_interval_days=30)
            self.safe = places.create_location(admin, "耐火金庫1", "safe", "storage", site="本社 東小金井", room="2階 保管室", check_interval_days=30)
            self.work_room = places.create_location(admin, "入力作業室", "room", "work", site="本社 東小金井", room="3階 301（入退室管理）", lockable=True)
            workplaces.report(self.actors["yamada"], CONTRACT, self.work_room.code, "東京都小金井市梶野町5丁目 本社 3階 301",
                              "ICカードによる入退室管理、施錠、監視カメラ、私物の持込み禁止")
            workplaces.acknowledge(self.actors["takahashi"], CONTRACT, self.work_room.code)
            self.second_site = places.create_location(admin, "耐火書庫B", "safe", "storage", site="府中データセンター", room="地下1階 保管庫", check_interval_days=30)
        received = self.receive_the_list(list_lines)
        self.put_away_and_work(received)
        self.move_to_second_site([received[index] for index in MOVED])
        self.copy_with_approval(received[COPIED])
        self.check_the_cabinet()
        self.return_to_the_city([received[index] for index in RETURNED])
        self.destroy_with_the_city([received[index] for index in DESTROYED])
        self.transfer_on_its_way(received[SENT_AWAY])
        self.check_the_safe_and_miss(received[MISSING])
        self.copy_waiting(received[COPY_ASKED])
        self.handover_waiting_for_the_city()
        self.destruction_waiting(received[DESTRUCTION_ASKED])
        self.second_contract_under_the_generic_profile()
        self.the_citys_oversight([received[index] for index in MOVED])
        for moment, _order, action in sorted(self.later, key=lambda entry: entry[:2]):
            with timeutil.clock_at(moment):
                action()

    # ---- day 1: the receiving handover -------------------------------------------------------

    def receive_the_list(self, lines: int) -> list[str]:
        """The first handover, confirmed: returns the IDs of the list's media, in line order."""
        yamada, sato, takahashi = self.actors["yamada"], self.actors["sato"], self.actors["takahashi"]
        content = self.sample_lines_as_received() + self.list_lines(lines - 5)
        with timeutil.clock_at(self.day(1, 10)):
            handover = handovers.start(yamada, CONTRACT, "receive", self.local(self.day(1, 10, 30)), "小金井市役所 第二庁舎 市民税課",
                                       "職員による手渡し（施錠ケース）", "高橋 美咲（市民税課 主査）",
                                       storage_plan="本社 2階 保管室の施錠キャビネット・耐火金庫に保管",
                                       disposition_plan="業務完了後、返還の引渡しにより市へ返還")
        with timeutil.clock_at(self.day(1, 10, 5)):
            listed = [medium.id for medium in handovers.import_list(yamada, handover.number, SAMPLE_LIST.name, content,
                                                                          settings=self.settings)]
        with timeutil.clock_at(self.day(1, 10, 10)):
            labelling.record_print(sato, listed, "a4-24")
        step = min(timedelta(seconds=40), timedelta(minutes=40) / len(listed))
        for offset, medium_id in enumerate(listed[:-1]):  # the last line is not handed over
            with timeutil.clock_at(self.day(1, 10, 30) + step * offset):
                handovers.scan(sato, handover.number, medium_id)
        with timeutil.clock_at(self.day(1, 11, 15)):
            handovers.sign(sato, handover.number)
        with timeutil.clock_at(self.day(1, 11, 20)):
            handovers.confirm(takahashi, handover.number, self.settings)
        return listed[:-1]

    def sample_lines_as_received(self) -> bytes:
        """The sample list's five lines, the demo's own copy: the same media in the same order, with
        their own 管理番号 and serial numbers, so that a new user can still import the sample list
        itself into the demo (a serial number already registered is refused as a list mistake)."""
        rows = list(csv.reader(io.StringIO(SAMPLE_LIST.read_bytes().decode("utf-8-sig"))))
        header = rows[0]
        reference, serial = header.index("管理番号"), header.index("製造番号")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows[1:]:
            row[reference] = row[reference].replace("R6-ZEI-", "R6-ZEI-D")
            row[serial] = self.serial() if row[serial] else ""
            writer.writerow(row)
        return out.getvalue().encode("utf-8")

    def list_lines(self, count: int) -> bytes:
        """``count`` more lines for the city's list, in the sample's columns (CSV, CRLF)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for number in range(count):
            kind, title, items, (low, high) = MEDIA_TEMPLATES[number % len(MEDIA_TEMPLATES)]
            electronic = kind != "paper"
            self.references += 1
            writer.writerow([
                f"R6-ZEI-{self.references:03d}", f"{title} 第{number // len(MEDIA_TEMPLATES) + 1}回", KIND_WORDS[kind],
                self.rng.randint(1, 5) if not electronic else 1, f"{self.rng.randint(low, high):,}", "、".join(items),
                self.serial() if electronic else "", "有" if electronic else "無", ENCRYPTION.get(kind, ""),
                f"SEAL-2024-{self.references:04d}" if self.rng.random() < 0.6 else "",
            ])
        return out.getvalue().encode("utf-8")

    def serial(self) -> str:
        while True:
            serial = f"SN{self.rng.randint(10**7, 10**8 - 1)}"
            if serial not in self.serials:
                self.serials.add(serial)
                return serial

    # ---- day 1–42: storage and work ----------------------------------------------------------

    def put_away_and_work(self, received: list[str]) -> None:
        workers = [self.actors["sato"], self.actors["suzuki"]]
        special = {COPIED, SENT_AWAY, COPY_ASKED, *MOVED, *RETURNED, DESTRUCTION_ASKED, *DESTROYED, MISSING}
        step = min(timedelta(minutes=3), timedelta(hours=4) / len(received))
        for index, medium_id in enumerate(received):
            worker = workers[index % 2]
            place = (self.cabinet, self.safe)[index % 2]
            roll = 1.0 if index in special else self.rng.random()
            if roll < 0.10:
                continue  # received at the handover, not yet put away: the dashboard shows it
            with timeutil.clock_at(self.day(1, 13) + step * index):
                media.store(worker, medium_id, place.code)
            if roll >= 0.45:
                continue
            out = self.day(2 + self.rng.uniform(0, 38), 9, self.rng.randint(0, 480))
            due = (out + timedelta(days=self.rng.choice((1, 3, 7, 60)))).astimezone(timeutil.JST).date().isoformat()
            self.at(out, lambda worker=worker, medium_id=medium_id, due=due:
                    media.take_out(worker, medium_id, self.work_room.code, "課税資料の入力作業", due))
            if roll < 0.25:
                back = out + timedelta(days=self.rng.uniform(0.2, 2))
                self.at(back, lambda worker=worker, medium_id=medium_id, place=place: media.store(worker, medium_id, place.code))

    # ---- later: transfers, copies, the return, the waiting handover ---------------------------

    def move_to_second_site(self, medium_ids: list[str]) -> None:
        """Day 8: two media to the second storage site; the transfer record is issued."""
        sato = self.actors["sato"]
        numbers = {}

        def plan():
            numbers["transfer"] = self.plan_transfer("保管場所の分散（耐火書庫への移管）", "T-SEAL-0001").number

        self.at(self.day(8, 9, 30), plan)
        for offset, medium_id in enumerate(medium_ids):
            self.at(self.day(8, 10, offset), lambda medium_id=medium_id: transfers.scan_out(sato, numbers["transfer"], medium_id))
        self.at(self.day(8, 10, 10), lambda: transfers.depart(sato, numbers["transfer"]))
        for offset, medium_id in enumerate(medium_ids):
            self.at(self.day(8, 11, 30 + offset), lambda medium_id=medium_id: transfers.scan_in(sato, numbers["transfer"], medium_id))
        self.at(self.day(8, 11, 40), lambda: transfers.arrive(sato, numbers["transfer"], True, self.settings))

    def transfer_on_its_way(self, medium_id: str) -> None:
        """Day 40: a transfer leaves and has not arrived yet."""
        suzuki = self.actors["suzuki"]
        numbers = {}

        def plan():
            numbers["transfer"] = self.plan_transfer("入力済み資料の耐火書庫への移管", "T-SEAL-0002", ["鈴木 一郎"]).number

        self.at(self.day(40, 9), plan)
        self.at(self.day(40, 9, 20), lambda: transfers.scan_out(suzuki, numbers["transfer"], medium_id))
        self.at(self.day(40, 9, 30), lambda: transfers.depart(suzuki, numbers["transfer"]))

    def plan_transfer(self, purpose: str, seal: str, custodians=("佐藤 花子", "鈴木 一郎")):
        return transfers.plan(self.actors["yamada"], CONTRACT, purpose, "本社 東小金井 2階 保管室", self.second_site.code,
                              "社用車（施錠した運搬ケース）", list(custodians), seal_number=seal,
                              route="東小金井 → 府中（立ち寄りなし）", approval_reference="小金井市 市民税課 承認済み（契約書第7条）")

    def copy_with_approval(self, medium_id: str) -> None:
        """Day 15–16: a copy asked for, approved by the city, made and labelled."""
        yamada, sato, takahashi = self.actors["yamada"], self.actors["sato"], self.actors["takahashi"]
        numbers = {}

        def ask():
            numbers["copy"] = copies.request(yamada, medium_id, 1, "hdd", "入力作業用の作業コピー（原本の損耗防止）").number

        def make():
            made = copies.make_copy(sato, numbers["copy"], self.cabinet.code, encrypted=True, encryption=ENCRYPTION["hdd"],
                                    manufacturer="BUFFALO", model="HD-PCG1.0U3", serial_number=self.serial())
            labelling.record_print(sato, [made.id], "a4-24")

        self.at(self.day(15, 14), ask)
        self.at(self.day(16, 10), lambda: copies.decide(takahashi, numbers["copy"], True, "入力作業に必要な1部に限り承認"))
        self.at(self.day(16, 15), make)

    def copy_waiting(self, medium_id: str) -> None:
        """Day 42: a copy asked for; it waits on takahashi's dashboard."""
        yamada = self.actors["yamada"]
        self.at(self.day(42, 11), lambda: copies.request(yamada, medium_id, 1, "usb", "照合作業用の複製"))

    def return_to_the_city(self, medium_ids: list[str]) -> None:
        """Day 25: three media handed back; takahashi confirms and the 返還受領書 is issued."""
        yamada, sato, takahashi = self.actors["yamada"], self.actors["sato"], self.actors["takahashi"]
        numbers = {}

        def start():
            numbers["handover"] = handovers.start(yamada, CONTRACT, "return", self.local(self.day(25, 14)), "小金井市役所 第二庁舎 市民税課",
                                                  "職員による手渡し（施錠ケース）", "高橋 美咲（市民税課 主査）").number

        self.at(self.day(25, 10), start)
        for offset, medium_id in enumerate(medium_ids):
            self.at(self.day(25, 13, 30 + offset), lambda medium_id=medium_id: handovers.scan(sato, numbers["handover"], medium_id))
        self.at(self.day(25, 13, 50), lambda: handovers.sign(yamada, numbers["handover"]))
        self.at(self.day(25, 14, 10), lambda: handovers.confirm(takahashi, numbers["handover"], self.settings))

    def handover_waiting_for_the_city(self) -> None:
        """Day 43: a second list handed over, scanned and signed; the city has not confirmed yet."""
        yamada, sato = self.actors["yamada"], self.actors["sato"]
        numbers = {}

        def start_and_import():
            handover = handovers.start(yamada, CONTRACT, "receive", self.local(self.day(43, 10, 30)), "小金井市役所 第二庁舎 市民税課",
                                       "職員による手渡し（施錠ケース）", "高橋 美咲（市民税課 主査）",
                                       storage_plan="本社 2階 保管室の施錠キャビネットに保管")
            numbers["handover"] = handover.number
            header = SAMPLE_LIST.read_bytes().split(b"\r\n", 1)[0] + b"\r\n"
            listed = handovers.import_list(yamada, handover.number, "追加分リスト.csv", header + self.list_lines(AWAITING_LINES))
            numbers["media"] = [medium.id for medium in listed]
            labelling.record_print(sato, numbers["media"], "a4-24")

        def scan_all():
            for medium_id in numbers["media"]:
                handovers.scan(sato, numbers["handover"], medium_id)

        self.at(self.day(43, 10), start_and_import)
        self.at(self.day(43, 10, 40), scan_all)
        self.at(self.day(43, 10, 50), lambda: handovers.sign(sato, numbers["handover"]))

    # ---- storage checks and the incident ----------------------------------------------------------

    def check_the_cabinet(self) -> None:
        """Day 20–21: everything in the cabinet is found; yamada signs the check off (report issued)."""
        numbers = self.storage_check(self.cabinet, self.actors["sato"], self.day(20, 16), "佐藤のスマートフォン")
        self.at(self.day(21, 9, 30), lambda: checks.sign_off(self.actors["yamada"], numbers["check"], self.settings))

    def check_the_safe_and_miss(self, missing_id: str) -> None:
        """Day 41–42: the DVD-R is not in the safe. Completing the check records it as lost and opens
        the incident; yamada writes the response plan and issues the preliminary report."""
        yamada = self.actors["yamada"]
        numbers = self.storage_check(self.safe, self.actors["suzuki"], self.day(41, 15), "鈴木のスマートフォン", missing=missing_id)

        def plan():
            (incident,) = incidents.open_for([CONTRACT])
            numbers["incident"] = incident.number
            incidents.update(
                yamada, incident.number,
                summary=f"保管状況点検 {numbers['check']}（耐火金庫1）で DVD-R 1枚（{missing_id}）の所在を確認できなかった",
                circumstances=("定期の保管状況点検で、台帳上 耐火金庫1 に保管中の DVD-R 1枚が見つからなかった。"
                               "同日中に保管室・入力作業室を捜索したが発見に至っていない。"
                               "媒体は暗号化（ZIP AES-256、パスワード別送）されている。"),
                response_steps=[
                    {"action": "保管室・入力作業室・社用車の捜索", "owner": "佐藤 花子",
                     "deadline": self.date(41), "done_at": self.date(41)},
                    {"action": "小金井市 市民税課へ電話で第一報", "owner": "山田 太郎",
                     "deadline": self.date(41), "done_at": self.date(41)},
                    {"action": "入退室記録・監視カメラ映像の確認", "owner": "山田 太郎", "deadline": self.date(44)},
                    {"action": "持出し・保管手順の見直しと従事者への再教育", "owner": "山田 太郎", "deadline": self.date(60)},
                ],
            )

        self.at(self.day(41, 17, 30), plan)
        self.at(self.day(42, 9, 30), lambda: incidents.issue_preliminary(yamada, numbers["incident"], self.settings))

    def storage_check(self, place, worker: User, start: datetime, device: str, missing: str | None = None) -> dict:
        """A check of ``place``: its label read, every medium stored there scanned (but ``missing``),
        completed half an hour later. Returns where the check's number will be."""
        secret = self.settings.secret
        numbers = {}

        def begin():
            code = label_payload.location_url(place.code, secret, self.settings.base_url)
            numbers["check"] = checks.start(worker, code, secret).number
            checks.report_device(worker, numbers["check"], f"demo-{worker.login}-phone", 0, secret, name=device)

        def scan_all():
            check = checks.get_check(numbers["check"])
            present = [medium for medium in Medium.select().where(Medium.id.in_(check.expected)).order_by(Medium.id)
                       if medium.status == "stored" and medium.location_id == place.code and medium.id != missing]
            for offset, medium in enumerate(present):
                with timeutil.clock_at(start + timedelta(minutes=5, seconds=20 * offset)):
                    checks.scan(worker, check.number, self.label(medium.id), secret)

        def complete():
            checks.complete(worker, numbers["check"], "台帳の件数・個人情報項目と媒体の表示を照合", "相違なし",
                            anomalies=f"{missing} の所在を確認できない" if missing else "",
                            corrective_actions="事故報告（速報）を市へ提出し、捜索を継続" if missing else "",
                            seals_intact=True)

        self.at(start, begin)
        self.at(start + timedelta(minutes=5), scan_all)
        self.at(start + timedelta(minutes=30), complete)
        return numbers

    # ---- destruction ----------------------------------------------------------------------------

    def destroy_with_the_city(self, medium_ids: list[str]) -> None:
        """Day 30–33: an HDD and a box of paper destroyed with the city's approval and witness;
        the 消去・廃棄証明書 is issued."""
        yamada, sato, takahashi = self.actors["yamada"], self.actors["sato"], self.actors["takahashi"]
        hdd_id, paper_id = medium_ids
        numbers = {}

        def apply():
            numbers["application"] = destruction.apply(
                yamada, CONTRACT, [{"medium": hdd_id, **DESTROY_HDD}, {"medium": paper_id, **SHRED_PAPER}],
                reason="入力作業の完了に伴い不要となった作業用HDD・原票の廃棄（市の指示による）",
                scheduled_at=self.local(self.day(33, 13)), place="本社 東小金井 3階 301 入力作業室（破砕機設置）",
                copies_statement="複製・バックアップは作成していません（台帳で確認）",
                verification_plan="HDD: 消磁後に破砕し破砕片を目視確認。紙: クロスカット裁断片を目視確認。",
                witness_requested=True,
            ).number

        def photograph(stage: str, medium_id: str, seed: int):
            moment = timeutil.utc_now()
            destruction.add_evidence(sato, self.settings, numbers["application"], stage, _photo(medium_id, stage, moment, seed),
                                     f"{stage}-{medium_id}.jpg", medium_id=medium_id)

        self.at(self.day(30, 10), apply)
        self.at(self.day(31, 11), lambda: destruction.decide(takahashi, numbers["application"], True,
                                                            "市職員（市民税課）の立会いのもとで実施すること"))
        for offset, medium_id in enumerate(medium_ids):
            self.at(self.day(33, 13, offset), lambda medium_id=medium_id: self.station(sato, "destroy", numbers["application"], medium_id))
            self.at(self.day(33, 13, 5 + offset), lambda medium_id=medium_id, offset=offset: photograph("before", medium_id, offset))
        self.at(self.day(33, 13, 20), lambda: destruction.record_destroyed(
            sato, numbers["application"], [hdd_id], "消磁後に破砕し、破砕片を目視で確認", "プラッタの破断・変形を確認（判読不可能）",
            "産業廃棄物処理業者へ引渡し（マニフェスト M-2026-0187）"))
        self.at(self.day(33, 13, 35), lambda: destruction.record_destroyed(
            sato, numbers["application"], [paper_id], "裁断片を目視で確認", "文字の判読不可能を確認",
            "溶解処理業者へ引渡し（マニフェスト M-2026-0188）"))
        for offset, medium_id in enumerate(medium_ids):
            self.at(self.day(33, 13, 40 + offset), lambda medium_id=medium_id, offset=offset: photograph("after", medium_id, 2 + offset))
        self.at(self.day(33, 13, 45), lambda: destruction.witness(takahashi, self.settings, numbers["application"]))
        self.at(self.day(33, 14), lambda: destruction.complete(yamada, self.settings, numbers["application"], "yamada"))

    def destruction_waiting(self, medium_id: str) -> None:
        """Day 44: an SSD's erasure applied for; it waits on takahashi's dashboard."""
        yamada = self.actors["yamada"]
        self.at(self.day(44, 11), lambda: destruction.apply(
            yamada, CONTRACT, [{"medium": medium_id, **PURGE_SSD}], reason="作業端末の入替えに伴う作業用SSDの消去",
            scheduled_at=self.local(self.day(48, 14)), place="本社 東小金井 3階 301 入力作業室",
            copies_statement="複製・バックアップは作成していません（台帳で確認）",
            verification_plan="消去ツールの完了ログを保存し、消去後の読出しで全領域がゼロであることを確認"))

    def second_contract_under_the_generic_profile(self) -> None:
        """Day 38–39: Mitaka City's contract (generic profile): three media received without a
        list and put away; day 39 an application to destroy the paper, with the city's witness
        (the generic profile refuses one without), waits for Mitaka's approval."""
        admin, yamada, sato = self.actors["admin"], self.actors["yamada"], self.actors["sato"]
        held = []

        def start():
            people.create_contract(
                admin, GENERIC_CONTRACT, "令和8年度 特定健康診査結果データ入力業務委託", "三鷹市",
                contractor="株式会社武蔵野データサービス", client_section="健康福祉部 健康推進課",
                contractor_address="東京都小金井市梶野町5丁目", contract_number="三鷹市契約第2026-1203号",
                # Ends within the generic profile's reminder window: the dashboard shows the close-out coming.
                period_start="2026-06-01", period_end=(self.day(45).date() + timedelta(days=40)).isoformat(), profile="generic",
            )
            contracts.update_contract(admin, GENERIC_CONTRACT, contractor_representative_title="代表取締役",
                                      contractor_representative="武蔵野 一郎")
            _rostered(admin, self.actors["kobayashi"], GENERIC_CONTRACT, "yamada", "responsible")
            people.sign_pledge(yamada, GENERIC_CONTRACT)
            _rostered(yamada, self.actors["kobayashi"], GENERIC_CONTRACT, "sato", "worker")
            people.sign_pledge(sato, GENERIC_CONTRACT)
            # Art. 6: the contractor tells Mitaka what its data will sit on, and Mitaka consents.
            notice = electronic.submit(yamada, GENERIC_CONTRACT, ["usb", "optical"], "受領したUSBメモリ（ハードウェア暗号化）・DVD-R",
                                       "本社 東小金井 2階 保管室", "健診結果データの入力", "AES-256", "separate")
            electronic.decide(self.actors["kobayashi"], notice.number, True, "鍵は別送とすること")
            for kind, title, items, records, extra in (
                ("paper", "特定健康診査 問診票（原票）", ["氏名", "生年月日", "問診回答"], 320, {}),
                ("usb", "健診結果データ（受領分）", ["氏名", "生年月日", "検査値"], 4800, {"encrypted": True, "encryption": ENCRYPTION["usb"]}),
                ("optical", "健診結果イメージ（DVD-R）", ["氏名", "検査値"], 2100, {"encrypted": True, "encryption": ENCRYPTION["optical"]}),
            ):
                held.append(media.register(sato, GENERIC_CONTRACT, kind, title, pi_items=items, record_count=records,
                                           location=self.cabinet.code, **extra).id)

        self.at(self.day(38, 10), start)
        self.at(self.day(39, 15), lambda: destruction.apply(
            yamada, GENERIC_CONTRACT, [{"medium": held[0], **SHRED_PAPER}], reason="入力完了に伴う問診票（写し）の廃棄",
            scheduled_at=self.local(self.day(50, 10)), place="本社 東小金井 3階 301 入力作業室（シュレッダー設置）",
            copies_statement="複製・バックアップは作成していません（台帳で確認）",
            verification_plan="クロスカット裁断片を目視確認", witness_requested=True))

    def people_under_the_contract(self) -> None:
        """Day 0: suzuki signs the workers' form by hand and yamada uploads the scan — not yet
        handed to the city. Day 1: takahashi confirms yamada's pledge and the roster paper is
        issued. Day 45: yamada applies to add ito, a dispatched worker, who waits for the city."""
        yamada, takahashi = self.actors["yamada"], self.actors["takahashi"]
        pledges.record_sheet(yamada, self.settings, CONTRACT, ["suzuki"], self.date(0), _signed_sheet(), "誓約書_鈴木.jpg")

        def city_confirms_and_roster_issued():
            pledges.confirm(takahashi, pledges.current(yamada, CONTRACT).key)
            roster.issue_paper(takahashi, self.settings, CONTRACT)

        self.at(self.day(1, 10), city_confirms_and_roster_issued)

        def training_session():
            session = training.record_session(
                yamada, self.settings, CONTRACT, self.date(3), "個人情報の取扱い（特記事項の説明、作業室の入退室、媒体の持出し・返却、事故時の報告）",
                "山田 太郎", ["yamada", "sato"], [("個人情報取扱研修資料.txt", "特記事項 第1条〜第23条の説明資料\n".encode())])
            for login in ("yamada", "sato"):
                training.confirm_attendance(self.actors[login], session.number)

        self.at(self.day(3, 16), training_session)  # suzuki misses it: his first training lapses after 30 days
        self.at(self.day(20, 17), lambda: training.record_supervision(
            yamada, CONTRACT, self.date(20), "作業室の入退室記録、机上・端末画面の確認、持出し簿との照合", "指摘事項なし", ["sato", "suzuki"]))
        self.at(self.day(45, 9, 30), lambda: roster.apply_add(
            yamada, CONTRACT, "ito", "worker", employer="株式会社ひかり人材サービス", employment_type="dispatched",
            effective_from=self.date(47), reason="課税資料の入力件数の増加に伴う増員（派遣）"))

    # ---- the city's oversight (Art. 14, 19): a plan, a seal broken, a subcontractor waiting ------

    def the_citys_oversight(self, at_second_site: list[str]) -> None:
        """Day 2: the emergency response plan and the city's mail address for notices. Day 43: the
        seal of the box kept at the data centre is found broken — the incident opens and the city
        is told at once (no mail server in the demo: the notice waits, shown
        as 未送信); the city instructs, the contractor answers. Day 44: a shredding firm is applied
        for as a subcontractor and waits for the city's approval."""
        yamada, sato, takahashi = self.actors["yamada"], self.actors["sato"], self.actors["takahashi"]
        numbers = {}

        def prepare():
            notices.set_recipient(self.actors["admin"], CONTRACT, "shiminzei@city.koganei.example")
            response_plans.record(
                yamada, CONTRACT,
                "1. 取扱責任者 山田（携帯 090-0000-0000）\n2. 小金井市 市民部 市民税課（042-000-0000、shiminzei@city.koganei.example）\n3. 代表取締役",
                "作業を止め、関係する媒体と場所を確保する → 台帳で最終確認の記録を確かめる → 市へ第一報（当日中）",
                "作業停止は取扱責任者、本人への通知と公表は小金井市が判断する")

        def seal_found_broken():
            # Found while taking the box out of the data centre's fire-proof store: reported by hand
            # from the medium's page (a transfer or a storage check noting it opens the same draft).
            incidents.open_by_hand(sato, CONTRACT, "seal_broken", "耐火書庫B の保管箱の封印 T-SEAL-0001 の破損", media_ids=at_second_site,
                                   circumstances="封印シールの端が剥がれていた（保管庫は施錠されたまま）", place="府中データセンター 地下1階 保管庫")

        def instruct():
            (incident,) = [i for i in incidents.open_for([CONTRACT]) if i.kind == "seal_broken"]
            numbers["instruction"] = incident_instructions.give(
                takahashi, incident.number, "移送に関わった者から事情を聴取し、媒体の内容に変更がないことを確認して報告すること").key

        def answer():
            incident_instructions.respond(yamada, numbers["instruction"], "佐藤・鈴木から聴取済み。2点とも件数・内容を台帳と照合し変更なし")

        def apply_for_subcontractor():
            subcontracting.apply(
                yamada, self.settings, CONTRACT, name="株式会社多摩セキュアシュレッド", address="東京都府中市晴見町2丁目",
                reason="HDDの破砕（H-5）に必要な設備を自社で持たないため", work="HDD・SSDの物理破壊（破砕）と破砕証明の発行",
                personal_information="市民税課税資料（氏名・住所・所得）を記録したHDD（暗号化済み）",
                safety_measures="施錠された破砕室、監視カメラ、入退室記録、従業員の誓約書",
                supervision="取扱責任者が破砕に立ち会い、媒体IDを読み取り、作業報告書と写真を受領する")

        self.at(self.day(1, 17), prepare)
        self.at(self.day(43, 14), seal_found_broken)
        self.at(self.day(43, 16), instruct)
        self.at(self.day(44, 10), answer)
        self.at(self.day(44, 11), apply_for_subcontractor)

    # ---- helpers --------------------------------------------------------------------------------

    def label(self, medium_id: str) -> str:
        """What a scanner reads from the medium's label."""
        return label_payload.medium_url(medium_id, self.settings.secret, self.settings.base_url)

    def station(self, actor: User, action: str, context: str, medium_id: str) -> dict:
        """A label read at the scanning station, as the station sends it; a refusal stops the demo."""
        self.scan_keys += 1
        status, answer = scans.record(actor, f"demo-station-{self.scan_keys:05d}", self.label(medium_id), action, context,
                                      self.settings.secret)
        if status != 200:
            raise RuntimeError(f"demo station scan refused: {answer}")
        return answer

    def date(self, number: float) -> str:
        return self.day(number).date().isoformat()

    @staticmethod
    def local(moment: datetime) -> str:
        return moment.astimezone(timeutil.JST).strftime("%Y-%m-%d %H:%M")


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
    contracts.update_contract(admin, CONTRACT, contractor_representative_title="代表取締役", contractor_representative="武蔵野 一郎")
    _rostered(admin, actors["takahashi"], CONTRACT, "yamada", "responsible", reason="契約締結に伴う取扱責任者の届出")
    people.sign_pledge(actors["yamada"], CONTRACT)
    for login in ("sato", "suzuki"):
        _rostered(actors["yamada"], actors["takahashi"], CONTRACT, login, "worker", reason="入力業務の従事者")
    people.sign_pledge(actors["sato"], CONTRACT)
    return actors


def _rostered(applicant: User, city: User, contract: str, login: str, role: str, reason: str = "") -> None:
    """Art. 8 as the demo's people went through it: applied for, then approved by the city."""
    application = roster.apply_add(applicant, contract, login, role, reason=reason)
    if application.status == "pending":
        roster.decide(city, application.number, True)


def _signed_sheet() -> bytes:
    """A scanned A4 sheet as the office scanner makes it: a plain greyscale JPEG."""
    sheet = Image.new("L", (827, 1169), 255)
    draw = ImageDraw.Draw(sheet)
    for line in range(12):
        draw.line((90, 180 + line * 40, 737, 180 + line * 40), fill=200)
    draw.line((200, 960, 700, 960), fill=0, width=2)
    draw.line((230, 950, 300, 930, 360, 955, 420, 925, 470, 950), fill=30, width=3)  # the signature
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _photo(medium_id: str, stage: str, moment: datetime, seed: int) -> bytes:
    """A small JPEG as a phone on the execution page takes it: the medium ID written on it (whole
    before, in pieces after) and EXIF DateTimeOriginal a few seconds before ``moment``, in JST."""
    rng = random.Random(f"{medium_id}-{stage}-{seed}")
    image = Image.new("RGB", (480, 320), (214, 221, 228) if stage == "before" else (92, 96, 104))
    draw = ImageDraw.Draw(image)
    big, small = ImageFont.load_default(size=34), ImageFont.load_default(size=18)
    if stage == "before":
        draw.rectangle((60, 90, 420, 250), fill=(250, 250, 245), outline=(40, 40, 40), width=3)
        draw.text((80, 140), medium_id, font=big, fill=(20, 20, 20))
    else:
        for _ in range(140):
            x, y = rng.randint(10, 470), rng.randint(70, 310)
            draw.line((x, y, x + rng.randint(-24, 24), y + rng.randint(4, 20)), fill=(200 + rng.randint(0, 55),) * 3, width=3)
        draw.rectangle((0, 262, 480, 320), fill=(60, 62, 68))
        draw.text((20, 278), f"{medium_id} remains", font=small, fill=(255, 255, 255))
    taken = (moment - timedelta(seconds=20)).astimezone(timeutil.JST)
    draw.text((20, 20), f"{stage.upper()}  {taken:%Y-%m-%d %H:%M:%S} JST", font=small, fill=(0, 0, 0) if stage == "before" else (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "mediatrail demo", "execution page camera"  # Make, Model
    fields = exif.get_ifd(0x8769)
    fields[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    fields[0x9011] = "+09:00"  # OffsetTimeOriginal
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, exif=exif)
    return buffer.getvalue()
