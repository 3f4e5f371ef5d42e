"""Marketing content (活动软文, 推荐搭配, product cards, posters, peer tips) and shares (转发)."""

from __future__ import annotations

from enum import StrEnum


class ContentKind(StrEnum):
    COPY = "copy"  # 活动软文 campaign copy
    PRODUCT = "product"  # 转发单品 a single product
    OUTFIT = "outfit"  # 推荐搭配 an outfit recommendation
    POSTER = "poster"
    TIP = "tip"  # 无师自通 a peer tip for new guides


class Category631(StrEnum):
    """The 631 rule: about 60 % brand / product / scene content, 30 % service, 10 % selling."""

    BRAND = "brand"
    SERVICE = "service"
    SELLING = "selling"


class ContentStatus(StrEnum):
    """Whether a piece is in circulation: HQ retires one (terminals hide it, shares stay)."""

    ACTIVE = "active"
    RETIRED = "retired"


class ShareChannel(StrEnum):
    """Where a guide shared a piece of content."""

    WECHAT = "wechat"
    WECOM = "wecom"
    SMS = "sms"
    MOMENTS = "moments"  # 朋友圈
