"""msgspec Structs for `schemas/customers.schema.json`, written by hand to mean what the schema means.

msgspec is strict by default; unknown keys are rejected (`additionalProperties: false`), string lengths and
numeric bounds are checked. Optional fields default to UNSET and are left out when written, so an absent key
stays absent and an explicit null stays null.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType


class _Struct(Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class Status(Enum):
    active = "active"
    unsubscribed = "unsubscribed"
    bounced = "bounced"
    pending = "pending"


class Channel(Enum):
    email = "email"
    sms = "sms"
    web = "web"
    inApp = "inApp"
    link = "link"


class PropertyType(Enum):
    text = "text"
    date = "date"
    integer = "integer"
    boolean = "boolean"
    collection = "collection"


class Company(_Struct):
    id: Annotated[str, Meta(min_length=24, max_length=24)]
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    domain: Annotated[str, Meta(max_length=253)] | UnsetType | None = UNSET
    industry: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET
    employees: Annotated[int, Meta(ge=1)] | UnsetType = UNSET


class Property(_Struct):
    label: Annotated[str, Meta(min_length=1, max_length=100)]
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    type: PropertyType
    value: Annotated[str, Meta(max_length=1000)]


class Customer(_Struct):
    id: Annotated[str, Meta(min_length=24, max_length=24)]
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    status: Status
    tags: list[Annotated[str, Meta(min_length=1, max_length=64)]]
    properties: list[Property]
    createdDate: datetime
    firstName: Annotated[str, Meta(max_length=100)] | UnsetType | None = UNSET
    lastName: Annotated[str, Meta(max_length=100)] | UnsetType | None = UNSET
    company: Company | UnsetType = UNSET
    channel: Channel | UnsetType = UNSET
    lastSurveyedDate: datetime | UnsetType | None = UNSET
    npsScore: Annotated[int, Meta(ge=0, le=10)] | UnsetType | None = UNSET
    surveysSent: Annotated[int, Meta(ge=0)] | UnsetType = UNSET
    lifetimeValue: Annotated[float, Meta(ge=0)] | UnsetType = UNSET
    unsubscribed: bool | UnsetType = UNSET
