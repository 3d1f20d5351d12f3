"""Fill a data folder with a contractor's multi-year history, for the scale benchmark (issue 17).

    python bench/generate.py --data /tmp/scale-small --preset small          # 10k media, ~100k events
    python bench/generate.py --data /tmp/scale-full --preset full            # 1M media, ~10M events
    DATABASE_URL=postgresql://... python bench/generate.py --data DIR ...    # into PostgreSQL

One contractor, several municipalities, contracts running for years. People, contracts, rosters,
pledges and places are made through the workflows, as a person would. The history — handovers
from the city (list imported, each label scanned, signed, confirmed), storage, take-outs to
work places and back, transfers between sites, storage checks of every place but the largest
(whose check the benchmark itself starts), returns to the city and destructions at the end of
each contract — is written through ``ledger.append_many``: every event hashed and chained as
``ledger.append`` does, only the writing batched. ``mediatrail verify`` passes on the result
(``--verify`` runs it at the end).

The largest place ("中央書庫") holds ``big_place`` media when the history ends: the benchmark's
storage check of a large place. ``--stop-after-events N`` ends a run early (a partial run of
the full preset, to measure its rate when the whole does not fit the time available).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels import ids  # noqa: E402
from tracker import config, db, ledger  # noqa: E402
from tracker.ledger import Pending  # noqa: E402
from tracker.models import create_schema  # noqa: E402
from tracker.timeutil import to_iso  # noqa: E402
from tracker.workflows import people, places, roster  # noqa: E402

PASSWORD = "mediatrail-bench"
START = datetime(2022, 4, 1, tzinfo=timezone.utc)
YEARS = 4


@dataclass(frozen=True)
class Preset:
    media: int
    contracts: int
    places: int  # storage places besides the largest
    big_place: int  # media held at the largest place at the end
    handover_size: int  # media per handover from the city
    cycles: float  # take-out and return per medium, on average
    batch_events: int  # events per append_many transaction


PRESETS = {
    "tiny": Preset(media=600, contracts=3, places=4, big_place=200, handover_size=50, cycles=2.5, batch_events=2_000),
    "small": Preset(media=10_000, contracts=5, places=12, big_place=3_850, handover_size=250, cycles=3.2, batch_events=10_000),
    "full": Preset(media=1_000_000, contracts=20, places=40, big_place=100_000, handover_size=1_000, cycles=3.2,
                   batch_events=20_000),
}
CITIES = [("KG", "小金井市"), ("MT", "三鷹市"), ("FC", "府中市"), ("CF", "調布市"), ("KO", "小平市"), ("HN", "日野市"),
          ("KK", "国分寺市"), ("KT", "国立市"), ("NS", "西東京市"), ("KY", "清瀬市")]
KINDS = ["paper"] * 6 + ["usb", "hdd", "optical", "tape"]
TITLES = ["住民税課税資料", "給与支払報告書", "年金データ", "介護保険申請書", "国民健康保険台帳", "児童手当申請書", "固定資産課税台帳",
          "選挙人名簿抄本", "住民基本台帳写し", "軽自動車税申告書"]


class Clock:
    """Event times spread evenly over the history's years, always increasing."""

    def __init__(self, total_events: int):
        self.step = timedelta(seconds=YEARS * 365 * 86400 / max(total_events, 1))
        self.now = START

    def tick(self) -> str:
        self.now += self.step
        return to_iso(self.now)


