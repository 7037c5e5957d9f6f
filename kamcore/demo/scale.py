"""The demo war room grown to benchmark sizes: S (the demo), M and L.

    size  accounts  opportunities  stakeholders  audit rows
    S     14        (the demo)     (the demo)    (the demo)
    M     200       10,000         5,000         >= 100,000
    L     2,000     100,000        50,000        >= 1,000,000

`generate` first builds the ordinary demo (so every demo sign-in works and the
demo accounts look as usual), then adds generated people, accounts, teams and —
for every feature whose table exists in this database — their rows, spread over
all accounts (demo accounts included, so a demo account carries an average load).

Speed: writing a million audit rows through `records.create/update` one by one
takes hours, so this generator writes rows directly with `executemany` in large
transactions. It keeps the invariants `kamcore.records` keeps, and
`kamcore.data.replay.compare` checks them afterwards:

- every row's values pass the entity's pydantic model (`records.validate`);
- a row created at version 1 gets one `create` audit row per non-empty field,
  values JSON-encoded (`records.encode`), hidden fields as `[hidden]`;
- each later change is one `update` audit row with the old and new value and
  the version it produced; the stored row holds the final values, its version
  (1 + number of changes), `updated_at` and `updated_by` of the last change;
- the actor of a change on an account's row is an editing member of that
  account's team; company-wide rows are created by the administrator;
- generated audit rows are inserted in time order (their ids follow their
  timestamps among themselves; they come after the demo's own rows).

Deterministic: the same size and `today` give the same database.
A feature plugs in by adding a `Spec` to `SPECS` (see `_specs`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from kamcore import audit, records, store
from kamcore.demo import build
from kamcore.demo.context import DEMO_PASSWORD, SEED, DemoContext, Progress

ROW_BATCH = 20_000
LI_WEI_ACCOUNTS = 10  # generated accounts the demo account manager leads, at every size
AUDIT_BATCH = 100_000


@dataclass(frozen=True)
class Size:
    """How big a generated war room is."""

    name: str
    accounts: int
    opportunities: int
    stakeholders: int
    audit_rows: int
    goals_per_account: int = 6


SIZES = {
    "S": Size("S", 0, 0, 0, 0),
    "M": Size("M", 200, 10_000, 5_000, 100_000),
    "L": Size("L", 2_000, 100_000, 50_000, 1_000_000),
}


@dataclass
class Planned:
    """One generated row before it is written: values, creation, and its later changes."""

    entity: records.Entity
    row_id: int
    values: dict[str, Any]
    account_id: int | None
    created: int  # seconds since the epoch
    creator: int | None
    changes: list[tuple[int, int | None, str, Any, Any]] = field(default_factory=list)  # at, actor, field, old, new


@dataclass
class Spec:
    """How to generate one entity: rows per account (or company-wide), and a plausible later change."""

    entity: str
    rows: Callable[[Generator], Iterator[dict[str, Any]]]
    change: Callable[[random.Random, dict[str, Any]], tuple[str, Any]] | None = None
    share: float = 1.0  # weight of this entity in the pool of later changes (per row)
    after_write: Callable[[Generator, list[Planned]], None] | None = None  # e.g. non-audited side tables


class Generator:
    """Plans and writes the generated rows for one size."""

    def __init__(self, ctx: DemoContext, size: Size, progress: Progress | None = None) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.size = size
        self.rng = random.Random(SEED * 31 + ord(size.name))
        self.progress = progress or (lambda share, step: None)
        self.end = int(datetime.combine(ctx.today, datetime.min.time(), tzinfo=UTC).timestamp()) + 9 * 3600
        self.start = self.end - 365 * 86400
        self.next_ids: dict[str, int] = {}
        self.planned: dict[str, list[Planned]] = {}
        self.editors: dict[int, list[int]] = {}  # account id -> editing users
        self.account_ids: list[int] = []
        self.user_ids: list[int] = []
        self.account_created: dict[int, int] = {}
        self.currency: dict[int, str] = {}
        self.team_members: dict[int, list[int]] = {}
        self.after_write: dict[str, Callable[[Generator, list[Planned]], None]] = {}
        self.password_hash = ""
        self.iso_cache: dict[int, str] = {}

    # ---- planning -------------------------------------------------------------------------
    def new_id(self, table: str) -> int:
        """The next id for `table` (ids are never reused, as in kamcore.records)."""
        if table not in self.next_ids:
            self.next_ids[table] = (self.db.execute(f"SELECT coalesce(max(id), 0) FROM [{table}]").fetchone()[0]) + 1
        value = self.next_ids[table]
        self.next_ids[table] += 1
        return value

    def plan(self, entity_name: str, values: dict[str, Any], created: int, creator: int | None) -> Planned:
        """Validate one row and give it an id (nothing is written yet)."""
        entity = audit.entity_named(entity_name)
        clean = records.validate(entity, values)
        row_id = self.new_id(entity.table)
        account = row_id if entity.account_field == "id" else entity.account_of(clean)
        item = Planned(entity, row_id, clean, account, created, creator)
        self.planned.setdefault(entity_name, []).append(item)
        return item

    def moment(self, low: int | None = None, high: int | None = None) -> int:
        """A deterministic point in time `days_ago` before the anchor date."""
        low = self.start if low is None else low
        high = self.end - 3600 if high is None else high
        return self.rng.randint(low, max(low, high))

    def editor_of(self, account_id: int | None) -> int | None:
        """A team member of the account who plausibly made an edit (deterministic)."""
        if account_id is None:
            return self.ctx.admin.id
        return self.rng.choice(self.editors.get(account_id) or [self.ctx.admin.id])

    def iso(self, seconds: int) -> str:
        """A moment as the ISO text the audit log stores."""
        text = self.iso_cache.get(seconds)
        if text is None:
            text = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
            if len(self.iso_cache) < 2_000_000:
                self.iso_cache[seconds] = text
        return text

    # ---- writing --------------------------------------------------------------------------
    def write(self, entity_name: str) -> int:
        """Insert every planned row of one entity with its create and change audit rows."""
        items = self.planned.pop(entity_name, [])
        if not items:
            return 0
        entity = items[0].entity
        names = list(items[0].values)
        columns = ["id", *names, "version", "created_at", "updated_at", "updated_by"]
        sql = (f"INSERT INTO [{entity.table}] ({', '.join(f'[{c}]' for c in columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        batch: list[tuple[Any, ...]] = []
        audit_rows: list[tuple[Any, ...]] = []
        for item in items:
            final = dict(item.values)
            for _at, _actor, fld, _old, new in item.changes:
                final[fld] = new
            last_at, last_actor = (item.changes[-1][0], item.changes[-1][1]) if item.changes else (
                item.created, item.creator)
            batch.append((item.row_id, *(final[n] for n in names), 1 + len(item.changes),
                          self.iso(item.created), self.iso(last_at), last_actor))
            audit_rows.extend(self._audit(entity, item))
            if len(batch) >= ROW_BATCH:
                self.db.conn.executemany(sql, batch)
                batch = []
            if len(audit_rows) >= AUDIT_BATCH:
                self._stage_audit(audit_rows)
                audit_rows = []
        if batch:
            self.db.conn.executemany(sql, batch)
        self._stage_audit(audit_rows)
        if self.after_write.get(entity_name):
            self.after_write[entity_name](self, items)
        return len(items)

    def _audit(self, entity: records.Entity, item: Planned) -> Iterator[tuple[Any, ...]]:
        hidden = entity.hidden_fields
        created = self.iso(item.created)
        for fld, value in item.values.items():
            if value is None:
                continue
            new = records.HIDDEN if fld in hidden else records.encode(value)
            yield (item.created, created, item.creator, item.account_id, entity.name, item.row_id, "create",
                   fld, None, new, 1)
        for number, (at, actor, fld, old, new) in enumerate(item.changes, start=2):
            yield (at, self.iso(at), actor, item.account_id, entity.name, item.row_id, "update", fld,
                   records.HIDDEN if fld in hidden and old is not None else records.encode(old),
                   records.HIDDEN if fld in hidden and new is not None else records.encode(new), number)

    def _stage_audit(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.db.conn.executemany(
                "INSERT INTO temp._scale_audit (t, at, actor_id, account_id, entity, entity_id, action, field, "
                "old_value, new_value, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # ---- the run --------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        """Generate the whole war room, reporting progress."""
        specs = [s for s in _specs() if _known(self.db, s.entity)]
        self.after_write = {s.entity: s.after_write for s in specs if s.after_write}
        self.db.conn.execute("DROP TABLE IF EXISTS temp._scale_audit")
        self.db.conn.execute(
            "CREATE TEMP TABLE _scale_audit (seq INTEGER PRIMARY KEY, t INTEGER, at TEXT, actor_id INTEGER, "
            "account_id INTEGER, entity TEXT, entity_id INTEGER, action TEXT, field TEXT, old_value TEXT, "
            "new_value TEXT, version INTEGER)")
        self.password_hash = store.row(self.db, "SELECT password_hash FROM users WHERE username = 'admin'")[
            "password_hash"]
        counts: dict[str, int] = {}
        steps = len(specs) + 2
        with store.transaction(self.db):
            for number, spec in enumerate(specs):
                self.progress(number / steps, f"planning {spec.entity}")
                for values in spec.rows(self):
                    created, creator = values.pop("__created"), values.pop("__creator")
                    self.plan(spec.entity, values, created, creator)
                if spec.entity == "user":
                    self.user_ids = [p.row_id for p in self.planned.get("user", [])]
                if spec.entity == "account":
                    self.account_ids = [r[0] for r in self.db.execute("SELECT id FROM accounts ORDER BY id")]
                    self.account_ids += [p.row_id for p in self.planned.get("account", [])]
                    self.account_created = {p.row_id: p.created for p in self.planned.get("account", [])}
                    self.currency = dict(self.db.execute("SELECT id, currency FROM accounts").fetchall())
                    self.currency |= {p.row_id: p.values["currency"] for p in self.planned.get("account", [])}
                if spec.entity == "team_member":
                    self._learn_editors()
            self.progress(len(specs) / steps, "planning changes")
            self._plan_changes(specs)
            for spec in specs:
                if spec.entity in self.planned:
                    self.progress((len(specs) + 0.5) / steps, f"writing {spec.entity}")
                    counts[spec.entity] = self.write(spec.entity)
            self.progress((len(specs) + 1) / steps, "writing audit log")
            self.db.conn.execute(
                "INSERT INTO audit_log (at, actor_id, account_id, entity, entity_id, action, field, old_value, "
                "new_value, version) SELECT at, actor_id, account_id, entity, entity_id, action, field, "
                "old_value, new_value, version FROM temp._scale_audit ORDER BY t, seq")
            counts["audit_rows"] = self.db.execute("SELECT count(*) FROM temp._scale_audit").fetchone()[0]
        self.db.conn.execute("DROP TABLE temp._scale_audit")
        self.progress(1.0, "done")
        return counts

    def _learn_editors(self) -> None:
        from kamcore.permissions import EDITING_ROLES

        self.editors, self.team_members = {}, {}
        found = self.db.execute("SELECT account_id, user_id, role FROM account_team ORDER BY id").fetchall()
        found += [(p.values["account_id"], p.values["user_id"], p.values["role"])
                  for p in self.planned.get("team_member", [])]
        for account_id, user_id, role in found:
            self.team_members.setdefault(account_id, []).append(user_id)
            if role in EDITING_ROLES:
                self.editors.setdefault(account_id, []).append(user_id)

    def _plan_changes(self, specs: list[Spec]) -> None:
        """Spread later changes over the generated rows until the audit log reaches its target size."""
        pool: list[Planned] = []
        weights: list[float] = []
        creates = 0
        for spec in specs:
            items = self.planned.get(spec.entity, [])
            creates += sum(1 for it in items for v in it.values.values() if v is not None)
            if spec.change is None:
                continue
            pool.extend(items)
            weights.extend([spec.share] * len(items))
        existing = self.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        # later changes fill the log up to its target; when creating the rows already passes it
        # (every non-empty field of a new row is one audit row), a fifth of the target still goes to changes
        budget = max(self.size.audit_rows - existing - creates, self.size.audit_rows // 5)
        if budget <= 0 or not pool:
            return
        change_of = {s.entity: s.change for s in specs}
        chosen = self.rng.choices(range(len(pool)), weights=weights, k=budget)
        per_item: dict[int, int] = {}
        for index in chosen:
            per_item[index] = per_item.get(index, 0) + 1
        for index in sorted(per_item):
            item = pool[index]
            change = change_of[item.entity.name]
            times = sorted(self.moment(item.created + 60) for _ in range(per_item[index]))
            current = dict(item.values)
            previous = item.created
            for at in times:
                at = max(at, previous + 1)
                previous = at
                for _attempt in range(8):  # a change that changes something
                    fld, new = change(self.rng, current)
                    if current.get(fld) != new:
                        break
                else:
                    continue
                old = current.get(fld)
                current[fld] = new
                item.changes.append((at, self.editor_of(item.account_id), fld, old, new))
            records.validate(item.entity, current)


def _known(db: Database, entity_name: str) -> bool:
    """Is the entity registered in kamcore and its table present in this database?"""
    from kamcore.errors import NotFoundError

    try:
        table = audit.entity_named(entity_name).table
    except NotFoundError:
        return False
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone() is not None


# ---- the foundation's entities --------------------------------------------------------------
SURNAMES = ("Zhou", "Wu", "Zheng", "Feng", "Chen", "Chu", "Wei", "Jiang", "Shen", "Han", "Yang", "Zhu", "Qin",
            "You", "Xu", "He", "Lü", "Shi", "Zhang", "Kong", "Cao", "Yan", "Hua", "Jin", "Tao", "Ma", "Patel",
            "Okafor", "Silva", "Novak", "Haddad", "Kim")
GIVEN = ("Hao", "Jing", "Lei", "Mei", "Ning", "Ping", "Qiang", "Rui", "Tao", "Wen", "Xin", "Yan", "Yu", "Ze",
         "Amara", "Lucas", "Priya", "Sara", "Tomas", "Yusuf")
PLACES = ("Nanhai", "Jinling", "Haixi", "Taihu", "Beibu", "Qinling", "Donghai", "Songjiang", "Xiangjiang",
          "Huangshan", "Changbai", "Tianshan", "Lijiang", "Wuyi", "Emei", "Kunlun", "Bohai", "Zhujiang",
          "Gobi", "Yanshan", "Mekong", "Sahel", "Andes", "Baltic", "Danube", "Atlas", "Indus", "Volta",
          "Zambezi", "Aral", "Caspian", "Ural", "Altai", "Pamir", "Hengduan", "Dabie", "Luliang", "Taihang",
          "Wuling", "Nanling")
NOUNS = (("Telecom", "Telecom"), ("Mobile", "Telecom"), ("Power Grid", "Energy"), ("Petrochemical", "Energy"),
         ("Steel", "Metals"), ("Aluminium", "Metals"), ("Semiconductor", "Semiconductor"),
         ("Precision Works", "Manufacturing"), ("Heavy Industries", "Manufacturing"),
         ("Automotive", "Automotive"), ("Metro", "Infrastructure"), ("Port Group", "Infrastructure"),
         ("Hospital Group", "Healthcare"), ("Logistics", "Logistics"), ("Cloud", "Technology"),
         ("Data Centre", "Technology"), ("Bank", "Finance"), ("Insurance", "Finance"),
         ("Water Authority", "Utilities"), ("Airport Group", "Transport"))
REGIONS = ("East China", "North China", "South China", "Central China", "Northwest China", "Southwest China",
           "Northeast China", "Shanghai", "Hong Kong", "East Africa", "West Africa", "Middle East",
           "Southeast Asia", "Latin America", "Central Asia")
STATUSES = ("prospect", "active", "active", "active", "active", "at_risk", "dormant", "lost")
NOTE_BITS = ("Budget cycle starts in Q1.", "New CIO since spring; relationship to rebuild.",
             "Tender expected after the five-year plan review.", "Price pressure from two local rivals.",
             "Delivery escalation closed last month.", "Reference visit requested by the board.",
             "Framework agreement renewal due.", "Decision moved to the group's procurement centre.")


def _users(gen: Generator) -> Iterator[dict[str, Any]]:
    count = max(20, gen.size.accounts // 4)
    for number in range(count):
        surname, given = gen.rng.choice(SURNAMES), gen.rng.choice(GIVEN)
        yield {"username": f"{given.lower()}.{surname.lower().replace('ü', 'u')}.{number:04d}",
               "display_name": f"{surname} {given}", "password_hash": gen.password_hash,
               "global_role": "member", "lang": gen.rng.choice(("en", "zh")), "active": True,
               "__created": gen.moment(gen.start - 200 * 86400, gen.start), "__creator": gen.ctx.admin.id}


def _accounts(gen: Generator) -> Iterator[dict[str, Any]]:
    taken = {r[0].lower() for r in gen.db.execute("SELECT name FROM accounts")}
    demo_count = len(taken)
    for _ in range(max(0, gen.size.accounts - demo_count)):
        noun, industry = gen.rng.choice(NOUNS)
        base = f"{gen.rng.choice(PLACES)} {noun}"
        name, suffix = base, 2
        while name.lower() in taken:
            name, suffix = f"{base} {suffix}", suffix + 1
        taken.add(name.lower())
        yield {"name": name, "industry": industry, "region": gen.rng.choice(REGIONS),
               "currency": gen.rng.choice(("CNY", "CNY", "CNY", "USD", "HKD", "EUR")),
               "status": gen.rng.choice(STATUSES), "notes": " ".join(gen.rng.sample(NOTE_BITS, 2)),
               "__created": gen.moment(gen.start, gen.start + 60 * 86400), "__creator": gen.ctx.admin.id}


def _account_change(rng: random.Random, values: dict[str, Any]) -> tuple[str, Any]:
    pick = rng.random()
    if pick < 0.6:
        return "notes", " ".join(rng.sample(NOTE_BITS, rng.randint(1, 3)))
    if pick < 0.9:
        return "status", rng.choice(STATUSES)
    return "region", rng.choice(REGIONS)


def _team(gen: Generator) -> Iterator[dict[str, Any]]:
    """An iron triangle on every generated account. The demo's Li Wei leads ten of them at any size:
    an account manager's own portfolio does not grow with the company (the executive's view does)."""
    planned_accounts = {p.row_id: p for p in gen.planned.get("account", [])}
    li_wei = gen.ctx.users["li.wei"].id if "li.wei" in gen.ctx.users else None
    executive = gen.ctx.users["chen.jie"].id if "chen.jie" in gen.ctx.users else None
    led_by_li_wei = set(gen.rng.sample(sorted(planned_accounts), min(LI_WEI_ACCOUNTS, len(planned_accounts))))
    for account_id, item in planned_accounts.items():
        people = gen.rng.sample(gen.user_ids, 3)
        if li_wei is not None and account_id in led_by_li_wei:
            people[0] = li_wei
        created = item.created + 3600
        for position, (user_id, role) in enumerate(
                zip(people, ("account_manager", "solution_manager", "delivery_manager"), strict=True)):
            yield {"account_id": account_id, "user_id": user_id, "role": role, "first_responsible": position == 0,
                   "__created": created, "__creator": gen.ctx.admin.id}
        if executive is not None and gen.rng.random() < 0.2:
            yield {"account_id": account_id, "user_id": executive, "role": "executive",
                   "first_responsible": False, "__created": created, "__creator": gen.ctx.admin.id}


def _specs() -> list[Spec]:
    """Every entity the generator knows, in dependency order; features add theirs here."""
    return [
        Spec("user", _users),
        Spec("account", _accounts, _account_change, share=5.0),
        Spec("team_member", _team),
        *_feature_specs(),
    ]


def _feature_specs() -> list[Spec]:
    """Specs for feature entities — each used only when its table exists in the database."""
    return [
        Spec("goal", _goals, _goal_change, share=1.0),
        Spec("opportunity", _opportunities, _opportunity_change, share=1.0, after_write=_stage_history),
        Spec("stakeholder", _stakeholders, _stakeholder_change, share=1.0),
    ]


def _spread(gen: Generator, total: int) -> list[int]:
    """`total` items spread at random over every account (demo ones included), grouped by account."""
    return sorted(gen.rng.choices(gen.account_ids, k=total))


def _account_created(gen: Generator, account_id: int) -> int:
    planned = gen.account_created.get(account_id)
    return planned if planned is not None else gen.start


def _goals(gen: Generator) -> Iterator[dict[str, Any]]:
    lines = [r[0] for r in gen.db.execute("SELECT id FROM product_lines ORDER BY id")]
    year = gen.ctx.today.year
    for account_id in gen.account_ids:
        owners = gen.editors.get(account_id)
        if not owners:
            continue
        for number in range(gen.size.goals_per_account):
            quadrant, metric = (("financial", "revenue"), ("financial", "orders"), ("customer", "satisfaction"),
                                ("customer", "share_of_wallet"), ("process", "custom"),
                                ("learning", "custom"))[number % 6]
            money = metric in ("revenue", "orders")
            target = round(gen.rng.uniform(5, 300), 1) * 1_000_000 if money else float(gen.rng.randint(30, 90))
            am = gen.rng.choice((100, 60, 50))
            yield {"account_id": account_id, "year": year, "quarter": None, "quadrant": quadrant,
                   "metric": metric, "title": "" if metric != "custom" else gen.rng.choice(GOAL_TITLES),
                   "product_line_id": gen.rng.choice(lines) if money and lines else None,
                   "target": target, "actual": None, "owner_id": gen.rng.choice(owners),
                   "split_am": am, "split_sm": (100 - am) // 2, "split_dm": 100 - am - (100 - am) // 2,
                   "__created": gen.moment(_account_created(gen, account_id) + 7200),
                   "__creator": gen.rng.choice(owners)}


GOAL_TITLES = ("Quarterly business review with the CIO", "Two certified solution architects on site",
               "Joint innovation lab running", "Win-loss review after every tender")


def _goal_change(rng: random.Random, values: dict[str, Any]) -> tuple[str, Any]:
    if values["metric"] in ("satisfaction", "share_of_wallet"):
        return "actual", float(rng.randint(20, 100))
    if values["metric"] == "custom":
        return "actual", float(rng.randint(0, 100))
    return "actual", round(values["target"] * rng.uniform(0.1, 1.3), -3)


DEAL_WORDS = ("backbone upgrade", "campus network", "site power retrofit", "private cloud phase",
              "edge gateways", "O&M outsourcing", "data-centre refresh", "5G private network",
              "fleet telematics", "plant IoT pilot", "disaster-recovery site", "capacity expansion")
NEXT_STEPS = ("Technical exchange with the design institute", "Send the revised quote",
              "Reference visit to a live site", "Workshop with the user department",
              "Clarify the tender timetable", "Executive dinner with the CIO")
REASONS = ("Price", "Better solution fit", "Relationship with the decision maker", "Budget frozen",
           "Delivery track record")


def _opportunities(gen: Generator) -> Iterator[dict[str, Any]]:
    stages = gen.db.execute("SELECT key, is_lead FROM stages WHERE active = 1 ORDER BY position").fetchall()
    leads = [k for k, lead in stages if lead]
    deals = [k for k, lead in stages if not lead]
    lines = gen.db.execute("SELECT id, code FROM product_lines ORDER BY id").fetchall()
    if not lines or not deals:
        return
    sequence: dict[str, int] = {}
    for (number,) in gen.db.execute("SELECT number FROM opportunities"):
        prefix, _, tail = number.rpartition("-")
        if tail.isdigit():
            sequence[prefix] = max(sequence.get(prefix, 0), int(tail))
    for account_id in _spread(gen, gen.size.opportunities):
        created = gen.moment(_account_created(gen, account_id) + 86400)
        opened = datetime.fromtimestamp(created, UTC).date()
        line_id, code = gen.rng.choice(lines)
        prefix = f"{code.upper()}-{opened.year}"
        sequence[prefix] = sequence.get(prefix, 0) + 1
        lead = bool(leads) and gen.rng.random() < 0.25
        status = "open" if gen.rng.random() < 0.7 else gen.rng.choice(("won", "won", "lost", "no_decision"))
        closed_on = (opened + timedelta(days=gen.rng.randint(20, 200))) if status != "open" else None
        if closed_on is not None and closed_on > gen.ctx.today:
            closed_on = gen.ctx.today
        owners = gen.editors.get(account_id) or [None]
        yield {"account_id": account_id, "product_line_id": line_id, "number": f"{prefix}-{sequence[prefix]:03d}",
               "name": f"{gen.rng.choice(DEAL_WORDS).capitalize()} {opened.year}",
               "kind": "lead" if lead and status == "open" else "opportunity",
               "amount": float(gen.rng.randint(2, 400) * 100_000), "currency": gen.currency.get(account_id, "CNY"),
               "opened_on": opened.isoformat(),
               "expected_close": (opened + timedelta(days=gen.rng.randint(30, 300))).isoformat(),
               "stage": gen.rng.choice(leads if lead and status == "open" else deals),
               "owner_id": gen.rng.choice(owners), "next_step": gen.rng.choice(NEXT_STEPS),
               "status": status, "close_reason": gen.rng.choice(REASONS) if status != "open" else "",
               "closed_on": closed_on.isoformat() if closed_on else None,
               "__created": created, "__creator": owners[0] or gen.ctx.admin.id}


def _opportunity_change(rng: random.Random, values: dict[str, Any]) -> tuple[str, Any]:
    pick = rng.random()
    if pick < 0.35:
        return "next_step", rng.choice(NEXT_STEPS)
    if pick < 0.6:
        return "amount", float(rng.randint(2, 400) * 100_000)
    if pick < 0.8:
        opened = date.fromisoformat(values["opened_on"])
        return "expected_close", (opened + timedelta(days=rng.randint(30, 400))).isoformat()
    if pick < 0.9:
        return "probability", rng.choice((None, 10, 30, 50, 70, 90))
    return "notes", rng.choice(NOTE_BITS)


def _stage_history(gen: Generator, items: list[Planned]) -> None:
    """The append-only stage history the opportunity module keeps next to each deal."""
    rows = []
    for item in items:
        values = item.values
        rows.append((item.row_id, item.account_id, None, values["stage"], gen.iso(item.created), item.creator))
        if values["status"] != "open":
            closed = max(item.created + 60, int(datetime.fromisoformat(values["closed_on"]).replace(
                tzinfo=UTC).timestamp()) + 9 * 3600)
            rows.append((item.row_id, item.account_id, values["stage"], values["status"], gen.iso(closed),
                         item.creator))
    gen.db.conn.executemany(
        "INSERT INTO stage_history (opportunity_id, account_id, from_stage, to_stage, moved_at, moved_by) "
        "VALUES (?, ?, ?, ?, ?, ?)", rows)


DEPARTMENTS = ("IT", "Procurement", "Operations", "Finance", "Engineering", "Executive office", "Design institute")
TITLES = {"decision": ("CEO", "CIO", "General Manager", "Vice President"),
          "management": ("IT Director", "Procurement Manager", "Plant Manager", "Chief Engineer"),
          "execution": ("Network Engineer", "Buyer", "Project Engineer", "Operations Lead")}
STANCES = ("coach", "supporter", "neutral", "neutral", "opponent", "blocker")


def _stakeholders(gen: Generator) -> Iterator[dict[str, Any]]:
    from kamcore.decision_chain.stakeholders import BUYING_ROLES
    for account_id in _spread(gen, gen.size.stakeholders):
        level = gen.rng.choice(("decision", "management", "management", "execution", "execution"))
        team = gen.team_members.get(account_id) or [None]
        yield {"account_id": account_id, "name": f"{gen.rng.choice(SURNAMES)} {gen.rng.choice(GIVEN)}",
               "job_title": gen.rng.choice(TITLES[level]), "department": gen.rng.choice(DEPARTMENTS),
               "level": level, "roles": ",".join(gen.rng.sample(BUYING_ROLES, gen.rng.randint(0, 2))),
               "stance": gen.rng.choice(STANCES), "score": gen.rng.randint(-1, 3),
               "owner_id": gen.rng.choice(team), "notes": gen.rng.choice(NOTE_BITS),
               "__created": gen.moment(_account_created(gen, account_id) + 86400),
               "__creator": gen.editor_of(account_id)}


def _stakeholder_change(rng: random.Random, values: dict[str, Any]) -> tuple[str, Any]:
    pick = rng.random()
    if pick < 0.4:
        return "score", rng.randint(-1, 3)
    if pick < 0.7:
        return "stance", rng.choice(STANCES)
    return "notes", rng.choice(NOTE_BITS)


def generate(db: Database, size: str | Size = "M", today: date | None = None,
             progress: Progress | None = None) -> dict[str, int]:
    """Build the demo, then grow it to `size` (a name in SIZES, or a Size for tests).

    Returns how many rows of each kind were generated, and the seconds it took.
    """
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}")
        size = SIZES[size]
    report = progress or (lambda share, step: None)
    started = time.perf_counter()
    ctx = build(db, today=today, progress=lambda share, step: report(share * 0.1, f"demo: {step}"))
    counts: dict[str, int] = {}
    if size.accounts:
        gen = Generator(ctx, size, lambda share, step: report(0.1 + share * 0.9, step))
        counts = gen.run()
    else:
        report(1.0, "done")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


__all__ = ["DEMO_PASSWORD", "SIZES", "Generator", "Size", "Spec", "generate"]
