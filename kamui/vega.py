"""Charts as plain Vega-Lite specs (`st.vega_lite_chart`), sent the way Altair charts are sent.

Building a chart through Altair validates every piece against the Vega-Lite schema: on the plan and
decision-chain pages that cost more than the rest of the page's run. A plain spec costs nothing to build.
`named` attaches the rows as a named dataset, the way `st.altair_chart` sends them (the browser receives the
same message it got from the Altair chart).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

Spec = dict[str, Any]


def named(frame: pd.DataFrame, spec: Spec) -> Spec:
    """`spec` with `frame` as its named dataset (named by its content, as Altair names it)."""
    content = frame.to_json(orient="split", date_format="iso", default_handler=str)
    name = "data-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]
    return {**spec, "data": {"name": name}, "datasets": {name: frame}}
