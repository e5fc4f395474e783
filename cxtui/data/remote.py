"""Datasets in object stores (``s3://``, ``gs://``, ``az://``; SPEC §12).

A :class:`RemotePath` is a URL that stands where the data layer has a local
``Path``: it joins, names its parent and suffix, and knows its object's state
(size, last-modified, ETag) for the cache keys. A :class:`Store` holds one
bucket's settings, lists its objects once and reads small files
(``cxtui.toml``).

Table data is read by Polars' own cloud readers (object_store); listing and
small reads go through ``pyarrow.fs``, already a dependency. Both take their
settings from the same place, resolved here once: the ``[storage]`` options of
cxtui.toml, else each cloud's standard environment variables, else (S3) the
static keys of the profile in ``~/.aws/credentials`` and ``~/.aws/config``.
With none of them the clouds' default chains (instance roles and the like)
apply. Nothing here ever writes to a store.

Errors from either reader are turned into one line naming the URL and the fix
(:func:`remote_error`).
"""

from __future__ import annotations

import configparser
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxtui.errors import CxError

# URL scheme -> the cloud it names (the spellings Polars accepts for each)
SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gs", "gcs": "gs", "az": "az", "azure": "az"}

# Objects whose ETag is read (one HEAD each) for the cache key; a dataset of more
# objects keys on the listing's size and last-modified alone (docs/scale.md).
ETAG_LIMIT = 256

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/]*)(/.*)?$")


def is_url(text: object) -> bool:
    """Whether `text` names an object-store location (s3://, gs://, az://)."""
    if not isinstance(text, str):
        return False
    m = _URL.match(text.strip())
    return m is not None and m.group(1).lower() in SCHEMES


def as_location(data: str | Path | RemotePath) -> Path | RemotePath:
    """A dataset argument as the data layer takes it: a URL stays a URL (a
    `Path` would fold its double slash), anything else is a local path."""
    if isinstance(data, RemotePath | Path):
        return data
    return RemotePath.parse(data) if is_url(data) else Path(data)


@dataclass(frozen=True)
class ObjectInfo:
    """What the cache key needs of one object: its size and last-modified time
    (from the listing) and, once read, its ETag."""

    size: int
    modified_ns: int | None
    etag: str | None = None


@dataclass(frozen=True)
class RemotePath:
    """An object or prefix in a store: ``scheme://bucket/key``, no trailing slash."""

    scheme: str
    bucket: str
    key: str = ""
    store: Store | None = field(default=None, compare=False, repr=False, hash=False)

    @classmethod
    def parse(cls, url: str, store: Store | None = None) -> RemotePath:
        m = _URL.match(url.strip())
        if m is None or m.group(1).lower() not in SCHEMES:
            raise CxError(f"{url}: not an object-store URL; fix: write s3://, gs:// or az://BUCKET")
        scheme, bucket, key = m.group(1).lower(), m.group(2), (m.group(3) or "").strip("/")
        if not bucket:
            raise CxError(f"{url}: no bucket in the URL; fix: write {scheme}://BUCKET/PREFIX")
        return cls(scheme, bucket, key, store)

    @property
    def cloud(self) -> str:
        return SCHEMES[self.scheme]

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.bucket}" + (f"/{self.key}" if self.key else "")

    def __str__(self) -> str:
        return self.url

    def __truediv__(self, other: str) -> RemotePath:
        if is_url(other):
            return RemotePath.parse(other, self.store)
        key = "/".join(p for p in (self.key, str(other).strip("/")) if p)
        return RemotePath(self.scheme, self.bucket, _normalise_key(key), self.store)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:] if dot > 0 else ""

    @property
    def parent(self) -> RemotePath:
        return RemotePath(self.scheme, self.bucket, self.key.rpartition("/")[0], self.store)

    @property
    def parts(self) -> tuple[str, ...]:
        return (f"{self.scheme}://{self.bucket}", *(p for p in self.key.split("/") if p))

    # the few Path methods the data layer calls on a dataset root
    def resolve(self) -> RemotePath:
        return self

    def expanduser(self) -> RemotePath:
        return self

    def is_absolute(self) -> bool:
        return True

    def with_store(self, store: Store) -> RemotePath:
        return RemotePath(self.scheme, self.bucket, self.key, store)

    def _store(self) -> Store:
        if self.store is None:
            raise RuntimeError(f"{self.url}: no store attached")  # a programming error
        return self.store

    def is_file(self) -> bool:
        return self._store().info(self) is not None

    def is_dir(self) -> bool:
        return bool(self._store().objects(self, below_only=True))

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def state(self) -> str:
        """The object's identity and version for the cache keys: URL, size,
        last-modified and (for datasets of at most ETAG_LIMIT objects) ETag."""
        info = self._store().info(self, with_etag=True)
        if info is None:
            return f"{self.url}|missing"
        return f"{self.url}|{info.size}|{info.modified_ns}|{info.etag or ''}"


