"""django-helpdesk's `get_email` as the intake anchor of bench/ingest.py.

mailbot's intake figure means little alone: the machine is shared and its load drifts. The
issue measures it against another helpdesk's mail intake on the same backlog, in the same
hour, interleaved; this module is that other helpdesk, set up as its documentation sets it up
for IMAP and run as its cron job runs it.

* Its own virtualenv, made once and kept outside the repository (`$MAILBOT_BENCH_CACHE`, by
  default ~/.cache/mailbot-bench/django-helpdesk-2.6.1/), with `django-helpdesk==2.6.1` from
  PyPI and the Django it asks for (5.2 LTS); never the system Python, never the project's
  .venv. Made from the interpreter running the bench.
* A minimal Django project written into the bench's temporary directory: SQLite, the apps
  helpdesk needs (teams mode off, as its docs allow, so pinax-teams is not needed), DEBUG off,
  Django's SMTP backend pointed at the bench's sink. Migrations run once per bench run into a
  template database that each measured run copies, so every run starts on an empty helpdesk
  as mailbot's runs start on an empty store. The e-mail templates come with the migrations.
* One Queue, as an operator fills it in the admin for IMAP: `email_box_type` imap on the
  private Dovecot's port, no SSL (helpdesk tries STARTTLS first and goes on in clear when the
  server offers none, as this Dovecot does), the unit's login, folder INBOX,
  `allow_email_submission` on, `email_address` the unit's address (so the unit itself is not
  copied), logging off (the field's default). `email_box_interval` is 0 so that the untimed
  empty pass before each run does not make the timed pass skip the queue for 5 minutes.
* `python -m django get_email` as a subprocess, timed from its start until it exits: it
  marks each message `\\Deleted` after its ticket is made and EXPUNGEs once at the end of the
  pass, and sends each mail synchronously through the SMTP backend (a new SMTP connection per
  mail), so at its exit the INBOX is empty and every mail is accepted; both are checked. The
  start-up is inside that time (there is no READY=1); an empty pass is timed before each run
  so that it can be told apart. CPU is the process's own rusage (user + system).

Two variants, each closer to what mailbot does, for telling where a difference comes from:
`staff_cc` (bench/ingest.py `--anchor-staff-notice`) puts the staff in the queue's
`new_ticket_cc`, so that each ticket also mails a staff notice; `wal` (`--anchor-sqlite-wal`)
opens SQLite in WAL mode with synchronous=FULL, as mailbot's store does, through Django's
`init_command` (by default Django keeps SQLite's rollback journal, and each save is its own
transaction: about 26 fdatasync a message).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "2.6.1"
CACHE_ENV = "MAILBOT_BENCH_CACHE"
# the closest releases, tried in order only when the exact one cannot be installed here
FALLBACKS = (f"django-helpdesk=={VERSION}", "django-helpdesk~=2.6.0", "django-helpdesk")

SETTINGS = '''"""Settings of the bench's django-helpdesk project, written by bench/anchor_django_helpdesk.py."""
import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
HELPDESK_TEAMS_MODE_ENABLED = False
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "anchor_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ANCHOR_DATABASE"],
                         "OPTIONS": {"init_command": os.environ.get("ANCHOR_SQLITE_INIT", "")}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ["ANCHOR_MEDIA"]
