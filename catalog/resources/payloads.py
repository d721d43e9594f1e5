"""The API's Pydantic payloads for catalog entries (the edge only; services take dataclasses)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from catalog.resources.inputs import ItemInput, ResourceInput
from catalog.resources.models import Resource, ResourceItem, ResourceTransition
from catalog.resources.search import LookupHit, SearchHit


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="the unified schema's property key, e.g. name")
    name: str = Field("", description="信息项名称; blank = the schema's Chinese name")
    data_type: str = Field("", description="C N Y D T L M B I F (or 字符 …); blank = schema's")
    length: int | None = None
    share_type: str = Field("unconditional", description="无条件共享 / 有条件共享 / 不予共享")
    conditions: list[str] = Field(default_factory=list, description="required when conditional")
    legal_basis: str = Field("", description="law, regulation or State Council decision")
    personal: bool | None = None
    sensitive: bool | None = None

    def to_input(self) -> ItemInput:
        return ItemInput(**{**self.model_dump(), "conditions": tuple(self.conditions)})


class ResourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    category: str = Field(description="分类码, e.g. 101001")
    provider_code: str = Field(description="the provider department's 统一社会信用代码")
    abstract: str
    format: str = Field(
        description="电子文件 电子表格 数据库 图形图像 流媒体 自描述格式 服务接口 其他"
    )
    share_mode: str = Field(description="接口 / 库表 / 文件")
    open_type: str = Field(description="无条件开放 / 有条件开放 / 不予开放")
    update_cycle: str = Field(description="实时 每日 每周 每月 每季度 每半年 每年 其他")
    grade: str = Field(description="一般 / 重要 / 核心")
    schema_id: str = Field(description="unified schema id, e.g. person.identity")
    items: list[ItemIn]
    code: str = Field("", description="分类码/顺序码; blank on create = next free code")
    schema_version: str = ""
    related: list[str] = Field(default_factory=list)
    published_on: date | None = None
    secret: bool = Field(False, description="涉密 (state/work secret): always refused")

    def to_input(self) -> ResourceInput:
        values = self.model_dump(exclude={"items", "related"})
        items = tuple(item.to_input() for item in self.items)
        return ResourceInput(**values, items=items, related=tuple(self.related))


class ItemOut(BaseModel):
    key: str
    name: str
    data_type: str
    length: int | None
    share_type: str
    conditions: list[str]
    legal_basis: str
    personal: bool
    sensitive: bool
    element: str

    @classmethod
    def of(cls, item: ResourceItem) -> ItemOut:
        return cls(
            key=item.key,
            name=item.name,
            data_type=item.data_type,
            length=item.length,
            share_type=item.share_type,
            conditions=list(item.conditions),
            legal_basis=item.legal_basis,
            personal=item.personal,
            sensitive=item.sensitive,
            element=item.element,
        )


class ResourceOut(BaseModel):
    code: str
    version: int
    status: str
    name: str
    category: str
    provider_code: str
    abstract: str
    format: str
    share_type: str
    share_condition: str
    share_mode: str
    open_type: str
    update_cycle: str
    grade: str
    related: list[str]
    schema_id: str
    schema_version: str
    published_on: date | None
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    review_comment: str | None
    retired_at: datetime | None
    retire_requested: bool
    items: list[ItemOut]

    @classmethod
    def of(cls, r: Resource) -> ResourceOut:
        return cls(
            **{name: getattr(r, name) for name in _PLAIN},
            related=list(r.related),
            retire_requested=r.retire_requested_at is not None,
            items=[ItemOut.of(i) for i in r.items],
        )


_PLAIN = [
    "code",
    "version",
    "status",
    "name",
    "category",
    "provider_code",
    "abstract",
    "format",
    "share_type",
    "share_condition",
    "share_mode",
    "open_type",
    "update_cycle",
    "grade",
    "schema_id",
    "schema_version",
    "published_on",
    "created_at",
    "submitted_at",
    "published_at",
    "review_comment",
    "retired_at",
]


class VersionOut(BaseModel):
    version: int
    status: str
    created_at: datetime
    published_at: datetime | None
    superseded: bool


class TransitionOut(BaseModel):
    version: int
    action: str
    outcome: str
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_id: str
    actor_department: str | None
    reason: str | None
    at: datetime
    leaf_index: int

    @classmethod
    def of(cls, t: ResourceTransition) -> TransitionOut:
        return cls(**{name: getattr(t, name) for name in cls.model_fields})


class SearchOut(BaseModel):
    total: int
    limit: int
    offset: int
    resources: list[SearchHit]


class LookupOut(BaseModel):
    element: str
    obtainable: bool = Field(description="true when a published item shares it (not 不予共享)")
    hits: list[LookupHit]


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, description="审核意见 / 理由")


class CommentIn(BaseModel):
    comment: str | None = None


class RetireIn(BaseModel):
    reason: str = Field(min_length=1)
    approve: bool = Field(True, description="for the authority: approve or decline a request")


class RetireOut(BaseModel):
    status: str = Field(description="retired | pending | declined")
    resource: ResourceOut


class ImportOut(BaseModel):
    imported: list[str]
