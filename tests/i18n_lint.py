"""Find user-facing text that is not marked for translation.

Templates: every text node outside ``{% blocktranslate %}`` that still holds letters once
markup is removed, and the literal values of attributes people read (``alt``, ``title``,
``placeholder``, ``aria-label``...). Python: string literals passed where Django shows them
to people (``messages.*``, ``ValidationError``, form/model ``label``, ``help_text``,
``verbose_name``..., the personal-data registry's ``description`` and ``law``), unless
wrapped in a gettext call.
"""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from pathlib import Path

from django.template.base import Lexer, TokenType

READ_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label", "aria-description", "summary")
ATTRIBUTE = re.compile(
    r"\b(?P<name>"
    + "|".join(READ_ATTRIBUTES)
    + r""")\s*=\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)""",
    re.IGNORECASE | re.DOTALL,
)
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# File names and paths (in the export's README, say) are the same in every language.
FILE_NAME = re.compile(r"^[\w.\-/]*(\.[a-z]{2,4}|/)$")


def _is_neutral(visible: str) -> bool:
    return all(FILE_NAME.match(word) for word in visible.split())


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.text!r}"


MARK = "\x00"  # stands for template output: a variable or a translated string


def _keep_newlines(match: re.Match) -> str:
    return "\n" * match.group(0).count("\n")


def _template_layer(source: str) -> str:
    """The template with every variable, tag and translated block replaced by MARK.

    What is left is the literal text and markup the template prints; newlines are kept so
    that line numbers still point into the file.
    """
    parts = []
    skip = 0  # inside blocktranslate / comment / verbatim
    for token in Lexer(source).tokenize():
        raw = token.contents
        if token.token_type == TokenType.BLOCK:
            name = raw.split()[0] if raw else ""
            if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                skip += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment", "endverbatim"):
                skip = max(0, skip - 1)
            parts.append(MARK)
        elif token.token_type == TokenType.TEXT and not skip:
            parts.append(raw)
        elif token.token_type == TokenType.TEXT:
            parts.append(MARK + "\n" * raw.count("\n"))
        else:
            parts.append(MARK)
    return "".join(parts)


def lint_template(source: str, path: str) -> list[Finding]:
    layer = _template_layer(source)
    layer = SCRIPT_OR_STYLE.sub(_keep_newlines, layer)
    findings = []
    for match in ATTRIBUTE.finditer(layer):
        value = match["value"]
        if LETTER.search(value) and MARK not in value:
            line = layer.count("\n", 0, match.start()) + 1
            findings.append(Finding(path, line, f'{match["name"]}="{value}"'))
    text = TAG.sub(_keep_newlines, layer)
    for number, line in enumerate(text.split("\n"), start=1):
        visible = " ".join(html.unescape(line.replace(MARK, " ")).split())
        if LETTER.search(visible) and not _is_neutral(visible):
            findings.append(Finding(path, number, visible[:80]))
    return findings


def lint_templates(root: Path) -> list[Finding]:
    findings = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".html", ".txt") or not path.is_file():
            continue
        findings += lint_template(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return findings


# --- Python --------------------------------------------------------------------------------

SHOWN_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    # Personal-data registry declarations (privacy.registry): the privacy center, the
    # deletion page, "What we collect" and the export show these to members.
    "description",
    "law",
}
SHOWN_CALLS = {
    ("messages", "debug"),
    ("messages", "info"),
    ("messages", "success"),
    ("messages", "warning"),
    ("messages", "error"),
    ("messages", "add_message"),
    ("", "ValidationError"),
    ("forms", "ValidationError"),
}


def _call_name(node: ast.Call) -> tuple[str, str]:
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return owner, func.attr
    if isinstance(func, ast.Name):
        return "", func.id
    return "", ""


def _is_text_literal(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(LETTER.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_text_literal(v) for v in node.values)
    return False


def lint_python(source: str, path: str) -> list[Finding]:
    findings = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        owner, name = _call_name(node)
        if (owner, name) in SHOWN_CALLS or ("", name) in SHOWN_CALLS:
            # messages.x(request, "text") / ValidationError("text")
            args = node.args[1:] if owner == "messages" else node.args[:1]
            if name == "add_message":
                args = node.args[2:3]
            findings += [
                Finding(path, a.lineno, ast.unparse(a)) for a in args if _is_text_literal(a)
            ]
        for keyword in node.keywords:
            if keyword.arg in SHOWN_KEYWORDS and _is_text_literal(keyword.value):
                findings.append(Finding(path, keyword.value.lineno, ast.unparse(keyword.value)))
    return findings


def lint_packages(root: Path, packages: list[str]) -> list[Finding]:
    findings = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            findings += lint_python(path.read_text(encoding="utf-8"), str(path.relative_to(root)))
    return findings
