"""Fixtures: a throwaway database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set for the
tests marked ``both_databases``), people on a contract, the Flask app and its client."""

from __future__ import annotations

import os
import shutil

import pytest

from tracker import config, db, ledger
from tracker.errors import DomainError
from tracker.models import ALL_MODELS, Contract, User, create_schema
from tracker.workflows import access, electronic, people, places, roster, workplaces

PASSWORD = "correct-horse-9"


def database_urls():
    urls = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        urls.append("postgres")
    return urls


@pytest.fixture
def data_dir(tmp_path):
    return config.initialise(tmp_path / "data", base_url="http://mediatrail.test").data_dir


@pytest.fixture
def settings(data_dir):
    return config.load(data_dir)


@pytest.fixture(params=database_urls())
def database(request, settings, monkeypatch):
    """SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (a clean schema each test)."""
    if request.param == "postgres":
        url = os.environ["TEST_DATABASE_URL"]
        monkeypatch.setenv("DATABASE_URL", url)
        real = db.connect(url)
        real.drop_tables(ALL_MODELS, safe=True, cascade=True)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        real = db.connect(settings.database_url)
    create_schema()
    yield real
    real.close()


@pytest.fixture
def sqlite_database(settings, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    real = db.connect(settings.database_url)
    create_schema()
    yield real
    real.close()


class Cast:
    """The people and places of a small contract, as the demo has them."""

    def __init__(self):
        self.admin = people.create_user(None, "admin", "管理者", "admin", PASSWORD)
        self.contract = people.create_contract(None, "KG26", "住民税課税資料入力業務委託", "小金井市", contractor="株式会社サンプル")
        self.responsible = people.create_user(self.admin, "yamada", "山田 太郎", "contractor", PASSWORD)
        self.worker = people.create_user(self.admin, "sato", "佐藤 花子", "contractor", PASSWORD)
        self.newcomer = people.create_user(self.admin, "suzuki", "鈴木 一郎", "contractor", PASSWORD)
        self.city = people.create_user(self.admin, "takahashi", "高橋 市役所", "municipality", PASSWORD, organisation="小金井市 市民税課")
        self.rostered(self.admin, "KG26", "yamada", "responsible")
        people.sign_pledge(self.responsible, "KG26")
        self.rostered(self.responsible, "KG26", "sato", "worker")
        people.sign_pledge(self.worker, "KG26")
        self.cabinet = places.create_location(self.admin, "施錠キャビネットA", "cabinet", "storage", site="本社", room="2F 保管室")
        self.work_room = places.create_location(self.admin, "作業室1", "room", "work", site="本社", room="3F")
        self.work_place(self.contract.code)
        # Art. 6: the city consented beforehand to personal information on the contractor's electronic media.
        notice = electronic.submit(self.responsible, "KG26", ["usb", "hdd", "ssd", "optical", "tape", "other"],
                                   "暗号化USBメモリ・外付けHDD", "本社", "課税資料の入力", "AES-256", "separate")
        electronic.decide(self.city, notice.number, True)

    def work_place(self, contract_code, location=None):
        """The work room reported for ``contract_code`` and acknowledged by the city (Art. 9)."""
        code = (location or self.work_room).code
        workplaces.report(self.responsible, contract_code, code, "東京都小金井市本町1-1 本社3F", "入退室管理、施錠")
        return workplaces.acknowledge(self.official_for(contract_code), contract_code, code)


    def rostered(self, applicant, contract_code, login, role="worker", **details):
        """Put ``login`` on the roster as Art. 8 has it: ``applicant`` applies, the city approves."""
        application = roster.apply_add(applicant, contract_code, login, role, **details)
        if application.status == "pending":
            roster.decide(self.official_for(contract_code), application.number, True)
        return application

    def official_for(self, contract_code):
        """A municipality account of the contract's city (a city acts only on its own contracts):
        takahashi for 小金井市, otherwise one made for that city."""
        contract = Contract.get_by_id(contract_code)
        if access.belongs_to_city(self.city, contract):
            return self.city
        login = f"city-{contract_code.lower()}"
        return User.get_or_none(User.login == login) or people.create_user(
            self.admin, login, f"{contract.client} 職員", "municipality", PASSWORD, organisation=f"{contract.client} 担当課")


@pytest.fixture
def cast(database):
    return Cast()


@pytest.fixture
def app(cast, data_dir):
    from tracker.web import create_app

    # Loaded after the database fixture chose SQLite or PostgreSQL (through DATABASE_URL).
    application = create_app(config.load(data_dir), {"TESTING": True})
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, login_name, password=PASSWORD):
    response = client.post("/login", data={"login": login_name, "password": password, "csrf_token": login_csrf(client)})
    assert response.status_code == 302, response.data
    return client


def login_csrf(client) -> str:
    """The login form's CSRF token, as a browser gets it by opening the login page."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf_token"]


def csrf(client) -> str:
    client.get("/")
    with client.session_transaction() as session:
        return session["csrf_token"]


def run_cli(*arguments):
    from click.testing import CliRunner

    from tracker.cli import cli

    return CliRunner().invoke(cli, list(arguments), catch_exceptions=False)


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory):
    """`mediatrail demo` seeded once per test run (it issues several PDFs: seconds each time)."""
    folder = tmp_path_factory.mktemp("demo-template") / "demo"
    saved = os.environ.pop("DATABASE_URL", None)
    try:
        # As on a LAN (--host 0.0.0.0): labels and papers carry this machine's LAN address (test_addresses.py).
        result = run_cli("--data", str(folder), "demo", "--no-serve", "--media", "30", "--host", "0.0.0.0")
    finally:
        if saved is not None:
            os.environ["DATABASE_URL"] = saved
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def demo_dir(seeded_demo, tmp_path, monkeypatch):
    """A fresh copy of the demo's data folder (`--media 30`: 32 media, two of them destroyed; two
    a4-24 sheets of labels) that a test may change."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "demo"
    shutil.copytree(seeded_demo, folder)
    return folder


def refused(call, kind=DomainError):
    """Call ``call``, which must be refused with ``kind`` in both languages and write nothing."""
    before = ledger.head()
    with pytest.raises(kind) as caught:
        call()
    assert ledger.head() == before, "a refusal must write nothing"
    assert caught.value.message_ja and caught.value.message_en
    return caught.value
