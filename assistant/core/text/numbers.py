"""Number words as digits, so a model writing "42" matches a source spelling "forty-two" (or
"四十二"), and the reverse."""

from __future__ import annotations

import re

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | {
    w: 20 + 10 * i for i, w in enumerate(_TENS)}
_NUMBER_PHRASE = re.compile(
    r"\b(" + "|".join(_TENS) + r")(?:[- ](" + "|".join(_UNITS[1:10]) + r"))?\b|\b("
    + "|".join(_UNITS) + r")\b", re.IGNORECASE)

# Chinese numerals. A run of two or more that starts with a digit or 十 is a number (二十五,
# 一九四九; not 万一 "in case"); a single one is
# only where a measure word follows (三个, 五年, 两倍), since 一 begins many words (一般 "usual").
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
_ZH_MEASURE = "个年月日天次人岁倍种名位项件条座本张只台辆家所届场分秒小时周级层米克元"
_ZH_NUMBER = re.compile(
    "(?:百分之)?(?:[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]+"
    "|[一二两三四五六七八九十](?=[" + _ZH_MEASURE + "]))")


def _zh_value(run: str) -> int | None:
    if all(ch in _ZH_DIGITS for ch in run):  # 一九四九: read digit by digit
        return int("".join(str(_ZH_DIGITS[ch]) for ch in run))
    total, section, digit = 0, 0, None
    for ch in run:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[ch]
            digit = None
        elif ch in _ZH_BIG:
            section += digit or 0
            total += (section or 1) * _ZH_BIG[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _zh(m: re.Match[str]) -> str:
    text = m.group(0)
    percent = text.startswith("百分之")
    value = _zh_value(text[3:] if percent else text)
    if value is None:
        return text
    return f"{value}%" if percent else str(value)


def numbers_as_digits(text: str) -> str:
    """'forty-two' -> '42', '四十二' -> '42', '百分之二十' -> '20%'."""
    def repl(m: re.Match[str]) -> str:
        if m.group(3):
            return str(_NUMBER_WORDS[m.group(3).lower()])
        value = _NUMBER_WORDS[m.group(1).lower()]
        return str(value + (_NUMBER_WORDS[m.group(2).lower()] if m.group(2) else 0))

    text = _NUMBER_PHRASE.sub(repl, text)
    if any("\u3007" <= ch <= "\u9fff" for ch in text):
        text = _ZH_NUMBER.sub(_zh, text)
    return text
