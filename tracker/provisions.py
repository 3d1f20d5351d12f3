"""Each city's special provisions as data: the one module the workflows ask.

A provision profile (``tracker/profiles/<id>.toml``, or a file an administrator registers) says,
duty by duty, whether it applies, with which parameters, and which article of that city's text
says so: are copies forbidden or allowed with approval, does the city witness every destruction,
must electronic media be encrypted to leave, to whom are papers addressed. A contract runs under
one profile version; the profile's whole text is recorded in the ledger (``profile.registered``)
and the contract names it with its SHA-256, so the rules a contract ran under can be read back
years later exactly as they were, and ``verify`` covers them like every other fact.

The workflows never compare against constants of one city: they ask ``for_contract(contract)``
and cite ``profile.cite(article)`` in their refusals, so a refusal names that city's article.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tracker.errors import InvalidInput, NotFound

DEFAULT_PROFILE = "koganei"
# Contracts made before profiles existed ran under Koganei's rules written into the code.
LEGACY_PROFILE = "koganei@1"
BUILTIN_PACKAGE = "tracker.profiles"

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Article = Annotated[str, Field(min_length=1, max_length=100)]
Level = Annotated[int, Field(ge=1, le=7)]


class _Section(BaseModel):
    # An unknown key is a typo or a duty this version of mediatrail does not know: refused, so
    # that nobody believes a rule is enforced when it is silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileInfo(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,39}$")]
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z.\-]{1,20}$")]
    title: Text
    title_en: Text
    municipality: Annotated[str, Field(max_length=100)]  # "" for a profile any city may use
    provisions_name: Text
    provisions_name_en: Text
    based_on: Text


class Titles(_Section):
    custody_receipt: Text
    return_receipt: Text
    transfer_record: Text
    media_register: Text
    destruction_application: Text
    destruction_certificate: Text
    check_report: Text
    incident_preliminary: Text
    incident_final: Text
    roster: Text
    pledge: Text
    # Optional: profiles recorded before these papers existed print the usual titles.
    work_places: Text = "作業場所届"
    training: Text = "従事者教育・監督の記録"


class Papers(_Section):
    addressee: Text  # "{client}" stands for the contract's client
    honorific: Literal["様", "殿"]
    calendar: Literal["wareki", "gregorian"]
    titles: Titles


class Copies(_Section):
    rule: Literal["forbidden", "with_approval"]
    article: Article


class Subcontracting(_Section):
    rule: Literal["forbidden", "with_approval"]
    article: Article


class Roster(_Section):
    changes: Literal["prior_approval", "notification"]
    structure_report: bool
    article: Article


class PledgeForm(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")]
    for_roles: Annotated[list[Literal["responsible", "worker"]], Field(alias="for", min_length=1)]
    title: Text
    signer_caption: Text
    company_line: bool
    text: Annotated[str, Field(min_length=20, max_length=20000)]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Pledges(_Section):
    article: Article
    forms: Annotated[list[PledgeForm], Field(min_length=1)]
    # Whether the city accepts a pledge signed on screen instead of the printed form signed by
    # hand; optional so that profiles recorded before it keep their meaning (they were signed so).
    on_screen: bool = True

    @model_validator(mode="after")
    def _every_role_has_one_form(self):
        for role in ("responsible", "worker"):
            count = sum(role in form.for_roles for form in self.forms)
            if count != 1:
                raise ValueError(f"pledge forms: exactly one form must be for {role} (found {count})")
        if len({form.id for form in self.forms}) != len(self.forms):
            raise ValueError("pledge forms: two forms have the same id")
        return self


class WorkPlaces(_Section):
    city_acknowledgement: bool
    article: Article


class ElectronicMedia(_Section):
    consent_required: bool
    encrypt_take_out: bool
    encrypt_transfer: bool
    transmission_consent: bool
    article: Article
    encryption_article: Article
    transmission_article: Article


class Storage(_Section):
    lockable_required: bool
    article: Article


MATERIAL_CLASSES = ("P", "F", "O", "T", "H", "E")


class Destruction(_Section):
    application_article: Article
    witness: Literal["always", "on_request", "never"]
    witness_article: Article
    report_article: Article
    minimum_level: dict[str, Level]

    @field_validator("minimum_level")
    @classmethod
    def _every_material_class(cls, levels: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(levels) - set(MATERIAL_CLASSES))
        missing = [letter for letter in MATERIAL_CLASSES if letter not in levels]
        if unknown or missing:
            raise ValueError(f"minimum_level needs exactly the classes {'/'.join(MATERIAL_CLASSES)}"
                             + (f"; unknown: {unknown}" if unknown else "") + (f"; missing: {missing}" if missing else ""))
        low = {letter: level for letter, level in levels.items() if level < 3}
        if low:
            # Protection class 2 (level 3) is the floor for personal data (DIN 66399-2): no city's
            # rule can make mediatrail certify less.
            raise ValueError(f"minimum_level below 3 is not allowed for personal data: {low}")
        return levels


class StorageChecks(_Section):
    interval_days: Annotated[int, Field(ge=1, le=366)]
    article: Article


class Incidents(_Section):
    first_report: Literal["same_day"] | Annotated[int, Field(ge=1, le=168)]
    article: Article
    plan_article: Article


class Training(_Section):
    required: bool
    interval_days: Annotated[int, Field(ge=30, le=1095)]
    results_reported: bool
    blocks_when_lapsed: bool
    article: Article
    # Days a person newly on the roster has for their first session; optional so that profiles
    # recorded before it keep working.
    first_within_days: Annotated[int, Field(ge=0, le=365)] = 30


class Cited(_Section):
    article: Article


class Closeout(_Section):
    reminder_days: Annotated[int, Field(ge=1, le=365)]
    article: Article


class Profile(_Section):
    """One version of one city's provisions. Every section is required: a missing duty is refused."""

    profile: ProfileInfo
    papers: Papers
    copies: Copies
    subcontracting: Subcontracting
    roster: Roster
    pledges: Pledges
    work_places: WorkPlaces
    electronic_media: ElectronicMedia
    storage: Storage
    destruction: Destruction
    storage_checks: StorageChecks
    incidents: Incidents
    training: Training
    complaints: Cited
    inspection: Cited
    closeout: Closeout

    @property
    def key(self) -> str:
        return f"{self.profile.id}@{self.profile.version}"

    def cite(self, article: str) -> tuple[str, str]:
        """(ja, en) for a refusal: which article of which city's text says so."""
        return (f"{self.profile.provisions_name} {article}",
                f"{self.profile.provisions_name_en}, {article_in_english(article)}")

    def addressee(self, client: str) -> str:
        """「小金井市長 様」: the head of the client, with the profile's honorific."""
        return f"{self.papers.addressee.replace('{client}', client)} {self.papers.honorific}"

    def pledge_form(self, role: str) -> PledgeForm:
        return next(form for form in self.pledges.forms if role in form.for_roles)

    def pledge_text(self, role: str, client: str) -> str:
        return self.pledge_form(role).text.strip().replace("{client}", client)


