"""Field and object descriptions of the sandbox's own catalogue, and their metadata rendering."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Literal

NativeType = Literal[
    "id",
    "string",
    "textarea",
    "email",
    "phone",
    "url",
    "picklist",
    "date",
    "datetime",
    "boolean",
    "int",
    "double",
    "currency",
    "reference",
]
AutoValue = Literal["created", "modified"]
IdStyle = Literal["salesforce", "integer"]

_GENERIC_TYPE: dict[str, str] = {
    "date": "date",
    "datetime": "date",
    "boolean": "boolean",
    "int": "number",
    "double": "number",
    "currency": "number",
}
# Salesforce cannot filter on long text areas; short ones (addresses) are filterable.
_LONG_TEXT = 255
DELETED_FIELD = "IsDeleted"


def _label_of(name: str) -> str:
    base = name.removesuffix("__c").removeprefix("C_").removeprefix("M_").replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


@dataclass(frozen=True)
class FieldSpec:
    """One field of an object, with what validation and metadata need to know about it."""

    name: str
    native: NativeType
    length: int | None = None
    required: bool = False
    read_only: bool = False
    label: str = ""
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: str | None = None
    external_id: bool = False
    unique: bool = False
    digits: int | None = None
    reference_prefix: str | None = None
    reference_to: str | None = None
    relationship_name: str | None = None
    id_lookup: bool = False
    generated_sql: str | None = None
    auto: AutoValue | None = None

    @property
    def display_name(self) -> str:
        """The label Salesforce puts in its error messages."""
        return self.label or _label_of(self.name)

    @property
    def generic_type(self) -> str:
        """The platform's coarse type: string, date, boolean or number."""
        return _GENERIC_TYPE.get(self.native, "string")

    @property
    def filterable(self) -> bool:
        """Whether a query may filter on the field."""
        return not (self.native == "textarea" and (self.length or 0) > _LONG_TEXT)

    def metadata(self) -> dict[str, Any]:
        """The field as `GET /objects/{object}/metadata` describes it."""
        out: dict[str, Any] = {
            "vendorPath": self.name,
            "vendorDisplayName": self.display_name,
            "vendorNativeType": self.native,
            "type": self.generic_type,
            "vendorRequired": self.required,
            "vendorReadOnly": self.read_only,
            "createable": not self.read_only,
            "updateable": not self.read_only,
            "filterable": self.filterable,
            "length": self.length,
            "restrictedPicklist": self.restricted,
            "externalId": self.external_id,
            "unique": self.unique,
        }
        if self.native == "picklist":
            out["picklistValues"] = [
                {"value": value, "label": value, "active": True} for value in self.picklist
            ]
        if self.default is not None:
            out["defaultValue"] = self.default
        return out


@dataclass(frozen=True)
class ObjectSpec:
    """One object of a hub: its fields in catalogue order and how its record ids look."""

    hub: str
    name: str
    fields: tuple[FieldSpec, ...]
    id_style: IdStyle
    key_prefix: str = ""
    _by_lower: dict[str, FieldSpec] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_lower", {f.name.lower(): f for f in self.fields})

    @property
    def id_field(self) -> FieldSpec:
        """The record id field (`Id` for Salesforce objects, `id` for marketing ones)."""
        return self.fields[0]

    @property
    def deleted_field(self) -> FieldSpec | None:
        """`IsDeleted` on objects whose records can be deleted (to the recycle bin), else None."""
        return self._by_lower.get(DELETED_FIELD.lower())

    def relationship(self, name: str) -> FieldSpec | None:
        """The reference field whose relationship is called `name` (`Account` -> `AccountId`)."""
        wanted = name.lower()
        return next((f for f in self.fields if (f.relationship_name or "").lower() == wanted), None)

    @property
    def table(self) -> str:
        """The SQLite table holding the object's records."""
        return f"rec_{self.hub}_{self.name}"

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name`, matched case-insensitively like Salesforce API names."""
        return self._by_lower.get(name.lower())

    def metadata(self) -> dict[str, Any]:
        """The body of `GET /objects/{object}/metadata`."""
        return {"fields": [f.metadata() for f in self.fields]}
