"""What differs between a customer table and a transaction log: one object per kind, not a branch per use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reportgen.analysis.naming import Archetype
from reportgen.analysis.profile import ARCHETYPE_NAMES, CARD_ARCHETYPES
from reportgen.analysis.rfm import RFM_ARCHETYPE_NAMES, RFM_ARCHETYPES, with_rfm_scores
from reportgen.config import DEFAULT_PLAYBOOK, TRANSACTIONS_PLAYBOOK, Settings
from reportgen.model import LoadedTable
from reportgen.model.kinds import CUSTOMERS_WORDING, TRANSACTIONS_WORDING, KindWording
from reportgen.period import Period

Loader = Callable[[Path, Settings, Period], LoadedTable]


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


def _load_customers(path: Path, settings: Settings, period: Period) -> LoadedTable:
    from reportgen.io.load import load_customers

    return load_customers(path, settings.data)


def _load_transactions(path: Path, settings: Settings, period: Period) -> LoadedTable:
    from reportgen.io.transactions import load_transactions  # here: only a transaction log needs it

    return with_rfm_scores(load_transactions(path, settings.transactions, period.last_day))


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
