"""Area codes as people type them → the 5-digit 標準地域コード, in one place.

Why one module: a code is read from the command line, from ``settings.yaml``, from notebook
parameters and from the user's own files; each of them must accept the same spellings and refuse
the same mistakes with the same words. Accepted: 5 digits, full-width digits from a Japanese IME
(``１３１０１``, NFKC), surrounding spaces, and the 6-digit 全国地方公共団体コード when its check
digit (検査数字) is right (``131016`` → ``13101``). A number instead of text (YAML reads
``city_code: 01100`` as a number and loses the leading zero) gets one Japanese message saying to
quote it. :func:`normalize_area_code` is the lenient reading of a *cell* in a user's spreadsheet
(4 digits: Excel dropped the leading zero) built on the same rules.

Stage: ``config`` — imports ``errors`` only.
"""

from __future__ import annotations

import re
import unicodedata

from sckpi_helpers.errors import SckpiError

#: weights of the modulus-11 check digit of the 全国地方公共団体コード
WEIGHTS = (6, 5, 4, 3, 2)


class AreaCodeError(SckpiError, ValueError):
    """A value that is not an area code (the message says why and what to write)."""


def check_digit(code5: str) -> int:
    """Modulus-11 check digit (検査数字) of the 全国地方公共団体コード: ``(11 − Σ dᵢ·wᵢ mod 11) mod 10``,
    weights 6,5,4,3,2 (131016 千代田区, 011002 札幌市)."""
    code = _code5(code5)
    total = sum(int(d) * w for d, w in zip(code, WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def to_lg_code(code5: str) -> str:
    """``"13101"`` → ``"131016"``."""
    code = _code5(code5)
    return f"{code}{check_digit(code)}"


def from_lg_code(code6: str) -> str:
    """``"131016"`` → ``"13101"``; a wrong check digit (a typo, usually) is refused naming the
    check digit found and the one expected."""
    text = unicodedata.normalize("NFKC", str(code6)).strip()
    if not re.fullmatch(r"\d{6}", text):
        raise AreaCodeError(f"{code6!r} は6桁の全国地方公共団体コードではありません "
                            "(not a 6-digit local government code)")
    expected = check_digit(text[:5])
    if int(text[5]) != expected:
        raise AreaCodeError(
            f"{text} の検査数字（6桁目）は {text[5]} ですが、{text[:5]} の検査数字は {expected} です。"
            f"コードの打ち間違いか全国地方公共団体コードではありません "
            f"(check digit {text[5]}, expected {expected}: {text[:5]}{expected})")
    return text[:5]


def quote_message(value: int, key: str = "city_code") -> str:
    """The one message for a code YAML read as a number (``01100`` → 576 or 1100)."""
    digits = _yaml_digits(value)
    return (f"{key} が数値として読まれました（YAML では先頭の 0 が消えます）。地域コードは引用符で囲んで"
            f"文字列として書いてください（例: {key}: \"{digits}\"） "
            f"(quote the area code: {key}: \"{digits}\")")


def parse_code(value: object, key: str = "city_code") -> str:
    """A typed area code → 5-digit 標準地域コード (see the module docstring); :class:`AreaCodeError`
    otherwise. ``key`` names the setting or option in the message."""
    if isinstance(value, bool):
        raise AreaCodeError(f"{key}: {value!r} は地域コードではありません (not an area code)")
    if isinstance(value, int):
        if 10000 <= value <= 99999:  # nothing was lost: 13101 read as a number is still 13101
            return str(value)
        raise AreaCodeError(quote_message(value, key))
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if value is None else str(value)))
    if re.fullmatch(r"\d{5}", text):
        return text
    if re.fullmatch(r"\d{6}", text):
        return from_lg_code(text)
    raise AreaCodeError(f"{key}: '{value}' は5桁の標準地域コード（例 \"13101\"）でも、検査数字の正しい"
                        f"6桁の全国地方公共団体コード（例 \"131016\"）でもありません "
                        f"(not a 5-digit area code)")


def parse_codes(text: str, key: str = "--cities") -> list[str]:
    """``13101,１３１０２`` → ``["13101", "13102"]`` (each code by :func:`parse_code`)."""
    items = [c for c in re.split(r"[,、，]", unicodedata.normalize("NFKC", str(text))) if c.strip()]
    if not items:
        raise AreaCodeError(f"{key}: 地域コードがありません (no area code given, e.g. 13101,13102)")
    return [parse_code(c, key) for c in items]


def normalize_area_code(v: object) -> str:
    """A cell of a user's file → 5-digit code: what :func:`parse_code` accepts, plus 4 digits or a
    number (Excel dropped the leading zero)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        v = str(v)
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", "" if v is None else str(v)))
    if re.fullmatch(r"\d{4}", s):
        return s.zfill(5)
    try:
        return parse_code(s, "area_code")
    except AreaCodeError:
        if re.fullmatch(r"\d{6}", s):
            raise
    raise AreaCodeError(f"area code '{v}' is not a 5-digit 標準地域コード or a 6-digit 全国地方公共団体コード")


def names_code(value: object, code: str) -> bool:
    """True when a raw ``city_code`` value (as YAML read it) means ``code`` — also the number YAML
    made of an unquoted leading-zero code, so the settings file is found and its error shown."""
    if isinstance(value, int) and not isinstance(value, bool):
        return code in {str(value).zfill(5), _yaml_digits(value)}
    try:
        return parse_code(value) == code
    except AreaCodeError:
        return False


def _yaml_digits(value: int) -> str:
    """The digits a user most likely typed: YAML 1.1 reads ``01100`` as octal (576)."""
    return f"{value:o}".zfill(5) if value < 10000 and len(f"{value:o}") <= 5 else str(value).zfill(5)


def _code5(code: str | int) -> str:
    text = unicodedata.normalize("NFKC", str(code)).strip()
    if isinstance(code, int) or re.fullmatch(r"\d{4}", text):
        text = text.zfill(5)  # a spreadsheet dropped the leading zero
    if not re.fullmatch(r"\d{5}", text):
        raise AreaCodeError(f"{code!r} is not a 5-digit area code (標準地域コード)")
    return text


__all__ = [
    "WEIGHTS",
    "AreaCodeError",
    "check_digit",
    "from_lg_code",
    "names_code",
    "normalize_area_code",
    "parse_code",
    "parse_codes",
    "quote_message",
    "to_lg_code",
]
