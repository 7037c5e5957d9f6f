"""Product lines from a CRM product list (admins): code and name, matched by name or code;
extra columns (series, price) go into the description as "column: value" text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlite_utils import Database

from kamcore import permissions, product_lines, records
from kamcore.data.imports import files, runs, synonyms
from kamcore.data.imports.matching import norm
from kamcore.errors import FieldProblem, ValidationError
from kamcore.users import User


@dataclass
class ProductPlan:
    """Product lines to create; those already there are listed, not duplicated."""

    creates: list[dict[str, Any]] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)
    token: str = field(default_factory=runs.new_token)

    @property
    def ok(self) -> bool:
        return not self.problems


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """A first guess at which file column holds which field."""
    return synonyms.guess(columns, synonyms.PRODUCTS)


def code_for(name: str) -> str:
    """A product-line code from a name ("GTX Pro" -> "GTX-PRO")."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name.strip()).strip("-").upper()[:20] or "LINE"


def plan_products(db: Database, actor: User, frame: pd.DataFrame, columns: dict[str, str]) -> ProductPlan:
    """Check every row; nothing is written."""
    permissions.require_admin(actor)
    files.require_columns(frame, columns, ("name",))
    plan = ProductPlan()
    lines = product_lines.list_product_lines(db)
    known = {norm(x["name"]): x["name"] for x in lines} | {norm(x["code"]): x["name"] for x in lines}
    extra = [c for c in frame.columns if c not in columns.values()]
    seen: dict[str, int] = {}
    for index, raw in enumerate(frame.to_dict("records")):
        number = index + files.FIRST_DATA_ROW
        name = str(raw.get(columns["name"]) or "").strip()
        code = str(raw.get(columns.get("code", "")) or "").strip() or code_for(name)
        if not name:
            plan.problems.append(FieldProblem("name", "reason.missing", row=number))
            continue
        if norm(name) in seen or norm(code) in seen:
            plan.problems.append(FieldProblem("name", "reason.duplicate_in_file",
                                              {"value": name, "other": seen.get(norm(name), seen.get(norm(code)))},
                                              row=number))
            continue
        seen[norm(name)] = seen[norm(code)] = number
        if norm(name) in known or norm(code) in known:
            plan.existing.append(known.get(norm(name)) or known[norm(code)])
            continue
        description = "; ".join(f"{c}: {raw[c]}" for c in extra if str(raw.get(c) or "").strip())
        try:
            clean = records.validate(product_lines.ENTITY, {"code": code, "name": name, "description": description})
        except ValidationError as exc:
            plan.problems += exc.at_row(number)
            continue
        plan.creates.append({"row": number, "values": clean})
    return plan


def commit_products(db: Database, actor: User, plan: ProductPlan) -> dict[str, Any]:
    """Create the planned product lines in one transaction; once per plan."""
    if not plan.ok:
        raise ValidationError(plan.problems)

    def write() -> dict[str, Any]:
        for item in plan.creates:
            product_lines.create_product_line(db, actor, item["values"])
        return {"rows": len(plan.creates), "existing": len(plan.existing)}

    return runs.commit_once(db, actor, plan.token, "products", write)
