"""What differs between a customer table and a transaction log: one object per kind, not a branch per use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.analysis.naming import Archetype
from reportgen.analysis.profile import ARCHETYPE_NAMES, CARD_ARCHETYPES
from reportgen.analysis.rfm import RFM_ARCHETYPE_NAMES, RFM_ARCHETYPES, with_rfm_scores
from reportgen.config import DEFAULT_PLAYBOOK, TRANSACTIONS_PLAYBOOK, Settings
from reportgen.model import LoadedTable
from reportgen.model.kinds import CUSTOMERS_WORDING, TRANSACTIONS_WORDING, KindWording
from reportgen.period import Period, period_of

if TYPE_CHECKING:
    import polars as pl

# (a file or a DataFrame, settings, the period or None for the data's own, the DataFrame's name in messages)
Loader = Callable[["Path | pl.DataFrame", Settings, "Period | None", str], LoadedTable]


def current_period() -> Period:
    """Return this calendar month (the default period of a customer table)."""
    return period_of(date.today())


@dataclass(frozen=True)
class DataKind:
    """A kind of input table: how it is read, how its segments are named, its playbook and its words."""

    name: str
    load: Loader
    archetypes: tuple[Archetype, ...]  # the names its segments can take, with the conditions each states
    archetype_names: Mapping[str, str]
    playbook: Path  # the bundled playbook, unless [report] playbook names another
    wording: KindWording
    sample: bool  # whether the bundled sample can stand in for data.path


def _load_customers(
    source: Path | pl.DataFrame, settings: Settings, period: Period | None, label: str
) -> LoadedTable:
    from reportgen.io.load import customers_from_frame, load_customers

    end = (period or current_period()).last_day  # date columns count days to it
    locale = settings.report.locale  # the notes' numbers read as the report's
    if isinstance(source, Path):
        return load_customers(source, settings.data, end, locale)
    return customers_from_frame(source, settings.data, label, end, locale)


def _load_transactions(
    source: Path | pl.DataFrame, settings: Settings, period: Period | None, label: str
) -> LoadedTable:
    # here: only a transaction log needs it
    from reportgen.analysis.purchases import purchase_table
    from reportgen.io.transactions import purchase_log_from_frame, read_purchase_log

    end = period.last_day if period is not None else None  # None: the month of the last timestamp
    if isinstance(source, Path):
        log = read_purchase_log(source, settings.transactions, end, settings.data.separator)
    else:
        log = purchase_log_from_frame(source, settings.transactions, end, label)
    return with_rfm_scores(purchase_table(log, settings.report.locale))


CUSTOMERS = DataKind(
    name="customers",
    load=_load_customers,
    archetypes=CARD_ARCHETYPES,
    archetype_names=ARCHETYPE_NAMES,
    playbook=DEFAULT_PLAYBOOK,
    wording=CUSTOMERS_WORDING,
    sample=True,
)
TRANSACTIONS = DataKind(
    name="transactions",
    load=_load_transactions,
    archetypes=RFM_ARCHETYPES,
    archetype_names=RFM_ARCHETYPE_NAMES,
    playbook=TRANSACTIONS_PLAYBOOK,
    wording=TRANSACTIONS_WORDING,
    sample=False,
)
KINDS = {kind.name: kind for kind in (CUSTOMERS, TRANSACTIONS)}


def data_kind(settings: Settings) -> DataKind:
    """Return the kind of table the settings name (config.py has validated data.kind)."""
    return KINDS[settings.data.kind]