class History:
    """The events of the history, produced in order, with the state they leave (in memory)."""

    def __init__(self, preset: Preset, cast: dict, rng: random.Random):
        self.preset, self.cast, self.rng = preset, cast, rng
        self.clock = Clock(int(preset.media * (4 + 2 * preset.cycles + 1.6)))
        self.stored: dict[str, set[str]] = {code: set() for code in cast["storage"]}  # place -> media stored there
        self.where: dict[str, str] = {}  # medium -> its storage place
        self.per_contract: dict[str, list[str]] = {code: [] for code in cast["contracts"]}
        self.serials = {code: 0 for code in cast["contracts"]}
        self.numbers: dict[str, int] = {}
        self.check_number = 0

    # ---- helpers ------------------------------------------------------------------------------

    def number(self, contract: str, letter: str) -> str:
        key = f"{contract}-{letter}"
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{key}{self.numbers[key]:04d}"

    def event(self, kind, actor, contract, data=None, changes=None, media=()) -> Pending:
        return Pending(kind, actor, data or {}, changes or {}, media, contract, self.clock.tick())

    def place_for_new(self) -> str:
        big = self.cast["big_place"]
        share = self.preset.big_place / self.preset.media
        if self.rng.random() < share * 1.4:  # over its share: returns and destructions take some away
            return big
        return self.rng.choice(self.cast["storage"][1:])

    # ---- the history --------------------------------------------------------------------------

    def events(self):
        """Every event, in order: handovers in rounds across the contracts, work on stored media
        between them, checks now and then, returns and destructions when a contract ends."""
        contracts = list(self.cast["contracts"])
        rounds = max(1, self.preset.media // (self.preset.handover_size * len(contracts)))
        for round_number in range(rounds):
            for contract in contracts:
                yield from self.handover(contract, self.preset.handover_size)
            yield from self.work(int(2 * self.preset.handover_size * len(contracts) * self.preset.cycles))
            if round_number % 3 == 2:
                yield from self.transfer(self.rng.choice(contracts))
            if round_number % 4 == 3:
                yield from self.check(self.rng.choice(self.cast["storage"][1:]))
        for contract in contracts[: max(1, len(contracts) // 3)]:  # contracts that ended: media go back or are destroyed
            yield from self.close_out(contract)

    def handover(self, contract: str, size: int):
        worker, city = self.cast["workers"][contract], self.cast["city"][contract]
        number = self.number(contract, "H")
        media_ids = []
        for _ in range(size):
            self.serials[contract] += 1
            media_ids.append(ids.format_id(contract, self.serials[contract]))
        started = self.clock.tick()
        yield Pending("handover.started", worker, {"number": number}, {"handover": {number: {
            "contract": contract, "direction": "receive", "status": "open", "handover_at": started, "place": "市役所 第二庁舎",
            "means": "手渡し（施錠ケース）", "city_official": "市民税課 担当", "storage_plan": "", "disposition_plan": "",
            "created_by": worker, "created_at": started}}}, (), contract, started)
        rows, items = {}, {}
        for line, medium_id in enumerate(media_ids, start=1):
            kind = self.rng.choice(KINDS)
            electronic = kind != "paper"
            rows[medium_id] = {
                "contract": contract, "kind": kind, "title": f"{self.rng.choice(TITLES)} 第{line}号", "description": "",
                "pi_items": ["氏名", "住所"], "record_count": self.rng.randint(1, 5000), "quantity": 1, "manufacturer": "",
                "model": "", "serial_number": f"SN-{medium_id[-8:-2]}" if electronic else "", "encrypted": electronic,
                "encryption": "AES-256" if electronic else "", "seal_number": "", "parent": None, "status": "expected",
                "location": None, "custodian": None, "purpose": "", "due_back": None, "registered_at": started,
                "updated_at": started, "labels_printed": 0, "is_backup": False}
            items[f"{number}/{medium_id}"] = {"handover": number, "medium": medium_id, "line": line, "reference": f"R{line:05d}"}
        yield self.event("handover.list_imported", worker, contract, {"number": number, "lines": size},
                         {"medium": rows, "handover_item": items})
        for medium_id in media_ids:
            at = self.clock.tick()
            yield Pending("handover.scanned", worker, {"number": number, "listed": True},
                          {"handover_item": {f"{number}/{medium_id}": {"scanned_at": at, "scanned_by": worker}}},
                          [medium_id], contract, at)
        at = self.clock.tick()
        yield Pending("handover.signed", worker, {"number": number}, {"handover": {number: {
            "status": "signed", "signed_by": worker, "signed_at": at}}}, (), contract, at)
        at = self.clock.tick()
        received = {medium_id: {"status": "received", "custodian": worker, "updated_at": at} for medium_id in media_ids}
        yield Pending("handover.confirmed", city, {"number": number, "method": "own_login"},
                      {"handover": {number: {"status": "confirmed", "confirmed_by": city, "confirmed_at": at}}, "medium": received},
                      (), contract, at)
        for medium_id in media_ids:
            place = self.place_for_new()
            at = self.clock.tick()
            yield Pending("medium.stored", worker, {"location": place}, {"medium": {medium_id: {
                "status": "stored", "location": place, "custodian": None, "purpose": "", "due_back": None, "updated_at": at}}},
                (), contract, at)
            self.stored[place].add(medium_id)
            self.where[medium_id] = place
            self.per_contract[contract].append(medium_id)

    def work(self, count: int):
        """Take-outs to a work place and back to storage, on media stored anywhere."""
        contracts = [code for code, held in self.per_contract.items() if held]
        for _ in range(count // 2):
            contract = self.rng.choice(contracts)
            medium_id = self.rng.choice(self.per_contract[contract])
            place = self.where.get(medium_id)
            if place is None:
                continue
            worker = self.cast["workers"][contract]
            at = self.clock.tick()
            due = (self.clock.now + timedelta(days=7)).date().isoformat()
            yield Pending("medium.taken_out", worker, {"location": self.cast["work"], "purpose": "入力作業"}, {"medium": {medium_id: {
                "status": "in_use", "location": self.cast["work"], "custodian": worker, "purpose": "入力作業", "due_back": due,
                "updated_at": at}}}, (), contract, at)
            at = self.clock.tick()
            yield Pending("medium.stored", worker, {"location": place}, {"medium": {medium_id: {
                "status": "stored", "location": place, "custodian": None, "purpose": "", "due_back": None, "updated_at": at}}},
                (), contract, at)

    def transfer(self, contract: str):
        """A batch of stored media carried from one storage place to another."""
        worker = self.cast["workers"][contract]
        origin, destination = self.rng.sample(self.cast["storage"][1:], 2)
        moving = sorted(medium_id for medium_id in self.stored[origin] if medium_id.startswith(contract))[:100]
        if not moving:
            return
        number = self.number(contract, "T")
        at = self.clock.tick()
        yield Pending("transfer.planned", worker, {"number": number}, {"transfer": {number: {
            "contract": contract, "status": "planned", "purpose": "保管場所の集約", "approval_reference": "", "origin": origin,
            "destination": destination, "means": "社用車（施錠ケース）", "route": "", "custodians": ["運搬担当"],
            "seal_number": "", "locked_case": True, "created_by": worker, "created_at": at}}}, (), contract, at)
        for medium_id in moving:
            at = self.clock.tick()
            yield Pending("transfer.scanned_out", worker, {"number": number}, {
                "transfer_item": {f"{number}/{medium_id}": {"transfer": number, "medium": medium_id, "sent_at": at, "sent_by": worker}},
                "medium": {medium_id: {"status": "in_transit", "location": None, "custodian": worker, "updated_at": at}}},
                (), contract, at)
        at = self.clock.tick()
        yield Pending("transfer.departed", worker, {"number": number}, {"transfer": {number: {
            "status": "departed", "departed_by": worker, "departed_at": at}}}, (), contract, at)
        for medium_id in moving:
            at = self.clock.tick()
            yield Pending("transfer.scanned_in", worker, {"number": number}, {
                "transfer_item": {f"{number}/{medium_id}": {"arrived_at": at, "arrived_by": worker}},
                "medium": {medium_id: {"status": "stored", "location": destination, "custodian": None, "updated_at": at}}},
                (), contract, at)
            self.stored[origin].discard(medium_id)
            self.stored[destination].add(medium_id)
            self.where[medium_id] = destination
        at = self.clock.tick()
        yield Pending("transfer.arrived", worker, {"number": number}, {"transfer": {number: {
            "status": "arrived", "arrived_by": worker, "arrived_at": at, "seal_intact": True}}}, (), contract, at)

    def check(self, place: str):
        """A storage check that finds every medium recorded at the place."""
        expected = sorted(self.stored[place])
        if not expected:
            return
        self.check_number += 1
        number = f"CHK-{self.check_number:05d}"
        worker = self.cast["workers"][expected[0][:4]]
        at = self.clock.tick()
        yield Pending("check.started", worker, {"number": number, "location": place, "expected": len(expected)},
                      {"storage_check": {number: {"location": place, "status": "open", "expected": expected,
                                                  "participants": [worker], "started_by": worker, "started_at": at}}}, (), None, at)
        for medium_id in expected:
            at = self.clock.tick()
            yield Pending("check.scanned", worker, {"number": number, "location": place, "finding": "found"}, {"check_scan": {
                f"{number}/{medium_id}": {"check": number, "medium": medium_id, "finding": "found", "recorded_status": "stored",
                                          "recorded_location": place, "scanned_at": at, "scanned_by": worker}}},
                [medium_id], medium_id[:4], at)
        at = self.clock.tick()
        yield Pending("check.completed", worker, {"number": number, "found": len(expected)}, {
            "storage_check": {number: {"status": "completed", "completed_by": worker, "completed_at": at,
                                       "accuracy_method": "台帳と現物の照合", "accuracy_result": "差異なし"}},
            "medium": {medium_id: {"last_checked_at": at} for medium_id in expected}}, (), None, at)

    def close_out(self, contract: str):
        """The contract ended: most of its media go back to the city, the rest are destroyed."""
        held = [medium_id for medium_id in self.per_contract[contract] if medium_id in self.where]
        back, destroyed = held[: len(held) * 7 // 10], held[len(held) * 7 // 10:]
        worker, city = self.cast["workers"][contract], self.cast["city"][contract]
        for start in range(0, len(back), self.preset.handover_size):
            part = back[start:start + self.preset.handover_size]
            number = self.number(contract, "H")
            at = self.clock.tick()
            yield Pending("handover.started", worker, {"number": number}, {"handover": {number: {
                "contract": contract, "direction": "return", "status": "open", "handover_at": at, "place": "市役所 第二庁舎",
                "means": "手渡し（施錠ケース）", "city_official": "市民税課 担当", "created_by": worker, "created_at": at}}},
                (), contract, at)
            for medium_id in part:
                at = self.clock.tick()
                yield Pending("handover.scanned", worker, {"number": number, "listed": False}, {"handover_item": {
                    f"{number}/{medium_id}": {"handover": number, "medium": medium_id, "scanned_at": at, "scanned_by": worker}}},
                    [medium_id], contract, at)
            at = self.clock.tick()
            yield Pending("handover.signed", worker, {"number": number}, {"handover": {number: {
                "status": "signed", "signed_by": worker, "signed_at": at}}}, (), contract, at)
            at = self.clock.tick()
            yield Pending("handover.confirmed", city, {"number": number, "method": "own_login"}, {
                "handover": {number: {"status": "confirmed", "confirmed_by": city, "confirmed_at": at}},
                "medium": {medium_id: {"status": "returned", "location": None, "custodian": None, "updated_at": at} for medium_id in part}},
                (), contract, at)
            self._gone(part)
        for start in range(0, len(destroyed), self.preset.handover_size):
            part = destroyed[start:start + self.preset.handover_size]
            yield from self.destruction(contract, part, worker, city)

    def destruction(self, contract: str, part: list[str], worker: str, city: str):
        number = self.number(contract, "A")
        at = self.clock.tick()
        items = {f"{number}/{medium_id}": {"application": number, "medium": medium_id, "category": "destroy",
                                           "technique": "shred", "level": "P-4"} for medium_id in part}
        yield Pending("destruction.applied", worker, {"number": number}, {"destruction_application": {number: {
            "contract": contract, "status": "applied", "reason": "契約終了", "scheduled_at": at, "place": "本社 裁断室",
            "copies_statement": "複製なし", "verification_plan": "目視", "applied_by": worker, "applied_at": at}},
            "destruction_item": items}, part, contract, at)
        at = self.clock.tick()
        yield Pending("destruction.approved", city, {"number": number}, {"destruction_application": {number: {
            "status": "approved", "decided_by": city, "decided_at": at}}}, (), contract, at)
        for medium_id in part:
            at = self.clock.tick()
            yield Pending("destruction.scanned", worker, {"number": number}, {"destruction_item": {
                f"{number}/{medium_id}": {"scanned_at": at}}}, [medium_id], contract, at)
        at = self.clock.tick()
        yield Pending("destruction.destroyed", worker, {"number": number}, {
            "destruction_item": {key: {"destroyed_at": at, "destroyed_by": worker, "verification_method": "目視",
                                       "verification_result": "判読不可"} for key in items},
            "medium": {medium_id: {"status": "destroyed", "location": None, "custodian": None, "updated_at": at} for medium_id in part}},
            (), contract, at)
        at = self.clock.tick()
        yield Pending("destruction.completed", worker, {"number": number}, {"destruction_application": {number: {
            "status": "completed", "completed_at": at, "operator": worker, "verifier": worker}}}, (), contract, at)
        self._gone(part)

    def _gone(self, media_ids):
        for medium_id in media_ids:
            place = self.where.pop(medium_id, None)
            if place:
                self.stored[place].discard(medium_id)


def set_up(preset: Preset, rng: random.Random) -> dict:
    """People, contracts, rosters, pledges and places, through the workflows."""
    admin = people.create_user(None, "admin", "管理者", "admin", PASSWORD)
    contracts, workers, city = [], {}, {}
    for number in range(preset.contracts):
        prefix, client = CITIES[number % len(CITIES)]
        code = f"{prefix}{22 + number // len(CITIES):02d}"
        people.create_contract(None, code, f"{client} 個人情報入力業務委託", client, contractor="株式会社サンプル")
        responsible = people.create_user(admin, f"lead{number}", f"責任者 {number}", "contractor", PASSWORD)
        worker = people.create_user(admin, f"worker{number}", f"従事者 {number}", "contractor", PASSWORD)
        official = people.create_user(admin, f"city{number}", f"{client} 担当", "municipality", PASSWORD, organisation=client)
        for applicant, person, role in ((admin, responsible, "responsible"), (responsible, worker, "worker")):
            application = roster.apply_add(applicant, code, person.login, role)  # Art. 8: the city approves
            if application.status == "pending":
                roster.decide(official, application.number, True)
            people.sign_pledge(person, code)
        contracts.append(code)
        workers[code], city[code] = worker.login, official.login
    big = places.create_location(admin, "中央書庫", "room", "storage", site="本社", room="B1", check_interval_days=90)
    storage = [big.code] + [places.create_location(admin, f"施錠キャビネット{n + 1}", "cabinet", "storage", site="本社",
                                                   check_interval_days=90).code for n in range(preset.places)]
    work = places.create_location(admin, "作業室1", "room", "work", site="本社", room="3F").code
    return {"contracts": contracts, "workers": workers, "city": city, "storage": storage, "big_place": big.code, "work": work}


def generate(data_dir: Path, preset_name: str, seed: int = 17, stop_after: int | None = None, quiet: bool = False) -> dict:
    preset = PRESETS[preset_name]
    settings = config.initialise(data_dir, base_url="http://mediatrail.bench")
    settings = config.load(settings.data_dir)
    db.connect(settings.database_url)
    create_schema()
    rng = random.Random(seed)
    began = time.perf_counter()
    cast = set_up(preset, rng)
    set_up_seconds = time.perf_counter() - began
    history = History(preset, cast, rng)
    written, batch = 0, []
    for pending in history.events():
        batch.append(pending)
        if len(batch) >= preset.batch_events:
            written += ledger.append_many(batch)
            batch = []
            if not quiet:
                rate = written / (time.perf_counter() - began)
                print(f"\r{written:,} events, {rate:,.0f}/s", end="", file=sys.stderr, flush=True)
            if stop_after and written >= stop_after:
                break
    else:
        written += ledger.append_many(batch)
    seconds = time.perf_counter() - began
    if not quiet:
        print(file=sys.stderr)
    return {"events": ledger.head()[0], "written": written, "seconds": seconds, "set_up_seconds": set_up_seconds, "big_place": cast["big_place"],
            "big_place_media": len(history.stored[cast["big_place"]]), "contracts": cast["contracts"],
            "database": settings.database_url.split(":", 1)[0]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a new data folder")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--stop-after-events", type=int, default=None, help="end early: a partial run, to measure the rate")
    parser.add_argument("--verify", action="store_true", help="run the full verification at the end")
    arguments = parser.parse_args(argv)
    result = generate(arguments.data, arguments.preset, arguments.seed, arguments.stop_after_events)
    bulk = result["seconds"] - result["set_up_seconds"]
    print(f"{result['events']:,} events in {result['seconds']:.1f} s (people and places {result['set_up_seconds']:.1f} s "
          f"through the workflows; history {result['written']:,} events in {bulk:.1f} s, {result['written'] / bulk:,.0f} events/s); "
          f"largest place {result['big_place']} holds {result['big_place_media']:,} media; {result['database']}")
    if arguments.verify:
        from tracker import verification

        began = time.perf_counter()
        standing = verification.run_full()
        print(f"verify: {'OK' if standing.ok else 'FAILED'} in {time.perf_counter() - began:.1f} s")
        for problem in standing.problems[:10]:
            print(f"  {problem}")
        if not standing.ok:
            sys.exit(3)


if __name__ == "__main__":
    main()
