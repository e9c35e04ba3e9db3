"""Database tables.

`kb_*` tables hold the knowledge base and are replaced as a whole by `advisor kb load`.
Tables of user data (saved plans) live next to them and are never touched by a load.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

from knowledge import MAX_USER_ID_CHARS

Base = declarative_base()


class Section(Base):
    __tablename__ = "kb_section"
    id = Column(String(16), primary_key=True)
    aspect = Column(String(64), nullable=False)
    position = Column(Integer, nullable=False)


class SectionTitle(Base):
    __tablename__ = "kb_section_title"
    section_id = Column(String(16), ForeignKey("kb_section.id"), primary_key=True)
    lang = Column(String(2), primary_key=True)
    title = Column(String(200), nullable=False)


class Entry(Base):
    """An answer (`<aspect>/<plan>`) or an FAQ entry (`faq/<id>`)."""

    __tablename__ = "kb_entry"
    id = Column(String(80), primary_key=True)
    kind = Column(String(8), nullable=False)  # "answer" or "faq"
    aspect = Column(String(32))
    plan = Column(String(16))
    section_id = Column(String(16), ForeignKey("kb_section.id"), nullable=False)


class EntryText(Base):
    __tablename__ = "kb_entry_text"
    entry_id = Column(String(80), ForeignKey("kb_entry.id"), primary_key=True)
    lang = Column(String(2), primary_key=True)
    question = Column(Text)
    text = Column(Text, nullable=False)


class PlanName(Base):
    __tablename__ = "kb_plan_name"
    plan_id = Column(String(16), primary_key=True)
    lang = Column(String(2), primary_key=True)
    name = Column(String(120), nullable=False)


class PlanFact(Base):
    """One structured fact about a plan (horizon, nature, scope, team, budget, ...)."""

    __tablename__ = "kb_plan_fact"
    plan_id = Column(String(16), primary_key=True)
    key = Column(String(32), primary_key=True)
    lang = Column(String(2), primary_key=True)
    value = Column(String(64), nullable=False)
    section_id = Column(String(16), ForeignKey("kb_section.id"), nullable=False)
    text = Column(Text, nullable=False)


class PlanItem(Base):
    """An item of one of a plan's lists (typical goals, tools, ...)."""

    __tablename__ = "kb_plan_item"
    plan_id = Column(String(16), primary_key=True)
    list_name = Column(String(32), primary_key=True)
    item_id = Column(String(64), primary_key=True)
    lang = Column(String(2), primary_key=True)
    position = Column(Integer, nullable=False)
    section_id = Column(String(16), ForeignKey("kb_section.id"), nullable=False)
    label = Column(Text, nullable=False)


class Term(Base):
    """A phrase people use for an aspect, a plan or a language, in its base form."""

    __tablename__ = "kb_term"
    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(16), nullable=False)  # "aspect", "plan", "reference", "language" or "plan_hint"
    target = Column(String(32), nullable=False)
    lang = Column(String(2), nullable=False)
    phrase = Column(String(200), nullable=False)
    __table_args__ = (UniqueConstraint("kind", "target", "lang", "phrase"),)


class Document(Base):
    """A whole structured content document, such as the goal classifier's rules."""

    __tablename__ = "kb_document"
    name = Column(String(64), primary_key=True)
    body = Column(JSON, nullable=False)


class Meta(Base):
    __tablename__ = "kb_meta"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)


KNOWLEDGE_TABLES = [
    EntryText.__table__,
    Entry.__table__,
    SectionTitle.__table__,
    PlanFact.__table__,
    PlanItem.__table__,
    PlanName.__table__,
    Term.__table__,
    Document.__table__,
    Meta.__table__,
    Section.__table__,
]
"""Every table `advisor kb load` replaces, children before parents."""


class SavedPlan(Base):
    """A plan a user built in conversation (user data: a knowledge-base load never touches it)."""

    __tablename__ = "user_plan"
    id = Column(String(36), primary_key=True)
    user_id = Column(String(MAX_USER_ID_CHARS), nullable=False, index=True)
    language = Column(String(2), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    body = Column(JSON, nullable=False)
