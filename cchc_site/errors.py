"""One error shape for the whole tool: ``path:line: CODE message``.

Codes are stable (documented in README.md, "Mã lỗi") so that docs and CI can refer
to them.  Messages are in Vietnamese, for the authors, and say how to fix the problem.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class SiteError:
    """A problem in one input file (``line`` 0 when the whole file is concerned)."""

    path: str
    line: int
    code: str
    message: str
    severity: Severity = "error"

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.code} {self.message}"


class BuildFailed(Exception):
    """Raised at the edge when validation found problems; carries all of them."""

    def __init__(self, errors: Iterable[SiteError], quota: object = None) -> None:
        self.errors: tuple[SiteError, ...] = tuple(sorted(set(errors)))
        self.quota = quota  # the quota report (quota.QuotaReport) when the build got that far
        super().__init__(f"{len(self.errors)} lỗi")


def only_errors(problems: Iterable[SiteError]) -> list[SiteError]:
    """The problems that stop a build (warnings excluded)."""
    return [p for p in problems if p.severity == "error"]


# Stable error codes.  Keep in sync with docs/errors.md (merged into README.md, "Mã lỗi").
CODES: dict[str, str] = {
    "E001": "front matter không được đóng bằng dòng ---",
    "E002": "lỗi cú pháp YAML (kể cả khóa bị lặp)",
    "E003": "front matter không phải là bảng khóa: giá trị",
    "E004": "thiếu hoặc để trống khóa bắt buộc",
    "E005": "ngày không tồn tại",
    "E006": "không đọc được ngày",
    "E007": "khóa không được hỗ trợ",
    "E008": "chuyên mục không có trong site.yaml",
    "E009": "lĩnh vực không có trong site.yaml",
    "E010": "hai tài liệu trùng địa chỉ (URL)",
    "E011": "tệp không phải UTF-8",
    "E012": "tệp rỗng",
    "E013": "đường dẫn ra ngoài thư mục trang",
    "E014": "tệp được tham chiếu không tồn tại",
    "E015": "giá trị sai kiểu",
    "E016": "liên kết nội bộ tới trang không tồn tại",
    "E017": "mã thủ tục sai định dạng",
    "E018": "mã thủ tục bị trùng",
    "E019": "liên kết tthc: tới mã thủ tục không có",
    "E020": "slug không hợp lệ",
    "E021": "giá trị không hợp lệ",
    "E030": "lỗi cú pháp mẫu (template)",
    "E031": "biến không xác định trong mẫu (template)",
    "E032": "lỗi khi dựng mẫu (template)",
    "E040": "site.yaml: khóa không được hỗ trợ",
    "E041": "site.yaml: base_url không hợp lệ",
    "E042": "site.yaml: múi giờ không tồn tại",
    "E043": "site.yaml: tháng của quota không hợp lệ",
    "E044": "site.yaml: giá trị không hợp lệ",
    "E045": "site.yaml: lỗi cú pháp YAML hoặc không đọc được",
    "E050": "thư mục đầu ra không an toàn",
    "E051": "tệp nội dung thay đổi trong khi đang dựng",
    "E052": "một lệnh dựng khác đang ghi vào cùng thư mục đầu ra",
    "E060": "tháng không đủ số bài theo quy định",
    "W070": "nội dung có mã JavaScript (<script>, onclick=, javascript:)",
}
