"""SQLAlchemy models of the identity store."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    account: Mapped[str] = mapped_column(sa.String(255), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), default="")
    nick_name: Mapped[str] = mapped_column(sa.String(64), default="")
    avatar: Mapped[str] = mapped_column(sa.String(1024), default="")
    gender: Mapped[str] = mapped_column(sa.String(16), default="")
    age: Mapped[int] = mapped_column(sa.Integer, default=0)
    area: Mapped[str] = mapped_column(sa.String(128), default="")
    position: Mapped[str] = mapped_column(sa.String(128), default="")
    department: Mapped[str] = mapped_column(sa.String(128), default="")
    department_id: Mapped[int] = mapped_column(sa.Integer, default=0)
    roles: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[int] = mapped_column(sa.Integer, default=1)
    source: Mapped[str] = mapped_column(sa.String(32), default="admin")
    account_type: Mapped[str] = mapped_column(sa.String(32), default="")
    invite_code: Mapped[str] = mapped_column(sa.String(32), default="")
    resource_limit: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    wx_avatar: Mapped[str] = mapped_column(sa.String(1024), default="")
    wx_nickname: Mapped[str] = mapped_column(sa.String(64), default="")
    point_balance: Mapped[float] = mapped_column(sa.Float, default=0.0)
    expire_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Tokens whose iat is earlier (unix seconds) are refused: set on disable, password change or sign-out.
    tokens_not_before: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    private_key_encrypted: Mapped[str] = mapped_column(sa.Text)
    public_key_pem: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
