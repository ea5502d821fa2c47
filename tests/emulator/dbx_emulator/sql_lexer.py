"""Tokenizer for the Databricks SQL subset that the emulator understands (apis/sql.py).

Every statement goes through this tokenizer before anything looks at it: string literals,
backtick identifiers, comments and parameter markers become tokens, so that nothing inside a
literal or a comment can ever be taken for SQL, and the translator (sql_engine.py) re-emits
literals in sqlite's own quoting. Parameter values never reach the SQL text: markers become
sqlite named parameters bound by sqlite3.
"""


class SqlError(Exception):
    """A statement failure: reported as HTTP 200, status.state FAILED, status.error
    {error_code, message} and status.sql_state."""

    def __init__(self, error_class, sql_state, message, error_code="BAD_REQUEST"):
        self.error_class = error_class
        self.sql_state = sql_state
        self.error_code = error_code
        text = message
        if error_class:
            text = "[%s] %s" % (error_class, message)
        if sql_state:
            text += " SQLSTATE: %s" % sql_state
        super().__init__(text)
        self.message = text


def syntax_error(near):
    if near is None:
        near = "end of input"
    else:
        near = "'%s'" % near
    return SqlError("PARSE_SYNTAX_ERROR", "42601", "Syntax error at or near %s." % near)


class Tok:
    __slots__ = ("kind", "text", "value", "pos")

    def __init__(self, kind, text, value, pos):
        self.kind = kind      # ident, qident, str, num, param, op, eof
        self.text = text      # source text (idents: as written)
        self.value = value    # str: decoded value; ident: upper-case; qident: name; param: name
        self.pos = pos

    def is_kw(self, *words):
        return self.kind == "ident" and self.value in words

    def __repr__(self):
        return "Tok(%s,%r)" % (self.kind, self.text)


_OPS3 = ("<=>",)
_OPS2 = ("<=", ">=", "<>", "!=", "==", "||", "::", "->")
_OPS1 = "(),.;+-*/%<>=|&~^[]{}"
_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "0": "\0", "Z": "\x1a", "%": "\\%", "_": "\\_"}

MAX_STATEMENT = 16 * 1024 * 1024


def _ident_start(c):
    return c.isalpha() or c == "_"


def _ident_char(c):
    return c.isalnum() or c == "_"


def tokenize(sql):
    """Returns the significant tokens (no whitespace or comments), ending with an eof token.
    Raises SqlError on an unterminated literal / comment or an unknown character."""
    out = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
            continue
        if c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("/*", j):
                    depth += 1
                    j += 2
                elif sql.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            if depth:
                raise SqlError("UNCLOSED_BRACKETED_COMMENT", "42601",
                               "Found an unclosed bracketed comment. Please, append */ at the end "
                               "of the comment.")
            i = j
            continue
        if c in "'\"":
            # Spark string literal: backslash escapes; a doubled quote is taken as one quote.
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise syntax_error(sql[i:i + 20])
                d = sql[j]
                if d == "\\" and j + 1 < n:
                    e = sql[j + 1]
                    buf.append(_ESC.get(e, e))
                    j += 2
                    continue
                if d == c:
                    if j + 1 < n and sql[j + 1] == c:
                        buf.append(c)
                        j += 2
                        continue
                    j += 1
                    break
                buf.append(d)
                j += 1
            out.append(Tok("str", sql[i:j], "".join(buf), i))
            i = j
            continue
        if c == "`":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise syntax_error(sql[i:i + 20])
                if sql[j] == "`":
                    if j + 1 < n and sql[j + 1] == "`":
                        buf.append("`")
                        j += 2
                        continue
                    j += 1
                    break
                buf.append(sql[j])
                j += 1
            name = "".join(buf)
            if not name:
                raise syntax_error("``")
            out.append(Tok("qident", sql[i:j], name, i))
            i = j
            continue
        if c == ":" and not sql.startswith("::", i) and (i == 0 or sql[i - 1] != ":"):
            j = i + 1
            if j < n and sql[j] == "`":
                k = sql.find("`", j + 1)
                if k < 0:
                    raise syntax_error(sql[i:i + 20])
                out.append(Tok("param", sql[i:k + 1], sql[j + 1:k], i))
                i = k + 1
                continue
            if j < n and _ident_start(sql[j]):
                k = j
                while k < n and _ident_char(sql[k]):
                    k += 1
                out.append(Tok("param", sql[i:k], sql[j:k], i))
                i = k
                continue
            raise syntax_error(":")
        if c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            j = i
            while j < n and sql[j].isdigit():
                j += 1
            if j < n and sql[j] == "." and not (j + 1 < n and _ident_start(sql[j + 1])
                                                and sql[j + 1] not in "eE"):
                j += 1
                while j < n and sql[j].isdigit():
                    j += 1
            if j < n and sql[j] in "eE" and j + 1 < n and (
                    sql[j + 1].isdigit() or (sql[j + 1] in "+-" and j + 2 < n and sql[j + 2].isdigit())):
                j += 2
                while j < n and sql[j].isdigit():
                    j += 1
            text = sql[i:j]
            # Spark numeric suffixes: 10L, 1S, 1Y, 1.5D, 1.5F, 1.5BD
            for suf in ("BD", "bd", "L", "l", "S", "s", "Y", "y", "D", "d", "F", "f"):
                if sql.startswith(suf, j) and not (j + len(suf) < n and _ident_char(sql[j + len(suf)])):
                    j += len(suf)
                    break
            if j < n and _ident_char(sql[j]):
                raise syntax_error(sql[i:j + 1])
            out.append(Tok("num", sql[i:j], text, i))
            i = j
            continue
        if _ident_start(c):
            j = i
            while j < n and _ident_char(sql[j]):
                j += 1
            out.append(Tok("ident", sql[i:j], sql[i:j].upper(), i))
            i = j
            continue
        if sql.startswith(_OPS3, i):
            out.append(Tok("op", sql[i:i + 3], sql[i:i + 3], i))
            i += 3
            continue
        two = sql[i:i + 2]
        if two in _OPS2:
            out.append(Tok("op", two, two, i))
            i += 2
            continue
        if c in _OPS1:
            out.append(Tok("op", c, c, i))
            i += 1
            continue
        if c == "?":
            raise SqlError("UNBOUND_SQL_PARAMETER", "42P02",
                           "Positional parameter markers (?) are not supported by the statement "
                           "execution API; use named markers (:name).")
        raise syntax_error(c)
    out.append(Tok("eof", "", None, n))
    return out


def split_statements(toks):
    """The tokens of the single statement (a trailing ';' allowed). More than one statement
    is a syntax error, as on a SQL warehouse through this API."""
    end = len(toks) - 1
    for k, t in enumerate(toks):
        if t.kind == "op" and t.value == ";":
            rest = [x for x in toks[k + 1:] if not (x.kind == "op" and x.value == ";")]
            if rest[0].kind != "eof":
                raise syntax_error(rest[0].text)
            end = k
            break
    stmt = toks[:end]
    stmt.append(Tok("eof", "", None, toks[end].pos))
    if len(stmt) == 1:
        raise syntax_error(None)
    return stmt


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value):
    if "\0" in value:
        return "CAST(X'%s' AS TEXT)" % value.encode("utf-8").hex()
    return "'" + value.replace("'", "''") + "'"


def backticked(parts):
    return ".".join("`%s`" % p.replace("`", "``") for p in parts)