def _normalise_key(key: str) -> str:
    parts: list[str] = []
    for part in key.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


# ---------------------------------------------------------------- settings


# [storage] keys cxtui reads itself (to list objects and read cxtui.toml) beside
# passing them to Polars; spellings as object_store accepts them.
_S3_KEYS = {
    "access_key_id": ("aws_access_key_id", "access_key_id"),
    "secret_access_key": ("aws_secret_access_key", "secret_access_key"),
    "session_token": ("aws_session_token", "aws_token", "session_token", "token"),
    "region": ("aws_region", "aws_default_region", "region"),
    "endpoint": ("aws_endpoint_url", "aws_endpoint", "endpoint_url", "endpoint"),
    "allow_http": ("aws_allow_http", "allow_http"),
}
_S3_ENV = {
    "access_key_id": ("AWS_ACCESS_KEY_ID",),
    "secret_access_key": ("AWS_SECRET_ACCESS_KEY",),
    "session_token": ("AWS_SESSION_TOKEN",),
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "endpoint": ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_ENDPOINT"),
    "allow_http": ("AWS_ALLOW_HTTP",),
}
_AZ_KEYS = {
    "account_name": ("azure_storage_account_name", "account_name"),
    "account_key": ("azure_storage_account_key", "azure_storage_access_key", "account_key"),
    "sas_token": ("azure_storage_sas_token", "azure_storage_sas_key", "sas_token"),
    "client_id": ("azure_client_id", "client_id"),
    "client_secret": ("azure_client_secret", "client_secret"),
    "tenant_id": ("azure_tenant_id", "tenant_id"),
    "use_emulator": ("azure_storage_use_emulator", "use_emulator"),
    "endpoint": ("azure_storage_endpoint", "azure_endpoint", "endpoint"),
    "allow_http": ("azure_allow_http", "allow_http"),
}
_AZ_ENV = {
    "account_name": ("AZURE_STORAGE_ACCOUNT_NAME", "AZURE_STORAGE_ACCOUNT"),
    "account_key": ("AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_ACCESS_KEY"),
    "sas_token": ("AZURE_STORAGE_SAS_TOKEN",),
    "client_id": ("AZURE_CLIENT_ID",),
    "client_secret": ("AZURE_CLIENT_SECRET",),
    "tenant_id": ("AZURE_TENANT_ID",),
    "use_emulator": ("AZURE_STORAGE_USE_EMULATOR",),
    "endpoint": ("AZURE_STORAGE_ENDPOINT",),
    "allow_http": ("AZURE_ALLOW_HTTP",),
}
_GS_KEYS = {
    "service_account": (
        "google_service_account",
        "google_service_account_path",
        "google_application_credentials",
        "service_account",
    ),
    "endpoint": ("google_endpoint", "endpoint"),
    "skip_signature": ("google_skip_signature", "skip_signature"),
}
_GS_ENV = {
    "service_account": ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_SERVICE_ACCOUNT"),
    "endpoint": ("STORAGE_EMULATOR_HOST",),
    "skip_signature": (),
}
_KEYS = {"s3": _S3_KEYS, "gs": _GS_KEYS, "az": _AZ_KEYS}
_ENV = {"s3": _S3_ENV, "gs": _GS_ENV, "az": _AZ_ENV}

