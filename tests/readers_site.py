"""Sites for the readers' experience tests (HTML validity, accessibility, layout, print).

* the shipped site (this repository) built ``--as-of 2021-12-31``;
* a small "kitchen sink" site: drafts (built with ``--drafts``), pagination, a wide
  Markdown table, footnotes, an image and an attachment, procedures, a page, index data.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from sitekit import post, run_cli, write_site
from tools import REPO_ROOT

KITCHEN_CONFIG = """\
title: "Chuyên mục CCHC thử nghiệm"
organization: "Sở Thử nghiệm tỉnh Đà Nẵng"
description: "Trang thử nghiệm các kiểu trang."
base_url: "https://example.gov.vn/cchc/"
posts_per_page: 2
categories:
  - name: "Hoạt động cải cách hành chính"
    slug: hoat-dong-cchc
  - name: "Văn bản chỉ đạo, điều hành"
    slug: van-ban-chi-dao
quota:
  start: "2021-08"
  end: "2021-10"
  min_posts: 1
"""

WIDE_TABLE = """\
| Mã thủ tục | Tên thủ tục hành chính | Thời hạn giải quyết | Phí, lệ phí | Cơ quan thực hiện | Ghi chú |
|---|---|---|---|---|---|
| 1.013225 | Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ | 15 ngày làm việc | 75.000 đồng/giấy phép | Ủy ban nhân dân cấp xã | Nộp trực tuyến toàn trình trên Cổng Dịch vụ công quốc gia |
| 1.013227 | Cấp giấy phép sửa chữa, cải tạo công trình | 15 ngày làm việc | 75.000 đồng/giấy phép | Ủy ban nhân dân cấp xã | Nộp trực tiếp hoặc qua dịch vụ bưu chính công ích |
"""

POST_BODY = f"""\
Bài có bảng rộng, chú thích[^1] và [liên kết ngoài](https://dichvucong.gov.vn/) cùng
[liên kết trong](/tin-tuc/2021/08/) và [một thủ tục](tthc:1.013225).

## Bảng tổng hợp

{WIDE_TABLE}
Đoạn văn cuối có một địa chỉ rất dài: https://example.gov.vn/cchc/static/tai-lieu/ke-hoach-cai-cach-hanh-chinh-nam-2021-va-cac-phu-luc-kem-theo.pdf

[^1]: Theo Kế hoạch số 2477/KH-SXD.
"""

PROCEDURE = """\
---
code: "1.013225"
title: "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"
field: "Hoạt động xây dựng"
level: xã
decision:
  number: "123/QĐ-UBND"
  date: "01/01/2021"
  issuer: "UBND tỉnh"
online: "một phần"
channels:
  - method: trực tiếp
    time: "15 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ"
    fee: "75.000 đồng/giấy phép"
  - method: trực tuyến
    time: "15 ngày làm việc"
    fee: "75.000 đồng/giấy phép"
    note: "Nộp trên Cổng Dịch vụ công quốc gia"
applicants: "Hộ gia đình, cá nhân"
agency: "Ủy ban nhân dân cấp xã"
address: "Bộ phận Một cửa cấp xã"
result: "Giấy phép xây dựng"
legal_basis:
  - "Luật Xây dựng số 50/2014/QH13"
dossier:
  - name: "Đơn đề nghị cấp giấy phép xây dựng"
    copies: 1
  - name: "Bản vẽ thiết kế xây dựng"
    copies: 2
steps:
  - "Nộp hồ sơ tại Bộ phận Một cửa."
  - "Nhận kết quả."
keywords: ["giấy phép xây dựng", "xây nhà"]
updated: 2021-09-01
---

Thủ tục dành cho hộ gia đình, cá nhân. Xem [Luật Xây dựng](https://vbpl.vn/).
"""

PROCEDURE_2 = """\
---
code: "1.013227"
title: "Cấp giấy phép sửa chữa, cải tạo công trình"
field: "Hoạt động xây dựng"
online: "toàn trình"
channels:
  - method: trực tuyến
    time: "15 ngày làm việc"
    fee: "Không"
---

Thủ tục sửa chữa, cải tạo.
"""

PROCEDURE_3 = """\
---
code: "1.009999"
title: "Công nhận hạng nhà chung cư"
field: "Nhà ở"
online: "không"
---

Thủ tục nhà ở.
"""

INDICES = """\
entries:
  - year: 2019
    index: "PAR INDEX"
    score: 80.5
    rank: 30
    total: 63
    source: "https://example.gov.vn/par-2019"
  - year: 2020
    index: "PAR INDEX"
    score: 82.1
    rank: 25
    total: 63
    source: "https://example.gov.vn/par-2020"
  - year: 2020
    index: "SIPAS"
    score: 85.0
    rank: 40
    total: 63
    source: "https://example.gov.vn/sipas-2020"
  - year: 2021
    index: "SIPAS"
    rank: 12
    total: 63
    source: "https://example.gov.vn/sipas-2021"
    note: "số liệu thử"
"""


def tiny_png(width: int = 40, height: int = 20) -> bytes:
    """A valid grey PNG (no outside tool)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def kitchen_site(root: Path) -> Path:
    tz = "+07:00"
    files: dict[str, str | bytes] = {
        "content/posts/2021/08/bai-co-bang.md": post(
            "Bài có bảng rộng và chú thích", f"2021-08-10T08:00:00{tz}", POST_BODY, category="hoat-dong-cchc",
            tags=["Một cửa", "Dịch vụ công"], image="/static/anh.png", attachments=["/static/ke-hoach.pdf"],
            author="Phòng Hành chính"),
        "content/posts/2021/08/tin-hai.md": post("Tin thứ hai tháng tám", f"2021-08-20T08:00:00{tz}",
                                                 "Nội dung tin thứ hai.", category="van-ban-chi-dao"),
        "content/posts/2021/09/tin-ba.md": post("Tin tháng chín về Đà Nẵng", f"2021-09-05T08:00:00{tz}",
                                                "Nội dung về đường giao thông.", category="hoat-dong-cchc",
                                                summary="Tóm tắt do tác giả viết."),
        "content/posts/2021/10/ban-nhap.md": post("Bản nháp chưa đăng", f"2021-10-05T08:00:00{tz}",
                                                  "Nội dung nháp.", category="hoat-dong-cchc", draft=True),
        "content/posts/2021/10/bai-mau.md": post("Bài viết mẫu", f"2021-10-06T08:00:00{tz}",
                                                 "Nội dung mẫu.", category="hoat-dong-cchc", sample=True),
        "content/pages/gioi-thieu.md": "---\ntitle: \"Giới thiệu\"\nsummary: \"Giới thiệu về Sở.\"\n---\n\n"
                                       "Trang giới thiệu.\n\n## Liên hệ\n\nĐiện thoại: 0123 456 789.\n",
        "content/procedures/hoat-dong-xay-dung/1.013225.md": PROCEDURE,
        "content/procedures/hoat-dong-xay-dung/1.013227.md": PROCEDURE_2,
        "content/procedures/nha-o/1.009999.md": PROCEDURE_3,
        "content/data/chi-so.yaml": INDICES,
        "content/static/anh.png": tiny_png(),
        "content/static/ke-hoach.pdf": b"%PDF-1.4\n%%EOF\n",
    }
    return write_site(root, files, KITCHEN_CONFIG)


def build(site: Path, out: Path, *extra: str) -> Path:
    result = run_cli("build", "--site", site, "--output", out, "--as-of", "2021-12-31", *extra)
    assert result.code == 0, result.err + result.out
    return out


def build_shipped(out: Path) -> Path:
    return build(REPO_ROOT, out)


def build_kitchen(root: Path) -> Path:
    return build(kitchen_site(root / "site"), root / "out", "--drafts")


def html_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if not any(part.startswith(".") for part in p.relative_to(out).parts))