# ---- reading and checking profile files -------------------------------------------------------


class ProfileError(InvalidInput):
    """A profile file that cannot be used; ``problems`` lists every reason, one per line."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("プロファイルに誤りがあります: " + " / ".join(ja for ja, _ in problems),
                         "the profile has errors: " + " / ".join(en for _, en in problems))


def parse(text: str) -> Profile:
    """A profile from its TOML text, every problem named (location, what is wrong)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError([(f"TOML として読めません（{error}）", f"not valid TOML ({error})")]) from None
    try:
        return Profile.model_validate(raw)
    except ValidationError as error:
        raise ProfileError([_describe(problem) for problem in error.errors()]) from None


def _describe(problem: dict) -> tuple[str, str]:
    where = ".".join(str(part) for part in problem["loc"]) or "(file)"
    kind = problem["type"]
    if kind == "missing":
        return f"{where}: 必須の項目がありません", f"{where}: required duty or field is missing"
    if kind == "extra_forbidden":
        return f"{where}: 知らない項目です（綴りの誤りか、未対応の義務）", f"{where}: unknown key (a typo, or a duty mediatrail does not know)"
    if kind in ("literal_error", "enum"):
        allowed = problem.get("ctx", {}).get("expected", "")
        return f"{where}: 値が選択肢にありません（{allowed}）", f"{where}: value must be one of {allowed}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"{where}: 値 {problem.get('input')!r} は範囲外です（{problem['msg']}）", f"{where}: {problem.get('input')!r} is out of range ({problem['msg']})"
    return f"{where}: {problem['msg']}", f"{where}: {problem['msg']}"


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def builtin_texts() -> dict[str, str]:
    """Profile files shipped with mediatrail, by key (``koganei@1``)."""
    texts = {}
    for entry in resources.files(BUILTIN_PACKAGE).iterdir():
        if entry.name.endswith(".toml"):
            text = entry.read_text(encoding="utf-8")
            texts[parse(text).key] = text
    return texts


