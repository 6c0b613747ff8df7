"""Demo data of the partners app: industries, partners in several lifecycle states with KYB
documents and teams, and the demo owner logins. Everything goes through the services and is
idempotent: a partner that exists is left as it is."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from django.contrib.auth import get_user_model

from . import services
from .models import Industry, Membership, Partner, PartnerDocument
from .selectors import business_today

# code, English name, Chinese name
# code, name, Chinese name, description, Chinese description
INDUSTRIES = [
    ("travel", "Travel", "旅游出行", "Travel agencies, airlines and hotels.", "旅行社、航空公司和酒店。"),
    ("ecommerce", "E-commerce", "电子商务", "Online marketplaces and their suppliers.", "电商平台及其供应商。"),
    ("community", "Community & property", "社区物业", "Property managers and community services.",
     "物业管理公司与社区服务。"),
    ("education", "Education", "教育培训", "Schools, training and online courses.", "学校、培训机构与在线课程。"),
    ("healthcare", "Healthcare", "医疗健康", "Clinics, hospitals and health services.", "诊所、医院与健康服务。"),
    ("logistics", "Logistics", "物流", "Freight, warehousing and delivery.", "货运、仓储与配送。"),
    ("transport", "Transport", "交通", "Ride-hailing, public transport and car rental.", "网约车、公共交通与汽车租赁。"),
    ("manufacturing", "Manufacturing", "制造业", "Factories and their supply chains.", "制造企业及其供应链。"),
    ("auto", "Automotive", "汽车", "Car dealers, repair and after-sales.", "汽车经销、维修与售后服务。"),
    ("housing", "Housing & rent", "住房租赁", "Rental platforms and long-term apartments.", "租房平台与长租公寓。"),
    ("wedding", "Wedding", "婚庆", "Wedding planners, venues and photography.", "婚礼策划、场地与婚纱摄影。"),
    ("maternal-infant", "Maternal & infant", "母婴", "Mother-and-baby shops and services.", "母婴门店与服务。"),
    ("home-decoration", "Home decoration", "家装", "Renovation, furniture and home furnishing.", "装修、家具与家居。"),
    ("social", "Social", "社交", "Social networks and communities.", "社交网络与社群平台。"),
]  # fmt: skip

S = Partner.Status
# The path each demo partner walks from draft to its status.
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.UNDER_REVIEW: ["submit", "review"],
    S.APPROVED: ["submit", "review", "approve"],
    S.ACTIVE: ["submit", "review", "approve", "activate"],
    S.SUSPENDED: ["submit", "review", "approve", "activate", "suspend"],
    S.REJECTED: ["submit", "review", "reject"],
}

# slug, display name, legal name, credit code, industry, tier, risk, status, owner e-mail, team
DEMO_PARTNERS = [
    (
        "skyway-travel",
        "Skyway Travel",
        "Skyway Travel Service Co., Ltd. (天途旅行服务有限公司)",
        "91310000MA1FL8TQ5C",
        "travel",
        Partner.Tier.STRATEGIC,
        Partner.RiskRating.LOW,
        S.ACTIVE,
        "owner@skyway-travel.demo",
        [
            ("dev@skyway-travel.demo", Membership.Role.DEVELOPER),
            ("finance@skyway-travel.demo", Membership.Role.FINANCE),
        ],
    ),
    (
        "greenleaf-community",
        "Greenleaf Community",
        "Greenleaf Property Management Co., Ltd. (绿叶物业管理有限公司)",
        "91440300MA5G1NKY2H",
        "community",
        Partner.Tier.GOLD,
        Partner.RiskRating.LOW,
        S.ACTIVE,
        "owner@greenleaf-community.demo",
        [("admin@greenleaf-community.demo", Membership.Role.ADMIN)],
    ),
    (
        "bamboo-mall",
        "Bamboo Mall",
        "Bamboo Mall E-commerce Co., Ltd. (竹林商城电子商务有限公司)",
        "91330100MA2H3C8X4A",
        "ecommerce",
        Partner.Tier.SILVER,
        Partner.RiskRating.MEDIUM,
        S.UNDER_REVIEW,
        "owner@bamboo-mall.demo",
        [],
    ),
    (
        "little-sprout",
        "Little Sprout Mother & Baby",
        "Little Sprout Maternal and Infant Products Co., Ltd. (小芽母婴用品有限公司)",
        "91510100MA6C5R9W14",
        "maternal-infant",
        Partner.Tier.STANDARD,
        "",
        S.SUBMITTED,
        "owner@little-sprout.demo",
        [],
    ),
]


def seed_industries() -> dict[str, Industry]:
    industries = {}
    for position, (code, name, name_zh, description, description_zh) in enumerate(INDUSTRIES):
        industry, _created = Industry.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_zh": name_zh,
                "description": description,
                "description_zh": description_zh,
                "position": position,
            },
        )
        industries[code] = industry
    return industries


def demo_pdf(title: str) -> bytes:
    """A small valid one-page PDF with a line of text."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text.replace(b"(", b"[").replace(b")", b"]") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def demo_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (179, 18, 31)) -> bytes:
    """A small valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _account(email: str, password: str, full_name: str):
    user = get_user_model().objects.filter(email__iexact=email).first()
    return user or services.account_create_verified(
        email=email, password=password, full_name=full_name, validate=False
    )


def _documents(partner: Partner, staff, *, verify: bool) -> None:
    today = business_today()
    files = [
        (PartnerDocument.DocumentType.BUSINESS_LICENCE, demo_png(), "business-licence.png", None),
        (
            PartnerDocument.DocumentType.AUTHORISATION_LETTER,
            demo_pdf(f"Authorisation letter - {partner.display_name}"),
            "authorisation-letter.pdf",
            today + timedelta(days=365),
        ),
        (
            PartnerDocument.DocumentType.COOPERATION_AGREEMENT,
            demo_pdf(f"Cooperation agreement - {partner.display_name}"),
            "cooperation-agreement.pdf",
            today + timedelta(days=3 * 365),
        ),
    ]
    for document_type, content, name, expires_on in files:
        document = services.document_upload_bytes(
            partner=partner,
            actor=staff,
            document_type=document_type,
            content=content,
            name=name,
            expires_on=expires_on,
        )
        if verify:
            services.document_verify(document=document, actor=staff)


def _walk(partner: Partner, status: str, staff, owner, approver) -> None:
    # The owner submits, staff review: whoever submitted the application, started its review or
    # verified its documents or credit code never approves it, so another staff member does.
    steps = {
        "submit": lambda: services.partner_submit(
            partner=partner, actor=owner, reason="Application complete"
        ),
        "review": lambda: services.partner_review_start(partner=partner, actor=staff),
        "approve": lambda: services.partner_approve(partner=partner, actor=approver, reason="KYB complete"),
        "reject": lambda: services.partner_reject(partner=partner, actor=staff, reason="Demo"),
        "activate": lambda: services.partner_activate(partner=partner, actor=staff, reason="Go-live"),
        "suspend": lambda: services.partner_suspend(partner=partner, actor=staff, reason="Demo"),
    }
    for step in PATHS[status]:
        if step == "approve":
            services.partner_credit_code_verify(partner=partner, actor=staff)
        steps[step]()


def seed_partners(*, password: str, staff, manager, approver) -> list[Partner]:
    industries = seed_industries()
    partners = []
    for slug, name, legal, code, industry, tier, risk, status, owner_email, team in DEMO_PARTNERS:
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            partner = services.partner_create(
                actor=staff,
                slug=slug,
                display_name=name,
                legal_name=legal,
                credit_code=code,
                industry=industries[industry],
                tier=tier,
                risk_rating=risk,
                relationship_manager=manager,
                contact_name=f"{name} operations",
                contact_email=owner_email,
            )
            _documents(partner, staff, verify=status in (S.APPROVED, S.ACTIVE, S.SUSPENDED))
            owner = _account(owner_email, password, f"{name} Owner")
            services.membership_create(partner=partner, user=owner, role=Membership.Role.OWNER, actor=staff)
            for email, role in team:
                user = _account(email, password, email.split("@")[0].title())
                services.membership_create(partner=partner, user=user, role=role, actor=staff)
            _walk(partner, status, staff, owner, approver)
        partners.append(partner)
    return partners


def seed(*, password: str, stdout) -> None:
    industries = seed_industries()
    stdout.write(f"industries: {len(industries)}")
    User = get_user_model()
    staff = User.objects.get(email="admin@demo.local")
    manager = User.objects.filter(email="maker@demo.local").first() or staff
    approver = User.objects.filter(email="checker@demo.local").first() or manager
    partners = seed_partners(password=password, staff=staff, manager=manager, approver=approver)
    stdout.write("partners: " + ", ".join(f"{p.slug} ({p.status})" for p in partners))