MEDIA_URL = "/media/"
LOGIN_URL = "helpdesk:login"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("ANCHOR_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("ANCHOR_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 60
DEFAULT_FROM_EMAIL = os.environ.get("ANCHOR_FROM", "helpdesk@localhost")
'''

URLS = '''from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
'''

QUEUE = '''"""Make the bench's one Queue (IMAP, as an operator fills it in the admin)."""
import os

import django

django.setup()
from helpdesk.models import Queue  # noqa: E402

Queue.objects.create(
    title="LPSE", slug="lpse", email_address=os.environ["ANCHOR_FROM"], allow_email_submission=True,
    email_box_type="imap", email_box_host=os.environ["ANCHOR_IMAP_HOST"],
    email_box_port=int(os.environ["ANCHOR_IMAP_PORT"]), email_box_ssl=False,
    email_box_user=os.environ["ANCHOR_IMAP_USER"], email_box_pass=os.environ["ANCHOR_IMAP_PASSWORD"],
    email_box_imap_folder="INBOX", email_box_interval=0, new_ticket_cc=os.environ.get("ANCHOR_STAFF_CC", ""),
)
'''


def cache_dir() -> Path:
    """Where the anchor's virtualenv is kept between runs: never in the repository."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mailbot-bench")


@dataclass(frozen=True)
class Environment:
    """The anchor's virtualenv and what was installed in it."""

    python: Path
    helpdesk: str
    django: str


def prepare() -> Environment:
    """The virtualenv with django-helpdesk, made on first use (about 15 s and 130 MB), and
    made again when the one kept no longer runs (its base Python gone or changed).

    Built under a temporary name and renamed when complete, so an interrupted install is
    never taken for a finished one."""
    home = cache_dir() / f"django-helpdesk-{VERSION}"
    python = home / "bin" / "python"
    versions = "from importlib.metadata import version as v; print(v('django-helpdesk'), v('django'))"
    for _ in range(2):
        if not (home / "installed").exists():
            _build(home)
        found = subprocess.run([str(python), "-c", versions], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            helpdesk, django = found.stdout.split()
            return Environment(python, helpdesk, django)
        (home / "installed").unlink()
    raise RuntimeError(f"the virtualenv in {home} does not run: {found.stderr[-2000:]}")


def _build(home: Path) -> None:
    building = home.with_name(home.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    _install(building / "bin" / "python")
    (building / "installed").write_text("")
    shutil.rmtree(home, ignore_errors=True)
    # the scripts in bin/ name the path they were built in; the bench runs `bin/python -m`, which a rename keeps
    building.rename(home)


def _install(python: Path) -> None:
    for spec in FALLBACKS:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec],
                              capture_output=True, text=True, check=False)
        if done.returncode == 0:
            if spec != FALLBACKS[0]:
                print(f"note: {FALLBACKS[0]} could not be installed here; installed {spec} instead")
            return
        print(f"note: pip install {spec} failed: {done.stderr.strip().splitlines()[-1:]}")
    raise RuntimeError("django-helpdesk could not be installed from PyPI")


@dataclass(frozen=True)
class AnchorRun:
    """One timed `get_email` pass over the backlog."""

    messages: int  # in the backlog
    rate: float  # messages a second, from the process's start until its exit
    seconds: float
    cpu: float  # user + system seconds of the process
    system: float  # of which system (kernel) seconds
    startup: float  # wall seconds of the untimed pass over an empty INBOX just before
    mails: int  # accepted by the sink during the timed pass
    to_staff: int  # of which addressed to a staff address
    tickets: int
    left: int  # messages still in the INBOX after the pass

    @property
    def rate_less_startup(self) -> float:
        """The rate with the empty pass's time taken off: nearer to mailbot's, timed from READY=1."""
        return self.rate * self.seconds / (self.seconds - self.startup)


class Project:
    """The Django project of the anchor: written and migrated once, copied for every run."""

    def __init__(self, env: Environment, place: Path, unit: str, staff_cc: str = "", wal: bool = False) -> None:
        self.env, self.unit, self.staff_cc = env, unit, staff_cc
        # Django's documented SQLite tuning, as mailbot's store has it: WAL with synchronous=FULL
        self.sqlite_init = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL" if wal else ""
        self.root = place / "anchor-project"
        self.root.mkdir(parents=True)
        (self.root / "anchor_settings.py").write_text(SETTINGS)
        (self.root / "anchor_urls.py").write_text(URLS)
        (self.root / "anchor_queue.py").write_text(QUEUE)
        self.template = self.root / "template.db"
        started = time.monotonic()
        self._django(["migrate", "--no-input"], self._environ(self.template, self.root / "media"))
        print(f"django-helpdesk {env.helpdesk} (Django {env.django}) in {env.python.parents[1]}; "
              f"migrations {time.monotonic() - started:.0f} s")

    def _environ(self, database: Path, media: Path, **more: str) -> dict[str, str]:
        return dict(os.environ, DJANGO_SETTINGS_MODULE="anchor_settings", PYTHONPATH=str(self.root),
                    ANCHOR_DATABASE=str(database), ANCHOR_MEDIA=str(media), ANCHOR_FROM=self.unit,
                    ANCHOR_SQLITE_INIT=self.sqlite_init, **more)

    def _django(self, args: list[str], environ: dict[str, str]) -> None:
        subprocess.run([str(self.env.python), "-m", "django", *args], cwd=self.root, env=environ, check=True,
                       stdout=subprocess.DEVNULL)

    def run(self, raws: list[bytes], sinked: AbstractContextManager[tuple[Any, Any, Path]]) -> AnchorRun:
        """One run on its own Dovecot and sink (bench/ingest.py's `Sinked`), its figures printed."""
        with sinked as (servers, sink, place):
            found = self.measure(raws, servers, sink, place)
        print(f"    django-helpdesk {found.rate:.1f} msg/s ({found.rate_less_startup:.1f} less an empty pass), "
              f"{found.cpu / len(raws) * 1000:.1f} ms CPU per message ({found.system / len(raws) * 1000:.1f} "
              f"system; {found.seconds:.1f} s, an empty pass "
              f"{found.startup:.1f} s); {found.tickets} tickets, {found.mails} mails accepted, INBOX left "
              f"{found.left}", flush=True)
        return found

    def side_by_side(self, mailbot: list[tuple[float, float]], anchored: list[AnchorRun]) -> None:
        """mailbot's runs ((rate, CPU seconds), in run order) and the anchor's from the same
        bench run: the anchor's medians, the ratio of the medians and the ratio within each run."""
        n = anchored[0].messages
        rates = sorted(rate for rate, _ in mailbot)
        cpus = sorted(cpu / n * 1000 for _, cpu in mailbot)
        other = sorted(a.rate for a in anchored)
        other_less = sorted(a.rate_less_startup for a in anchored)
        other_cpu = sorted(a.cpu / n * 1000 for a in anchored)
        print(f"django-helpdesk get_email {_spread(other, '.1f')} msg/s   (process start to exit; an empty pass "
              f"{_spread(sorted(a.startup for a in anchored), '.1f')} s)")
        print(f"  less the empty pass     {_spread(other_less, '.1f')} msg/s   (its start-up, login and logout "
              "taken off, as mailbot's figure starts at READY=1)")
        print(f"  its CPU per message     {_spread(other_cpu, '.1f')} ms   (user+sys of the get_email process, "
              f"start-up included; system {_spread(sorted(a.system / n * 1000 for a in anchored), '.1f')} ms)")
        print(f"  tickets {min(a.tickets for a in anchored)}-{max(a.tickets for a in anchored)}, mails accepted "
              f"{min(a.mails for a in anchored)}-{max(a.mails for a in anchored)} (to staff "
              f"{max(a.to_staff for a in anchored)}), INBOX left {max(a.left for a in anchored)}")
        print(f"  what it does: {describe(self.staff_cc, bool(self.sqlite_init))}")
        mine = _median(rates)
        print(f"ratio mailbot / django-helpdesk (medians)  {mine / _median(other):.2f} x msg/s "
              f"({mine / _median(other_less):.2f} x against its rate less the empty pass);  "
              f"CPU per message {_median(cpus):.1f} ms against {_median(other_cpu):.1f} ms")
        pairs = sorted(rate / a.rate for (rate, _), a in zip(mailbot, anchored, strict=True))
        print(f"  run by run (each run's pair, the same minutes' load)  {_spread(pairs, '.2f')} x")

    def measure(self, raws: list[bytes], servers: Any, sink: Any, place: Path) -> AnchorRun:
        """One run on this Dovecot and sink: a fresh copy of the migrated database with the
        queue, an untimed pass over the empty INBOX, the backlog appended and read once (as
        bench/ingest.py reads it before mailbot's run), then the timed pass."""
        database, media = place / "helpdesk.db", place / "media"
        shutil.copyfile(self.template, database)
        environ = self._environ(database, media, ANCHOR_SMTP_HOST=servers.host, ANCHOR_SMTP_PORT=str(sink.port),
                                ANCHOR_IMAP_HOST=servers.host, ANCHOR_IMAP_PORT=str(servers.imap_port),
                                ANCHOR_IMAP_USER=self.unit, ANCHOR_IMAP_PASSWORD=servers.password_for(self.unit),
                                ANCHOR_STAFF_CC=self.staff_cc)
        subprocess.run([str(self.env.python), str(self.root / "anchor_queue.py")], cwd=self.root, env=environ,
                       check=True)
        startup, _ = self._get_email(environ, place / "empty.log")
        with servers.imap(self.unit) as client:
            for raw in raws:
                client.append("INBOX", raw)
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            for at in range(0, len(uids), 50):
                client.fetch(uids[at:at + 50], ["BODY.PEEK[]"])
        before = sink.count()
        seconds, usage = self._get_email(environ, place / "get_email.log")
        with sink.lock:
            sent = sink.mails[before:]
        staff = [a.strip().lower() for a in self.staff_cc.split(",") if a.strip()]
        with servers.imap(self.unit) as client:
            left = int(client.select_folder("INBOX", readonly=True)[b"EXISTS"])
        with sqlite3.connect(database) as db:
            tickets = db.execute("select count(*) from helpdesk_ticket").fetchone()[0]
        return AnchorRun(len(raws), len(raws) / seconds, seconds, usage.ru_utime + usage.ru_stime, usage.ru_stime,
                         startup, len(sent),
                         sum(any(r in staff for r in rcpts) for _, rcpts, _ in sent), tickets, left)

    def _get_email(self, environ: dict[str, str], log: Path) -> tuple[float, Any]:
        """Wall seconds and resource usage of one `get_email` process, as cron starts it."""
        with log.open("wb") as out:
            started = time.monotonic()
            proc = subprocess.Popen([str(self.env.python), "-m", "django", "get_email"], cwd=self.root,
                                    env=environ, stdout=out, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"get_email exited {proc.returncode}: {log.read_text()[-3000:]}")
        return seconds, usage


def _median(ordered: list[float]) -> float:
    return ordered[len(ordered) // 2]


def _spread(ordered: list[float], fmt: str) -> str:
    """The median of sorted values and their range, as bench/ingest.py prints its own."""
    return f"{format(_median(ordered), fmt)} (range {format(ordered[0], fmt)}-{format(ordered[-1], fmt)})"


def describe(staff_cc: str, wal: bool = False) -> str:
    """What the anchor does with each message, for the bench's output."""
    sends = ("the submitter's 'newticket_submitter' notice (English, text and HTML, one SMTP connection a mail)"
             + (f" and a 'newticket_cc' notice to {staff_cc}" if staff_cc else "; no staff notice (new_ticket_cc "
                "empty, the queue's default)"))
    store = ("SQLite in WAL mode, synchronous=FULL (as mailbot's store)" if wal else
             "SQLite as Django leaves it (a rollback journal, synchronous=FULL, each save its own transaction)")
    return ("django-helpdesk get_email (IMAP, one FETCH RFC822 a message): a ticket and a follow-up per message in "
            f"{store}, the HTML part and attachments stored as files, then {sends}; the message is marked \\Deleted "
            "and EXPUNGEd at the end of the pass (no folder keeps it)")


if __name__ == "__main__":
    environment = prepare()
    print(f"django-helpdesk {environment.helpdesk}, Django {environment.django}: {environment.python}")