def builtin_key(name: str) -> str:
    """``koganei`` → its newest shipped version (``koganei@1``); a full key is returned as it is."""
    if "@" in name:
        return name
    versions = sorted((key for key in builtin_texts() if key.split("@")[0] == name), key=_version_order)
    if not versions:
        raise NotFound(f"プロファイル「{name}」はありません（{', '.join(sorted(builtin_texts()))}）",
                       f"no provision profile {name!r} (shipped: {', '.join(sorted(builtin_texts()))})")
    return versions[-1]


def _version_order(key: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"[.\-]", key.split("@", 1)[1])]


@lru_cache(maxsize=64)
def _parsed(text: str) -> Profile:
    return parse(text)


def load(text: str) -> Profile:
    """A parsed profile, cached by its text (profiles are small; contracts ask on every action)."""
    return _parsed(text)


_ARTICLE = re.compile(r"第(\d+)条(?:第(\d+)項)?(?:第(\d+)号)?")


def article_in_english(article: str) -> str:
    """第17条第3項 → Art. 17(3); 第6条第1号 → Art. 6(1); other wording is kept as it is."""
    normalised = article.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    match = _ARTICLE.fullmatch(normalised)
    if not match:
        return article
    article_no, paragraph, item = match.groups()
    return f"Art. {article_no}" + "".join(f"({part})" for part in (paragraph, item) if part)


# ---- what a profile asks, duty by duty (inspection page, `mediatrail profile show`) -----------


class Duty(BaseModel):
    article: str
    name_ja: str
    name_en: str
    rule_ja: str
    rule_en: str
    enforced_ja: str  # what mediatrail does about it, truthfully: refused, recorded, or not yet
    enforced_en: str


def _yes(flag: bool, yes: tuple[str, str], no: tuple[str, str]) -> tuple[str, str]:
    return yes if flag else no


