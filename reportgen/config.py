"""Frozen settings: built-in defaults, loaded and validated once from `reportgen.toml`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reportgen.config_checks import check_address as _check_address
from reportgen.config_checks import check_archive_url as _check_archive_url
from reportgen.config_checks import check_date_format as _check_date_format
from reportgen.config_checks import checked_currency as _currency
from reportgen.config_checks import checked_locale as _locale
from reportgen.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
SAMPLE_DATA = PROJECT_ROOT / "data" / "sample" / "customers.csv"
DEFAULT_BRAND = PROJECT_ROOT / "brand" / "_brand.yml"
DEFAULT_PLAYBOOK = TEMPLATES_DIR / "playbook.toml"
TRANSACTIONS_PLAYBOOK = TEMPLATES_DIR / "playbook_transactions.toml"
GENERIC_PLAYBOOK = TEMPLATES_DIR / "playbook_generic.toml"  # role-based actions that follow any playbook

CC_FEATURES: tuple[str, ...] = (
    "BALANCE",
    "BALANCE_FREQUENCY",
    "PURCHASES",
    "ONEOFF_PURCHASES",
    "INSTALLMENTS_PURCHASES",
    "CASH_ADVANCE",
    "PURCHASES_FREQUENCY",
    "ONEOFF_PURCHASES_FREQUENCY",
    "PURCHASES_INSTALLMENTS_FREQUENCY",
    "CASH_ADVANCE_FREQUENCY",
    "CASH_ADVANCE_TRX",
    "PURCHASES_TRX",
    "CREDIT_LIMIT",
    "PAYMENTS",
    "MINIMUM_PAYMENTS",
    "PRC_FULL_PAYMENT",
    "TENURE",
)


SEPARATORS: dict[str, str] = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


@dataclass(frozen=True)
class DataConfig:
    kind: str = "customers"
    path: Path | None = None
    id_column: str = "CUST_ID"  # "" = no id column: customers are numbered by row, 1..n
    features: tuple[str, ...] = CC_FEATURES
    separator: str = "auto"  # "auto" or one of SEPARATORS
    categorical: tuple[str, ...] = ()  # text or coded columns: profiled per segment, one-hot when in features
    dates: dict[str, str] = field(default_factory=dict)  # column -> strftime format: days before period end
    labels: dict[str, str] = field(default_factory=dict)  # column -> how the report names it
    value: tuple[str, ...] = ()  # the column(s) that measure what a customer is worth (summed)
    source: Path | None = field(default=None, compare=False)  # the reportgen.toml read: named in errors
    fitted_by: Path | None = field(default=None, compare=False)  # reportgen assign: the model.json read


@dataclass(frozen=True)
class FeatureConfig:
    engineered: bool = True
    transform: str = "log1p"


@dataclass(frozen=True)
class ClusterConfig:
    k: int | None = None  # None means "auto"
    k_min: int = 2
    k_max: int = 10
    n_init: int = 10
    random_state: int = 0
    silhouette_sample: int = 10000
    stability_resamples: int = 20  # seeded resamples measuring how stable each k and segment is; 0 = off
    min_segment_share: float = 0.02  # auto-k never chooses a k with a smaller segment than this share


@dataclass(frozen=True)
class TransactionConfig:
    customer: str = "CustomerID"
    invoice: str = "InvoiceNo"
    timestamp: str = "InvoiceDate"
    quantity: str = "Quantity"
    unit_price: str = "UnitPrice"
    product: str | None = "StockCode"
    timestamp_format: str = ""  # "" = ISO 8601 or month-first; else a strftime format


@dataclass(frozen=True)
class EmailConfig:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    starttls: bool = False
    username: str = ""
    sender: str = "reports@example.com"
    recipients: tuple[str, ...] = ("a@example.com",)
    archive_url: str = "https://intranet.example.com/segments/"
    timeout: float = 30.0


@dataclass(frozen=True)
class BrandConfig:
    file: Path = DEFAULT_BRAND


@dataclass(frozen=True)
class ReportConfig:
    title: str = "Customer Segmentation Report"
    playbook: Path | None = None  # None: the bundled playbook for the data kind
    names: dict[str, str] = field(default_factory=dict)  # segment id (as text) -> the user's name for it
    currency: str = ""  # ISO 4217 code ("USD", "EUR"): amounts are shown with it; "" = plain numbers
    locale: str = "en"  # number and currency formatting ("en_GB", "de_DE")
    amounts_cover: str = ""  # the period the amounts cover, shown with them ("the last 6 months")
    allow_formula_ids: bool = False  # write ids starting with = + - @ into segments.csv as they are


ENGINE_KINDS: tuple[str, ...] = ("local", "spark")


@dataclass(frozen=True)
class EngineConfig:
    kind: str = "local"  # "local" (Polars + scikit-learn, one machine) | "spark" (Apache Spark)
    master: str = "local[*]"  # for spark: the master URL (local[*], spark://host:7077, yarn, ...)


@dataclass(frozen=True)
class Settings:
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    clustering: ClusterConfig = field(default_factory=ClusterConfig)
    transactions: TransactionConfig = field(default_factory=TransactionConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    brand: BrandConfig = field(default_factory=BrandConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    source: Path | None = None  # the reportgen.toml these came from, if any

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as plain JSON-ready values (for the reproducibility block and hashes)."""
        out: dict[str, Any] = {}
        for section in fields(self):
            # the engine is where the numbers are computed, not what they are: both engines give the same
            # report, so it stays out of the settings the report and the config hash show
            if section.name in ("source", "engine"):
                continue
            value = getattr(self, section.name)
            # a section's `source` (where its keys were read, for error messages) is not a setting
            out[section.name] = {
                f.name: _plain(getattr(value, f.name))
                for f in fields(value)
                if f.name not in ("source", "fitted_by")
            }
        return out