# Azurite's well-known development account (public, documented by Microsoft)
_AZURITE_ACCOUNT = "devstoreaccount1"
_AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _aws_profile() -> dict[str, str]:
    """The static keys and region of the AWS profile in use (AWS_PROFILE, else
    default) from ~/.aws/credentials and ~/.aws/config (or the files named by
    AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE). Profiles that need a login
    or a role (SSO, assume-role) are left to the default chains."""
    profile = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE") or "default"
    home = Path.home() / ".aws"
    files = (
        (os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or str(home / "credentials"), profile),
        (
            os.environ.get("AWS_CONFIG_FILE") or str(home / "config"),
            profile if profile == "default" else f"profile {profile}",
        ),
    )
    found: dict[str, str] = {}
    for path, section in files:
        parser = configparser.RawConfigParser()
        try:
            parser.read(Path(path).expanduser(), encoding="utf-8")
        except (OSError, configparser.Error, UnicodeDecodeError):
            continue  # an unreadable profile file is one source less, not an error
        if not parser.has_section(section):
            continue
        for ours, theirs in (
            ("access_key_id", "aws_access_key_id"),
            ("secret_access_key", "aws_secret_access_key"),
            ("session_token", "aws_session_token"),
            ("region", "region"),
            ("endpoint", "endpoint_url"),
        ):
            value = parser.get(section, theirs, fallback=None)
            if value and ours not in found:
                found[ours] = value.strip()
    return found


def resolve_settings(cloud: str, options: dict[str, str]) -> dict[str, str]:
    """The settings cxtui itself needs for one cloud, by our names: from the
    [storage] options, else the environment, else (S3) the AWS profile files."""
    out: dict[str, str] = {}
    lowered = {k.lower(): v for k, v in options.items()}
    for ours, spellings in _KEYS[cloud].items():
        for key in spellings:
            if key in lowered:
                out[ours] = lowered[key]
                break
        else:
            for var in _ENV[cloud].get(ours, ()):
                if os.environ.get(var):
                    out[ours] = os.environ[var]
                    break
    if cloud == "s3":
        profile = _aws_profile()
        have_keys = "access_key_id" in out or "secret_access_key" in out
        for ours, value in profile.items():
            if ours in ("access_key_id", "secret_access_key", "session_token") and have_keys:
                continue  # keys come from one place, never half from each
            out.setdefault(ours, value)
    return out


def polars_options(cloud: str, options: dict[str, str]) -> dict[str, str] | None:
    """storage_options for Polars' readers: the [storage] options as given, plus
    (S3) what only the profile files hold: Polars reads the environment itself,
    and the profile files only through boto3. None: Polars' own defaults."""
    opts = dict(options)
    if cloud == "s3":
        given = {k.lower() for k in options}
        settings = resolve_settings(cloud, options)
        for ours, key in (
            ("access_key_id", "aws_access_key_id"),
            ("secret_access_key", "aws_secret_access_key"),
            ("session_token", "aws_session_token"),
            ("region", "aws_region"),
            ("endpoint", "aws_endpoint_url"),
        ):
            named = given & set(_S3_KEYS[ours]) or any(os.environ.get(v) for v in _S3_ENV[ours])
            if ours in settings and not named:
                opts[key] = settings[ours]
        if settings.get("endpoint", "").startswith("http://") and "allow_http" not in settings:
            opts["aws_allow_http"] = "true"  # a plain-http endpoint was asked for by name
    return opts or None


def credential_hint(cloud: str) -> str:
    return {
        "s3": "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), "
        "or aws_access_key_id / aws_secret_access_key in [storage] of cxtui.toml",
        "gs": "set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, "
        "or google_service_account in [storage] of cxtui.toml",
        "az": "set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or a SAS token), "
        "or azure_storage_account_name / azure_storage_account_key in [storage]",
    }[cloud]


def endpoint_hint(cloud: str) -> str:
    return {
        "s3": "check AWS_ENDPOINT_URL / aws_endpoint_url in [storage] and the network",
        "gs": "check the network (and STORAGE_EMULATOR_HOST / google_endpoint if set)",
        "az": "check the network (and azure_storage_endpoint / the emulator settings)",
    }[cloud]


# ---------------------------------------------------------------- the store


