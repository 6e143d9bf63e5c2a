"""pydantic v2 models for `schemas/customers.schema.json`, written by hand to mean what the schema means.

Scalars are strict (no `1 -> "1"`, no `true -> 1`), unknown keys are rejected (`additionalProperties: false`),
string lengths and numeric bounds are checked. Enums and date-times use pydantic's lax mode, because its strict
mode refuses their JSON spellings in `validate_python`. Optional fields default to None and are written back with
`exclude_unset=True`, so an absent key stays absent and an explicit null stays null.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictStr

Float = Annotated[float, Strict()]
Int = Annotated[int, Strict()]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Company(_Model):
    id: Annotated[StrictStr, Field(min_length=24, max_length=24)]
    name: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    domain: Annotated[StrictStr, Field(max_length=253)] | None = None
    industry: Annotated[StrictStr, Field(max_length=100)] | None = None
    employees: Annotated[Int, Field(ge=1)] | None = None


class Property(_Model):
    label: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    name: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    type: PropertyType
    value: Annotated[StrictStr, Field(max_length=1000)]


class Customer(_Model):
    id: Annotated[StrictStr, Field(min_length=24, max_length=24)]
    email: Annotated[StrictStr, Field(min_length=3, max_length=254)]
    firstName: Annotated[StrictStr, Field(max_length=100)] | None = None
    lastName: Annotated[StrictStr, Field(max_length=100)] | None = None
    company: Company | None = None
    status: Status
    channel: Channel | None = None
    tags: list[Annotated[StrictStr, Field(min_length=1, max_length=64)]]
    properties: list[Property]
    createdDate: datetime
    lastSurveyedDate: datetime | None = None
    npsScore: Annotated[Int, Field(ge=0, le=10)] | None = None
    surveysSent: Annotated[Int, Field(ge=0)] | None = None
    lifetimeValue: Annotated[Float, Field(ge=0)] | None = None
    unsubscribed: StrictBool | None = None