_DEFAULT = Settings()  # every default is written once, in the dataclasses above


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        try:
            return str(value.relative_to(PROJECT_ROOT))
        except ValueError:
            return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


# Expected type of every key, as (python types, description for the error message).
_STR = ((str,), "a string")
_BOOL = ((bool,), "true or false")
_INT = ((int,), "an integer")
_NUM = ((int, float), "a number")
_STRLIST = ((list,), "a list of strings")
_STRMAP = ((dict,), 'a table of column = text, e.g. { Dt_Customer = "%d-%m-%Y" }')
_LABELMAP = ((dict,), 'a table of column = text, e.g. { MntWines = "Wine spend" }')
_STRTABLE = ((dict,), "a table of strings")

_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], str]]] = {
    "data": {
        "kind": _STR,
        "path": _STR,
        "separator": _STR,
        "id_column": _STR,
        "features": _STRLIST,
        "categorical": _STRLIST,
        "dates": _STRMAP,
        "labels": _LABELMAP,
        "value": _STRLIST,
    },
    "features": {"engineered": _BOOL, "transform": _STR},
    "clustering": {
        "k": ((str, int), 'an integer >= 2 or "auto"'),
        "k_min": _INT,
        "k_max": _INT,
        "n_init": _INT,
        "random_state": _INT,
        "silhouette_sample": _INT,
        "stability_resamples": _INT,
        "min_segment_share": _NUM,
    },
    "transactions": {
        "customer": _STR,
        "invoice": _STR,
        "timestamp": _STR,
        "quantity": _STR,
        "unit_price": _STR,
        "product": _STR,
        "timestamp_format": _STR,
    },
    "email": {
        "smtp_host": _STR,
        "smtp_port": _INT,
        "starttls": _BOOL,
        "username": _STR,
        "sender": _STR,
        "recipients": _STRLIST,
        "archive_url": _STR,
        "timeout": _NUM,
    },
    "brand": {"file": _STR},
    "report": {
        "title": _STR,
        "playbook": _STR,
        "names": _STRTABLE,
        "currency": _STR,
        "locale": _STR,
        "amounts_cover": _STR,
        "allow_formula_ids": _BOOL,
    },
    "engine": {"kind": _STR, "master": _STR},
}