class Store:
    """One bucket (or container) of one cloud with its settings: lists its
    objects (one recursive listing per prefix, kept), reads small files and
    the ETags of the objects in the cache key."""

    def __init__(self, cloud: str, bucket: str, options: dict[str, str]) -> None:
        self.cloud = cloud
        self.bucket = bucket
        self.options = dict(options)
        self.settings = resolve_settings(cloud, self.options)
        self.storage_options = polars_options(cloud, self.options)
        self._fs: Any = None
        self._listings: dict[str, dict[str, ObjectInfo]] = {}
        self._etags: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._etag_lock = threading.Lock()  # tables are opened side by side

    # the pyarrow filesystem, built on first use (pyarrow.fs loads the cloud SDKs)
    @property
    def filesystem(self) -> Any:
        if self._fs is None:
            self._fs = self._make_filesystem()
        return self._fs

    def _make_filesystem(self) -> Any:
        from datetime import timedelta

        import pyarrow.fs as pafs

        s = self.settings
        if self.cloud == "s3":
            kwargs: dict[str, Any] = {
                "connect_timeout": 5,
                "request_timeout": 30,
                "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=2),
                "check_directory_existence_before_creation": False,
            }
            if s.get("access_key_id") and s.get("secret_access_key"):
                kwargs["access_key"] = s["access_key_id"]
                kwargs["secret_key"] = s["secret_access_key"]
                if s.get("session_token"):
                    kwargs["session_token"] = s["session_token"]
            if s.get("region"):
                kwargs["region"] = s["region"]
            if s.get("endpoint"):
                endpoint = s["endpoint"]
                scheme, sep, rest = endpoint.partition("://")
                kwargs["endpoint_override"] = rest if sep else endpoint
                kwargs["scheme"] = scheme if sep else "https"
            return pafs.S3FileSystem(**kwargs)
        if self.cloud == "gs":
            kwargs = {"retry_time_limit": timedelta(seconds=15)}
            if _truthy(s.get("skip_signature")):
                kwargs["anonymous"] = True
            if s.get("endpoint"):
                scheme, sep, rest = s["endpoint"].partition("://")
                kwargs["endpoint_override"] = rest if sep else s["endpoint"]
                kwargs["scheme"] = scheme if sep else "http"
            return pafs.GcsFileSystem(**kwargs)
        # Azure: the account is part of the address, never guessed
        kwargs = {}
        account = s.get("account_name")
        if _truthy(s.get("use_emulator")):
            account = account or _AZURITE_ACCOUNT
            kwargs["account_key"] = s.get("account_key") or _AZURITE_KEY
            kwargs["blob_storage_authority"] = "127.0.0.1:10000"
            kwargs["blob_storage_scheme"] = "http"
        if not account:
            raise CxError(
                f"az://{self.bucket}: no Azure storage account given; fix: set "
                "AZURE_STORAGE_ACCOUNT_NAME or azure_storage_account_name in [storage]"
            )
        for ours in ("account_key", "sas_token", "client_id", "client_secret", "tenant_id"):
            if s.get(ours) and ours not in kwargs:
                kwargs[ours] = s[ours]
        if s.get("endpoint"):
            scheme, sep, rest = s["endpoint"].partition("://")
            kwargs["blob_storage_authority"] = rest if sep else s["endpoint"]
            kwargs["blob_storage_scheme"] = scheme if sep else "https"
        return pafs.AzureFileSystem(account, **kwargs)

    def _fs_path(self, key: str) -> str:
        return f"{self.bucket}/{key}" if key else self.bucket

    def objects(self, where: RemotePath, below_only: bool = False) -> dict[str, ObjectInfo]:
        """Every object at or below `where` (key -> info), from one recursive
        listing of the widest prefix listed so far."""
        key = where.key
        with self._lock:
            for listed, objects in self._listings.items():
                if not listed or key == listed or key.startswith(listed + "/"):
                    return _below(objects, key, below_only)
            objects = self._list(where)
            self._listings[key] = objects
        return _below(objects, key, below_only)

    def _list(self, where: RemotePath) -> dict[str, ObjectInfo]:
        import pyarrow.fs as pafs

        fs = self.filesystem
        out: dict[str, ObjectInfo] = {}
        try:
            # a listing first: its errors carry the store's code (a HEAD's have no body)
            selector = pafs.FileSelector(self._fs_path(where.key), recursive=True)
            try:
                items = fs.get_file_info(selector)
            except FileNotFoundError:  # no such prefix (a missing bucket is an OSError)
                items = []
            for item in items:
                if item.type == pafs.FileType.File:
                    out[item.path.split("/", 1)[1]] = _info(item)
            if where.key and not out:  # the key itself may be an object (a single-file table)
                (single,) = fs.get_file_info([self._fs_path(where.key)])
                if single.type == pafs.FileType.File:
                    out[where.key] = _info(single)
        except CxError:
            raise
        except Exception as exc:  # pyarrow raises OSError subclasses with the SDK's text
            raise remote_error(exc, where) from None
        return out

    def info(self, where: RemotePath, with_etag: bool = False) -> ObjectInfo | None:
        objects = self.objects(where)
        info = objects.get(where.key)
        if info is None or not with_etag:
            return info
        with self._etag_lock:
            if where.key not in self._etags:
                self._read_etags(where)
        etag = self._etags.get(where.key)
        return ObjectInfo(info.size, info.modified_ns, etag) if etag else info

    def _read_etags(self, where: RemotePath) -> None:
        """ETags of the objects listed with `where` (one HEAD each, side by side),
        for a listing of at most ETAG_LIMIT objects; S3 only (the other clouds'
        readers do not return one)."""
        key = where.key
        listed = next(
            (
                objs
                for k, objs in self._listings.items()
                if not k or key == k or key.startswith(k + "/")
            ),
            {},
        )
        keys = [k for k in listed if k not in self._etags]
        if self.cloud != "s3" or len(listed) > ETAG_LIMIT:
            self._etags.update(dict.fromkeys(keys))
            self._etags.setdefault(where.key, None)
            return
        from concurrent.futures import ThreadPoolExecutor

        def head(key: str) -> tuple[str, str | None]:
            try:
                with self.filesystem.open_input_file(self._fs_path(key)) as fh:
                    tag = fh.metadata().get(b"ETag") or fh.metadata().get("ETag")
            except Exception:  # a vanished object: the listing's state stands
                return key, None
            return key, tag.decode() if isinstance(tag, bytes) else tag

        with ThreadPoolExecutor(max_workers=8) as pool:
            self._etags.update(pool.map(head, keys))
        self._etags.setdefault(where.key, None)

    def read_text(self, where: RemotePath) -> str | None:
        """A small object's text (cxtui.toml); None when there is no such object."""
        if self.info(where) is None:
            return None
        try:
            with self.filesystem.open_input_stream(self._fs_path(where.key)) as fh:
                return fh.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CxError(f"{where}: not UTF-8 text; fix: save the file as UTF-8") from None
        except Exception as exc:
            raise remote_error(exc, where) from None