def duties(profile: Profile) -> list[Duty]:
    """Every duty of ``profile`` in words, with how mediatrail holds the contractor to it."""
    p = profile
    copies = _yes(p.copies.rule == "forbidden", ("複写・複製は禁止", "copying forbidden"),
                  ("複写・複製は市の承認があるときだけ", "copies only with the city's approval"))
    subcontracting = _yes(p.subcontracting.rule == "forbidden", ("再委託は禁止", "subcontracting forbidden"),
                          ("再委託は事前に書面で申請し市の承認を得る", "subcontracting only after the city approves a written application"))
    roster = _yes(p.roster.changes == "prior_approval", ("取扱者の追加・変更は事前に市の承認を得る", "adding or changing handlers needs the city's prior approval"),
                  ("取扱者の追加・変更は市に届け出る", "adding or changing handlers is notified to the city"))
    witness = {"always": ("消去・廃棄には必ず市が立ち会う", "the city witnesses every destruction"),
               "on_request": ("市が求めたときは立会いに応じる", "the city witnesses when it asks to"),
               "never": ("立会いの定めなし", "no witnessing")}[p.destruction.witness]
    levels = "、".join(f"{letter}-{level}" for letter, level in p.destruction.minimum_level.items())
    first = p.incidents.first_report
    first_ja, first_en = ("当日中", "the same day") if first == "same_day" else (f"{first}時間以内", f"within {first} hours")
    encryption = [what for flag, what in ((p.electronic_media.encrypt_take_out, ("持出し", "take-out")),
                                          (p.electronic_media.encrypt_transfer, ("移送", "transfer"))) if flag]
    rows = [
        (p.copies.article, ("複写・複製", "copies"), copies,
         ("禁止なら依頼を拒否、承認制なら市の承認のない複製を拒否", "a copy without the city's approval is refused (all copies, where forbidden)")),
        (p.subcontracting.article, ("再委託", "subcontracting"), subcontracting,
         ("第14条第2項の全項目のない申請、承認のない再委託先による廃棄・取扱いを拒否（禁止なら申請を拒否）",
          "an application without every Art. 14(2) item, and work by a subcontractor the city has not approved, are refused (the application itself, where forbidden)")),
        (p.roster.article, ("取扱責任者・従事者", "responsible person and workers"), roster,
         _yes(p.roster.changes == "prior_approval",
              ("追加・役割変更は申請とし、市の承認まで取扱いを拒否。削除は即時に反映し市に報告。変更ごとに名簿を再発行",
               "additions and role changes are applications: refused until the city approves; removals at once, reported; the roster paper reissued on each change"),
              ("追加・変更は即時に反映して市に届出、市が確認。変更ごとに名簿を再発行",
               "changes take effect at once and are notified to the city, which acknowledges them; the roster paper reissued on each change"))),
        (p.pledges.article, ("誓約書", "pledges"),
         ("、".join(f"{form.title}（{'・'.join({'responsible': '責任者', 'worker': '従事者'}[r] for r in form.for_roles)}）" for form in p.pledges.forms),
          ", ".join(f"{form.id} ({'/'.join(form.for_roles)})" for form in p.pledges.forms)),
         (("役割に合う現行の様式の誓約書のない者の取扱いを拒否。署名済みの用紙を登録し、市への提出と市の受領確認を記録"
           + ("（画面上の署名も可）" if p.pledges.on_screen else "（自署した用紙のみ）")),
          ("anyone without the current form for their role is refused; signed sheets are uploaded, handing to the city and its confirmation recorded"
           + (" (signing on screen accepted)" if p.pledges.on_screen else " (handwritten sheets only)")))),
        (p.work_places.article, ("作業場所", "work places"),
         _yes(p.work_places.city_acknowledgement, ("作業場所を定め市に報告し、確認を受ける", "work places are reported to and acknowledged by the city"),
              ("作業場所を定め市に報告する", "work places are reported to the city")),
         _yes(p.work_places.city_acknowledgement,
              ("市が確認（指定）した、この契約の作業場所以外への持出しを拒否。作業場所届と身分証明書を記録",
               "taking media anywhere but a work place of the contract the city acknowledged is refused; work places report and ID badges recorded"),
              ("この契約の作業場所として報告した場所以外への持出しを拒否", "taking media anywhere but a reported work place of the contract is refused"))),
        (p.electronic_media.encryption_article, ("電子媒体の暗号化", "encryption of electronic media"),
         (("・".join(ja for ja, _ in encryption) + "の際は暗号化が必要") if encryption else "定めなし",
          ("encrypted for " + " and ".join(en for _, en in encryption)) if encryption else "no rule"),
         ("暗号化の記録がない電子媒体の持出し・移送を拒否", "an electronic medium not recorded as encrypted is refused on those moves")),
        (p.storage.article, ("保管場所", "storage"),
         _yes(p.storage.lockable_required, ("施錠できる保管庫・保管室で保管する", "kept in lockable storage"), ("定めなし", "no rule")),
         ("作業場所への保管を拒否", "storing at a work place is refused")),
        (p.destruction.application_article, ("消去・廃棄の申請", "applying for erasure or destruction"),
         ("事前に書面で申請し市の承諾を得る", "applied for in writing and approved by the city beforehand"),
         ("承認のない廃棄の実施を拒否", "a destruction without the city's approval is refused")),
        (p.destruction.witness_article, ("消去・廃棄の立会い", "witnessing destruction"), witness,
         ("規定に合わない申請を拒否し、求められた立会いの記録がなければ完了できない", "an application against the rule is refused; completion needs the witness when one is required")),
        (p.destruction.report_article, ("破壊の水準", "destruction level"),
         (f"DIN 66399 のセキュリティレベル {levels} 以上", f"DIN 66399 security level at least {levels}"),
         ("下回る方法の申請を拒否", "a lower level is refused on the application")),
        (p.storage_checks.article, ("保管状況の点検", "storage checks"),
         (f"{p.storage_checks.interval_days}日以内ごとに点検", f"checked at least every {p.storage_checks.interval_days} days"),
         ("点検の期限を画面に表示", "due checks are shown on the dashboard")),
        (p.incidents.article, ("事故報告", "incident reports"),
         (f"直ちに報告（第一報は{first_ja}）", f"reported at once (first report {first_en})"),
         ("あらゆる種類の事故を記録し、直ちにメールで市へ通知（未送信は再送）、第一報の期限超過を表示、市の指示への対応を記録",
          "every kind of incident is recorded, the city emailed at once (retried until sent), an overdue first report flagged, each city instruction answered")),
        (p.training.article, ("教育", "training"),
         _yes(p.training.required, (f"{p.training.interval_days}日ごとに教育を行う", f"training every {p.training.interval_days} days"), ("定めなし", "no rule")),
         tuple(text + extra for text, extra in zip(
             _yes(p.training.blocks_when_lapsed,
                  ("教育・受講確認を記録し、期限切れの人の取扱いを拒否", "sessions and attendance recorded; anyone whose training lapsed is refused"),
                  ("教育・受講確認を記録し、期限切れの人を画面に表示", "sessions and attendance recorded; lapsed training is flagged")),
             _yes(p.training.results_reported, ("。結果の市への報告を記録", "; the report of results to the city recorded"), ("", ""))))),
        (p.complaints.article, ("苦情処理", "complaints"), ("苦情は直ちに市に報告する", "complaints are reported to the city at once"),
         ("苦情を記録すると直ちに市へ通知し、経過と終了を記録", "a complaint recorded is told to the city at once, with its progress and closure")),
        (p.inspection.article, ("立入調査", "inspection"), ("市はいつでも調査できる", "the city may inspect at any time"),
         ("点検画面で保管状況と台帳の検証結果を表示", "the inspection page shows holdings and the ledger's verification")),
        (p.closeout.article, ("契約終了時の返還・廃棄", "return or destruction at the end"),
         (f"終了時に市の指定する方法で返還又は廃棄（{p.closeout.reminder_days}日前から案内）", f"returned or destroyed as the city designates at the end (reminded {p.closeout.reminder_days} days ahead)"),
         ("期限前から案内、市が媒体ごとに返還・廃棄を指定、保有・所在不明・未終了の事故が残る間は完了報告を拒否、終了後は受託者の操作・閲覧を拒否",
          "reminded ahead, the city designates return or destruction per medium, the close-out is refused while anything is held, missing or an incident open, and afterwards the contractor is locked out")),
    ]
    return [Duty(article=article, name_ja=name[0], name_en=name[1], rule_ja=rule[0], rule_en=rule[1],
                 enforced_ja=enforced[0], enforced_en=enforced[1]) for article, name, rule, enforced in rows]