def load_settings(path: Path | None) -> Settings:
    """Read and validate a reportgen.toml; None gives the built-in defaults."""
    if path is None:
        return Settings()
    where = str(path)
    if not path.exists():
        raise InputError(f"{where}: config file not found")
    if path.is_dir():
        raise InputError(f"{where}: is a directory, expected a reportgen.toml file")
    if not path.is_file():  # a device (/dev/zero) never ends, a FIFO waits for a writer
        raise InputError(
            f"{where}: is not a regular file (a device, FIFO or socket); expected a reportgen.toml"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: invalid TOML: {exc}") from None
    check_schema(raw, where)
    return settings_from_dict(raw, base=path.resolve().parent, where=where, source=path.resolve())


def check_schema(raw: dict[str, Any], where: str) -> None:
    """Raise InputError on an unknown section or key, or a value of the wrong type."""
    for section, body in raw.items():
        if section not in _SCHEMA:
            known = ", ".join(f"[{s}]" for s in _SCHEMA)
            if not isinstance(body, dict):
                # A key written above every [section] header, e.g. `k = 4` at the top of the file.
                homes = [f"[{s}]" for s, keys in _SCHEMA.items() if section in keys]
                hint = f"put it under {' or '.join(homes)}" if homes else f"expected a section: {known}"
                raise InputError(f"{where}: key {section} is outside any section; {hint}")
            raise InputError(f"{where}: unknown section [{section}]; expected one of {known}")
        if not isinstance(body, dict):
            raise InputError(f"{where}: [{section}] must be a table, got {type(body).__name__}")
        for key, value in body.items():
            spec = _SCHEMA[section].get(key)
            if spec is None:
                known = ", ".join(_SCHEMA[section])
                raise InputError(f"{where}: unknown key {section}.{key}; expected one of {known}")
            types, expected = spec
            # bool is an int in Python; a TOML `true` is never a valid integer here.
            if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
                raise InputError(f"{where}: {section}.{key} must be {expected}, got {_describe(value)}")
            if isinstance(value, list) and not all(isinstance(v, str) and v for v in value):
                raise InputError(f"{where}: {section}.{key} must be {expected}, got {_describe(value)}")
            if isinstance(value, dict):
                for name, text in value.items():
                    if not isinstance(text, str) or not text.strip() or not name.strip():
                        raise InputError(
                            f"{where}: {section}.{key}.{name} must be non-empty text, got {_describe(text)}"
                        )
            _check_texts(value, f"{section}.{key}", where)


MAX_TEXT_CHARS = 4096  # any text in the config; report.title has its own, tighter limit


def _check_texts(value: Any, key: str, where: str) -> None:
    """Refuse a text (or one in a list or table) that is huge or holds NUL: neither belongs in a report."""
    texts = (
        value
        if isinstance(value, list)
        else [*value, *value.values()]
        if isinstance(value, dict)
        else [value]
    )
    for text in texts:
        if not isinstance(text, str):
            continue
        if len(text) > MAX_TEXT_CHARS:
            raise InputError(
                f"{where}: {key} holds {len(text):,} characters of text; at most {MAX_TEXT_CHARS:,}"
            )
        if "\0" in text:
            raise InputError(f"{where}: {key} holds a NUL character; remove it")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f'string "{value}"'
    return f"{type(value).__name__} {value!r}"


def settings_from_dict(raw: dict[str, Any], base: Path, where: str, source: Path | None = None) -> Settings:
    """Build validated Settings from an already type-checked TOML dict; paths resolve against `base`."""
    d = raw.get("data", {})
    f = raw.get("features", {})
    c = raw.get("clustering", {})
    t = raw.get("transactions", {})
    e = raw.get("email", {})
    b = raw.get("brand", {})
    r = raw.get("report", {})
    g = raw.get("engine", {})

    kind = d.get("kind", _DEFAULT.data.kind)
    if kind not in ("customers", "transactions"):
        raise InputError(f'{where}: data.kind must be "customers" or "transactions", got "{kind}"')
    # The loader strips spaces around header names, so names here are compared stripped too.
    features = tuple(name.strip() for name in d.get("features", _DEFAULT.data.features))
    if not all(features):
        raise InputError(f"{where}: data.features holds an empty column name")
    id_column = d.get("id_column", _DEFAULT.data.id_column).strip()
    if not features:
        raise InputError(f"{where}: data.features must name at least one column")
    _no_repeats(features, "data.features", where)
    separator = d.get("separator", _DEFAULT.data.separator)
    if separator != "auto" and separator not in SEPARATORS:
        raise InputError(
            f'{where}: data.separator must be "auto" or one of ",", ";", "\\t" (tab), "|"; got {separator!r}'
        )
    categorical = tuple(name.strip() for name in d.get("categorical", _DEFAULT.data.categorical))
    _no_repeats(categorical, "data.categorical", where)
    value = tuple(name.strip() for name in d.get("value", _DEFAULT.data.value))
    _no_repeats(value, "data.value", where)
    dates = {name.strip(): fmt for name, fmt in d.get("dates", {}).items()}
    for name, fmt in dates.items():
        _check_date_format(fmt, f"data.dates.{name}", where)
    labels = {name.strip(): text.strip() for name, text in d.get("labels", {}).items()}
    for name in (*categorical, *value):
        if name == id_column:
            raise InputError(
                f"{where}: {name} is data.id_column; it cannot also be a categorical or value column"
            )
    both = sorted(set(categorical) & set(dates))
    if both:
        raise InputError(
            f"{where}: {', '.join(both)} is listed in both data.categorical and data.dates; keep it in one"
        )
    wrong_value = sorted(set(value) & (set(categorical) | set(dates)))
    if wrong_value:
        raise InputError(
            f"{where}: data.value names {', '.join(wrong_value)}, a categorical or date column; "
            "expected amount columns that can be summed"
        )
    data = DataConfig(
        kind=kind,
        path=(base / d["path"]) if "path" in d else None,
        id_column=id_column,
        features=features,
        separator=separator,
        categorical=categorical,
        dates=dates,
        labels=labels,
        value=value,
        source=source,
    )

    transform = f.get("transform", _DEFAULT.features.transform)
    if transform not in ("log1p", "none"):
        raise InputError(f'{where}: features.transform must be "log1p" or "none", got "{transform}"')
    feats = FeatureConfig(engineered=f.get("engineered", _DEFAULT.features.engineered), transform=transform)

    clustering = _cluster_config(c, where)

    tx = TransactionConfig(**{k: v for k, v in t.items()})
    if "product" in t and not t["product"]:
        tx = replace(tx, product=None)
    if tx.timestamp_format:
        _check_date_format(tx.timestamp_format, "transactions.timestamp_format", where)

    port = e.get("smtp_port", _DEFAULT.email.smtp_port)
    if not 0 < port < 65536:
        raise InputError(f"{where}: email.smtp_port must be between 1 and 65535, got {port}")
    timeout = float(e.get("timeout", _DEFAULT.email.timeout))
    if not 0 < timeout <= MAX_TIMEOUT_S:  # also refuses nan and inf
        raise InputError(
            f"{where}: email.timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT_S:g}, "
            f"got {timeout}"
        )
    _check_address(e.get("sender", _DEFAULT.email.sender), "email.sender", where)
    for address in e.get("recipients", ()):
        _check_address(address, "email.recipients", where)
    _check_archive_url(e.get("archive_url", _DEFAULT.email.archive_url), where)
    email = EmailConfig(
        smtp_host=e.get("smtp_host", _DEFAULT.email.smtp_host),
        smtp_port=port,
        starttls=e.get("starttls", _DEFAULT.email.starttls),
        username=e.get("username", _DEFAULT.email.username),
        sender=e.get("sender", _DEFAULT.email.sender),
        recipients=tuple(e.get("recipients", _DEFAULT.email.recipients)),
        archive_url=e.get("archive_url", _DEFAULT.email.archive_url),
        timeout=timeout,
    )

    brand = (
        BrandConfig(file=_existing_file(base, b["file"], "brand.file", where))
        if "file" in b
        else BrandConfig()
    )
    report = ReportConfig(
        title=_title(r.get("title", _DEFAULT.report.title), where),
        playbook=(_existing_file(base, r["playbook"], "report.playbook", where) if "playbook" in r else None),
        names=_segment_names(r.get("names", {}), where),
        currency=_currency(r.get("currency", ""), where),
        locale=_locale(r.get("locale", "en"), where),
        amounts_cover=" ".join(r.get("amounts_cover", "").split()),
        allow_formula_ids=r.get("allow_formula_ids", False),
    )
    return Settings(
        data=data,
        features=feats,
        clustering=clustering,
        transactions=tx,
        email=email,
        brand=brand,
        report=report,
        engine=_engine_config(g, where),
        source=source,
    )


def _engine_config(g: dict[str, Any], where: str) -> EngineConfig:
    kind = g.get("kind", _DEFAULT.engine.kind)
    if kind not in ENGINE_KINDS:
        raise InputError(f'{where}: engine.kind must be "local" or "spark", got "{kind}"')
    master = g.get("master", _DEFAULT.engine.master).strip()
    if not master or any(ch.isspace() for ch in master):
        raise InputError(
            f"{where}: engine.master must be a Spark master URL without spaces (local[*], "
            f"spark://host:7077, yarn, k8s://https://host:443), got {master!r}"
        )
    return EngineConfig(kind=kind, master=master)


def _cluster_config(c: dict[str, Any], where: str) -> ClusterConfig:
    k_raw = c.get("k", "auto")
    k: int | None
    if isinstance(k_raw, str):
        if k_raw != "auto":
            raise InputError(f'{where}: clustering.k must be an integer >= 2 or "auto", got "{k_raw}"')
        k = None
    else:
        k = k_raw
        if k < 2:
            raise InputError(f"{where}: clustering.k must be an integer >= 2, got {k}")
    k_min = c.get("k_min", _DEFAULT.clustering.k_min)
    k_max = c.get("k_max", _DEFAULT.clustering.k_max)
    if k_min < 2:
        raise InputError(f"{where}: clustering.k_min must be >= 2, got {k_min}")
    if k_min > k_max:
        raise InputError(f"{where}: clustering.k_min={k_min} must be <= clustering.k_max={k_max}")
    n_init = c.get("n_init", _DEFAULT.clustering.n_init)
    if n_init < 1:
        raise InputError(f"{where}: clustering.n_init must be >= 1, got {n_init}")
    sample = c.get("silhouette_sample", _DEFAULT.clustering.silhouette_sample)
    if sample < 0 or 0 < sample < 100:
        raise InputError(
            f"{where}: clustering.silhouette_sample must be 0 (every row) or >= 100, got {sample}"
        )
    seed = c.get("random_state", _DEFAULT.clustering.random_state)
    if not 0 <= seed <= MAX_SEED:  # what numpy and scikit-learn take as a seed
        raise InputError(f"{where}: clustering.random_state must be between 0 and {MAX_SEED}, got {seed}")
    resamples = c.get("stability_resamples", _DEFAULT.clustering.stability_resamples)
    if not 0 <= resamples <= 1000:
        raise InputError(
            f"{where}: clustering.stability_resamples must be 0 (off) or a count up to 1000, got {resamples}"
        )
    min_share = float(c.get("min_segment_share", _DEFAULT.clustering.min_segment_share))
    if not 0.0 <= min_share < 0.5:
        raise InputError(
            f"{where}: clustering.min_segment_share must be a share in [0, 0.5), e.g. 0.02, got {min_share}"
        )
    return ClusterConfig(
        k=k,
        k_min=k_min,
        k_max=k_max,
        n_init=n_init,
        random_state=seed,
        silhouette_sample=sample,
        stability_resamples=resamples,
        min_segment_share=min_share,
    )


def _no_repeats(names: tuple[str, ...], key: str, where: str) -> None:
    if not all(names):
        raise InputError(f"{where}: {key} holds an empty column name")
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise InputError(f"{where}: {key} names {', '.join(dup)} more than once")


MAX_SEED = 2**32 - 1
MAX_TIMEOUT_S = 600.0
MAX_TITLE_CHARS = 200  # report.title: a cover line, not a document (a 1 MB title took minutes to lay out)


def _title(title: str, where: str) -> str:
    if len(title) > MAX_TITLE_CHARS:
        raise InputError(
            f"{where}: report.title is {len(title):,} characters; at most {MAX_TITLE_CHARS} fit on the cover"
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in title):
        raise InputError(f"{where}: report.title holds a control character (e.g. NUL or a line break)")
    return title


def _existing_file(base: Path, value: str, key: str, where: str) -> Path:
    path = (base / value).resolve()
    if not path.is_file():
        raise InputError(f"{where}: {key} = {value!r}: file not found at {path}")
    return path


def with_engine(settings: Settings, kind: str) -> Settings:
    """Return the settings with [engine] kind replaced (the --engine option)."""
    if kind not in ENGINE_KINDS:
        raise InputError(f'--engine must be "local" or "spark", got "{kind}"')
    return replace(settings, engine=replace(settings.engine, kind=kind))


def with_k(settings: Settings, k: int) -> Settings:
    """Return settings with the number of segments fixed (the --k flag)."""
    if k < 2:
        raise InputError(f"--k: the number of segments must be >= 2, got {k}")
    return replace(settings, clustering=replace(settings.clustering, k=k))


def _segment_names(raw: dict[str, str], where: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, name in raw.items():
        if not key.strip().isdigit():
            raise InputError(f'{where}: report.names keys must be segment ids like "0", got "{key}"')
        if name.strip() in names.values():
            raise InputError(f'{where}: report.names gives "{name.strip()}" to more than one segment')
        names[str(int(key))] = name.strip()
    return names