def _below(objects: dict[str, ObjectInfo], key: str, below_only: bool) -> dict[str, ObjectInfo]:
    if not key:
        return dict(objects)
    prefix = key + "/"
    return {
        k: v for k, v in objects.items() if k.startswith(prefix) or (k == key and not below_only)
    }


def _info(item: Any) -> ObjectInfo:
    return ObjectInfo(int(item.size or 0), item.mtime_ns)


def store_for(where: RemotePath, options: dict[str, str]) -> Store:
    """A fresh store for the bucket of `where` with these [storage] options.
    Each open of a dataset lists anew (a listing is the dataset's state)."""
    return Store(where.cloud, where.bucket, options)


def attach(where: RemotePath, options: dict[str, str]) -> RemotePath:
    return where.with_store(store_for(where, options))


# ---------------------------------------------------------------- errors


# Words in the readers' messages (pyarrow's AWS / Google / Azure SDKs, Polars'
# object_store) -> what went wrong; the first kind that matches wins.
_KINDS = (
    ("bucket", ("no_such_bucket", "nosuchbucket", "bucket does not exist", "bucket not found",
                "containernotfound", "the specified container does not exist")),
    ("credentials", ("invalid_access_key_id", "invalidaccesskeyid", "signature_does_not_match",
                     "signaturedoesnotmatch", "expiredtoken", "invalidtoken", "invalid_token",
                     "authenticationfailed", "security token included in the request is invalid",
                     "invalid_grant")),
    ("no-credentials", ("no credentials", "unable to locate credentials", "missing credentials",
                        "could not find credentials", "no valid credentials",
                        "missingauthenticationtoken")),
    ("denied", ("access_denied", "accessdenied", "access denied", "forbidden", "403",
                "permission")),
    ("unreachable", ("network_connection", "could not connect", "couldn't connect",
                     "connection refused", "connect error", "connection reset",
                     "could not resolve", "dns error", "timed out", "timeout", "connectionrefused",
                     "failed to connect")),
    ("options", ("configuration key",)),
)  # fmt: skip


def classify(exc: BaseException) -> str | None:
    """What went wrong talking to a store, from the readers' messages: "bucket",
    "credentials", "no-credentials", "denied", "unreachable", "options", or None."""
    low = f"{type(exc).__name__}: {exc}".lower()
    return next((kind for kind, words in _KINDS if any(w in low for w in words)), None)


def has_credentials(cloud: str, options: dict[str, str]) -> bool:
    """Whether any credentials were found in [storage], the environment or the
    profile files (a cloud's default chain may still find some elsewhere)."""
    s = resolve_settings(cloud, options)
    if cloud == "s3":
        return bool(
            (s.get("access_key_id") and s.get("secret_access_key"))
            or os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
            or os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            or os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        )
    if cloud == "gs":
        return bool(s.get("service_account") or _truthy(s.get("skip_signature")))
    return bool(
        s.get("account_key")
        or s.get("sas_token")
        or s.get("client_secret")
        or _truthy(s.get("use_emulator"))
    )


def remote_error(exc: BaseException, where: RemotePath | str) -> CxError:
    """One line naming the URL, what went wrong and the fix."""
    url = str(where)
    loc = where if isinstance(where, RemotePath) else RemotePath.parse(url)
    cloud = loc.cloud
    options = loc.store.options if loc.store is not None else {}
    kind = classify(exc)
    if kind in ("denied", "credentials", None) and not has_credentials(cloud, options):
        kind = "no-credentials"  # refused, or an odd answer to an unsigned request
    bucket = {"az": "container"}.get(cloud, "bucket")
    if kind == "bucket":
        where_hint = "the region (AWS_REGION) and endpoint" if cloud == "s3" else "the account"
        return CxError(
            f"{url}: no such {bucket} {loc.bucket!r}; fix: check the {bucket} name, "
            f"and {where_hint}"
        )
    if kind == "no-credentials":
        return CxError(f"{url}: no credentials found; fix: {credential_hint(cloud)}")
    if kind == "credentials":
        return CxError(
            f"{url}: the credentials were refused ({_first_line(exc)}); "
            f"fix: {credential_hint(cloud)} with valid values"
        )
    if kind == "denied":
        need = {
            "s3": "s3:ListBucket and s3:GetObject",
            "gs": "storage.objects.list and storage.objects.get",
            "az": "Storage Blob Data Reader",
        }[cloud]
        return CxError(
            f"{url}: access denied; fix: grant these credentials {need} on the {bucket} "
            "and prefix, or use credentials that have them"
        )
    if kind == "unreachable":
        endpoint = loc.store.settings.get("endpoint") if loc.store is not None else None
        at = f" ({endpoint})" if endpoint else ""
        return CxError(
            f"{url}: the storage endpoint{at} is unreachable; fix: {endpoint_hint(cloud)}"
        )
    if kind == "options":
        return CxError(
            f"{url}: a storage option was refused ({_first_line(exc)}); "
            "fix: correct [storage] in cxtui.toml (docs/config.md)"
        )
    return CxError(
        f"{url}: cannot read from the store ({_first_line(exc)}); "
        "fix: check the URL, the credentials and the endpoint"
    )


def _first_line(exc: BaseException) -> str:
    """The gist of a reader's error: the SDK's error code when it names one
    (AWS Error INVALID_ACCESS_KEY_ID), else the first line, cut short."""
    text = str(exc).strip()
    code = re.search(r"AWS Error (\w+)", text)
    if code and code.group(1) != "UNKNOWN":
        return code.group(1)
    lines = text.splitlines()
    return (lines[0] if lines else type(exc).__name__)[:160]
