"""Execution of one Databricks SQL statement on the engine (sql_engine.py): parsing of the
statement forms the emulator supports, and translation of queries / expressions to sqlite.

Translation works on tokens (sql_lexer.py), never on raw text: literals are re-quoted for
sqlite, backtick identifiers become double-quoted identifiers, table names are resolved against
the Unity Catalog store and replaced by the sqlite table of the wanted version, and parameter
markers become sqlite named parameters whose values are bound by sqlite3.
"""

import csv
import io
import json
import posixpath
import re
import sqlite3
import fnmatch

from .sql_engine import (DEFAULT_RETENTION_H, RANGE_MAX, StoreError, _BARE, _CLAUSE_END, _FUNCS,
                         _NOT_ALIAS, _NOT_TABLE_START, _err_catalog, _err_not_found, _err_schema,
                         _unsupported, parse_ts_ms)
from .sql_lexer import SqlError, backticked, quote_ident, quote_literal, split_statements, \
    syntax_error, tokenize
from .sql_types import CAST_TARGET, Col, bind_value, col_from_decl, infer_col, make_type


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self, k=0):
        j = min(self.i + k, len(self.t) - 1)
        return self.t[j]

    def next(self):
        tok = self.t[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def at(self, *words):
        return self.peek().is_kw(*words)

    def accept(self, *words):
        """Accepts a sequence of keywords; all or nothing."""
        for k, w in enumerate(words):
            if not self.peek(k).is_kw(w):
                return False
        self.i += len(words)
        return True

    def expect(self, *words):
        if not self.accept(*words):
            raise syntax_error(self.peek().text or None)

    def at_op(self, op):
        t = self.peek()
        return t.kind == "op" and t.value == op

    def accept_op(self, op):
        if self.at_op(op):
            self.i += 1
            return True
        return False

    def expect_op(self, op):
        if not self.accept_op(op):
            raise syntax_error(self.peek().text or None)

    def ident(self):
        t = self.next()
        if t.kind == "ident":
            return t.text
        if t.kind == "qident":
            return t.value
        raise syntax_error(t.text or None)

    def qname(self):
        parts = [self.ident()]
        while self.at_op(".") and self.peek(1).kind in ("ident", "qident"):
            self.i += 1
            parts.append(self.ident())
        return parts

    def string(self):
        t = self.next()
        if t.kind != "str":
            raise syntax_error(t.text or None)
        return t.value

    def number(self):
        t = self.next()
        neg = False
        if t.kind == "op" and t.value == "-":
            neg, t = True, self.next()
        if t.kind != "num":
            raise syntax_error(t.text or None)
        v = float(t.value) if any(c in t.value for c in ".eE") else int(t.value)
        return -v if neg else v

    def balanced(self):
        """Tokens of a parenthesised group (the current token is '('), without the parens."""
        self.expect_op("(")
        start, depth = self.i, 1
        while True:
            t = self.next()
            if t.kind == "eof":
                raise syntax_error(None)
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                depth -= 1
                if depth == 0:
                    return self.t[start:self.i - 1]

    def until(self, stop_words, stop_ops=()):
        """Tokens up to (not including) a stop keyword / op at depth 0, or eof."""
        start, depth = self.i, 0
        while True:
            t = self.peek()
            if t.kind == "eof":
                break
            if depth == 0 and (t.is_kw(*stop_words) or (t.kind == "op" and t.value in stop_ops)):
                break
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                if depth == 0:
                    break
                depth -= 1
            self.i += 1
        return self.t[start:self.i]

    def rest(self):
        toks = self.t[self.i:-1]
        self.i = len(self.t) - 1
        return toks

    def end(self):
        if self.peek().kind != "eof":
            raise syntax_error(self.peek().text)

    def options(self):
        """('k' = 'v', k = v, ...) -> {lower key: value string}."""
        out = {}
        toks = self.balanced()
        p = Parser(toks + [tokenize("")[-1]])
        while p.peek().kind != "eof":
            t = p.next()
            key = t.value if t.kind == "str" else t.text
            while p.at_op("."):
                p.next()
                key += "." + p.next().text
            p.accept_op("=")
            v = p.next()
            if v.kind == "str":
                val = v.value
            elif v.kind in ("num", "ident"):
                val = v.text
            else:
                raise syntax_error(v.text or None)
            out[key.lower()] = val
            if not p.accept_op(","):
                break
        p.end()
        return out


# a quoted string or identifier (kept as it is), or a parameter marker Exec.bind wrote
_MARKER_RX = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|:(p_[A-Za-z0-9_]+)")


class Exec:
    """One statement's execution: the engine, the session defaults and the parameters."""

    def __init__(self, eng, catalog, schema, params, principal, now):
        self.eng = eng
        self.db = eng.db
        self.catalog = (catalog or "main").lower()
        self.schema = (schema or "default").lower()
        self.params = params          # name (lower) -> (value, Col or None)
        self.binds = {}
        self.bound = {}               # parameter name (lower) -> its key in binds
        self.principal = principal
        self.now = now
        self.ctes = set()
        self.nrange = 0
        self.scope = None             # _scan_scope: struct columns of the tables read

    # ---- translation -----------------------------------------------------------------------
    def bind(self, tok):
        name = tok.value.lower()
        if name not in self.params:
            raise SqlError("UNBOUND_SQL_PARAMETER", "42P02",
                           "Found the unbound parameter: %s. Please, fix `args` and provide a "
                           "mapping of the parameter to either a SQL literal or collection "
                           "constructor functions such as `map()`, `array()`, `struct()`." % tok.value)
        key = self.bound.get(name)  # a parameter used twice binds once (a dict: no scan per use)
        if key is None:
            key = "p_" + "".join(c if c.isalnum() else "_" for c in name) + "_%d" % (len(self.binds))
            self.binds[key] = (self.params[name][0], name)
            self.bound[name] = key
        return ":" + key

    def positional(self, sql, null=False):
        """sql with each bound marker (:p_...) outside quotes made a positional "?" (or NULL
        when null), and the values in marker order. sqlite looks a named parameter up by a
        linear scan, so an INSERT of 1,000 rows x 8 named parameters spent 0.3 s in sqlite's
        parser; positional markers cost nothing."""
        vals = []

        def sub(m):
            key = m.group(1)
            if key is None or key not in self.binds:
                return m.group(0)
            if null:
                return "NULL"
            vals.append(self.binds[key][0])
            return "?"
        return _MARKER_RX.sub(sub, sql), vals

    def const_value(self, toks):
        """A number / string literal or a parameter, as a Python value (range() arguments,
        TIMESTAMP AS OF, LIMIT of DESCRIBE HISTORY)."""
        neg = False
        if len(toks) == 2 and toks[0].kind == "op" and toks[0].value == "-":
            neg, toks = True, toks[1:]
        if len(toks) != 1:
            raise _unsupported("only literals and parameters are supported here")
        t = toks[0]
        if t.kind == "num":
            v = float(t.value) if any(c in t.value for c in ".eE") else int(t.value)
        elif t.kind == "str":
            v = t.value
        elif t.kind == "param":
            self.bind(t)
            v = self.params[t.value.lower()][0]
        else:
            raise syntax_error(t.text)
        return -v if neg else v

    def translate(self, toks):
        """Databricks query / expression tokens -> sqlite text."""
        self._scan_ctes(toks)
        if self.scope is None:
            self.scope = self._scan_scope(toks)
        out = []
        i, n = 0, len(toks)
        depth = 0
        from_depths = []
        expect_table = False
        cast_depths = []
        while i < n:
            t = toks[i]
            if expect_table:
                expect_table = False
                if t.kind in ("ident", "qident") and not t.is_kw(*_NOT_TABLE_START):
                    i = self._table_ref(toks, i, out)
                    continue
                if t.is_kw("VALUES") or (t.kind == "op" and t.value == "("):
                    j = self._derived_with_columns(toks, i, out)
                    if j is not None:
                        i = j
                        continue
            k = t.kind
            if k == "op":
                v = t.value
                if v == "(":
                    depth += 1
                elif v == ")":
                    depth -= 1
                    while from_depths and from_depths[-1] > depth:
                        from_depths.pop()
                    if cast_depths and cast_depths[-1] > depth:
                        cast_depths.pop()
                elif v == "," and from_depths and from_depths[-1] == depth:
                    expect_table = True
                elif v == "<=>":
                    out.append("IS")
                    i += 1
                    continue
                elif v == "/":
                    # Spark's / always divides as a fraction (7 / 2 = 3.5), sqlite's does not;
                    # a zero divisor fails (ANSI mode, the warehouse default) where sqlite
                    # answers NULL: the divisor goes through dbx_nz unless it is a literal
                    j = self._primary_end(toks, i + 1)
                    div = toks[i + 1:j]
                    if len(div) == 1 and div[0].kind == "num" and float(div[0].value) != 0:
                        out.append("* 1.0 /")
                        i += 1
                        continue
                    out.append("* 1.0 / dbx_nz(%s)" % self.translate(div))
                    i = j
                    continue
                elif v in ("::", "->", "[", "]", "{", "}", "&", "|", "^", "~"):
                    raise _unsupported("the operator '%s'" % v)
                out.append(v)
                i += 1
                continue
            if k in ("ident", "qident") and self.scope[1] and \
                    not (i > 0 and toks[i - 1].kind == "op" and toks[i - 1].value == "."):
                j, names = self._chain(toks, i)
                if len(names) >= 2 and not (j < n and toks[j].kind == "op" and toks[j].value == "("):
                    hit = self._struct_path(names)
                    if hit is not None:
                        out.append(hit[0])
                        i = j
                        continue
            if k == "str":
                out.append(quote_literal(t.value))
            elif k == "num":
                out.append(t.value)
            elif k == "qident":
                out.append(quote_ident(t.value))
            elif k == "param":
                out.append(self.bind(t))
            elif k == "ident":
                v = t.value
                nxt = toks[i + 1] if i + 1 < n else None
                is_call = nxt is not None and nxt.kind == "op" and nxt.value == "("
                if v in ("FROM", "JOIN"):
                    if v == "FROM":
                        if from_depths and from_depths[-1] == depth:
                            from_depths.pop()
                        from_depths.append(depth)
                    expect_table = True
                    out.append(v)
                elif v in _CLAUSE_END and from_depths and from_depths[-1] == depth and \
                        not (v == "ON" or v == "USING"):
                    from_depths.pop()
                    out.append(t.text)
                elif v == "CAST" and is_call:
                    cast_depths.append(depth + 1)
                    out.append("CAST")
                elif v == "AS" and cast_depths and cast_depths[-1] == depth:
                    cast_depths.pop()
                    i = self._cast_type(toks, i + 1, out)
                    continue
                elif v in ("DATE", "TIMESTAMP", "TIMESTAMP_NTZ") and nxt is not None and nxt.kind == "str":
                    pass  # typed literal: DATE '2024-01-01' is the string
                elif v in ("ILIKE",):
                    out.append("LIKE")
                elif v in ("RLIKE", "REGEXP"):
                    raise _unsupported("regular expressions")
                elif v == "DIV":
                    raise _unsupported("the DIV operator")
                elif is_call and v in _FUNCS:
                    out.append(_FUNCS[v])
                elif is_call and v == "RANGE":
                    raise syntax_error(t.text)
                elif not is_call and v in _BARE and not (i > 0 and toks[i - 1].kind == "op"
                                                         and toks[i - 1].value == "."):
                    out.append(_BARE[v])
                else:
                    out.append(t.text)
            i += 1
        return join_sql(out)

    # ---- struct fields ---------------------------------------------------------------------
    # A STRUCT column is stored as JSON text (sql_types.py); `col.field`, `alias.col.field`,
    # `` `col`.`field` `` and nested `a.b.c` read a field with json_extract, typed by the field's
    # type (a TIMESTAMP field is canonical text, so it compares and sorts as time). Names resolve
    # against the columns of the tables the statement reads (one scope for the whole statement,
    # subqueries included: a simplification); a first name that is a table name or alias keeps
    # meaning the table, as in Spark.

    @staticmethod
    def _name(tok):
        return tok.value if tok.kind == "qident" else tok.text

    def _chain(self, toks, i):
        """The dotted name starting at i: (index after it, [names])."""
        names = [self._name(toks[i])]
        j = i + 1
        while j + 1 < len(toks) and toks[j].kind == "op" and toks[j].value == "." and \
                toks[j + 1].kind in ("ident", "qident"):
            names.append(self._name(toks[j + 1]))
            j += 2
        return j, names

    def _scan_scope(self, toks):
        """(qualifiers, struct columns): the table names / aliases after FROM / JOIN (derived
        tables' aliases too), and {lower qualifier: Table} for the catalog tables among them."""
        quals, tables = set(), {}
        n = len(toks)

        def alias_at(j):
            if j < n and toks[j].is_kw("AS") and j + 1 < n and toks[j + 1].kind in ("ident", "qident"):
                return self._name(toks[j + 1]).lower(), j + 2
            if j < n and (toks[j].kind == "qident" or (toks[j].kind == "ident" and
                                                         toks[j].value not in _NOT_ALIAS)):
                return self._name(toks[j]).lower(), j + 1
            return None, j

        for i, t in enumerate(toks):
            if not t.is_kw("FROM", "JOIN"):
                continue
            j = i + 1
            while j < n:
                x = toks[j]
                if x.kind == "op" and x.value == "(":
                    depth = 0
                    while j < n:
                        if toks[j].kind == "op" and toks[j].value == "(":
                            depth += 1
                        elif toks[j].kind == "op" and toks[j].value == ")":
                            depth -= 1
                            if depth == 0:
                                break
                        j += 1
                    a, j = alias_at(j + 1)
                    if a:
                        quals.add(a)
                elif x.kind in ("ident", "qident") and not x.is_kw(*_NOT_TABLE_START):
                    j, parts = self._chain(toks, j)
                    if j < n and toks[j].kind == "op" and toks[j].value == "(":
                        break
                    a, j = alias_at(j)
                    q = a or parts[-1].lower()
                    quals.add(q)
                    if len(parts) == 1 and parts[0].lower() in self.ctes:
                        continue
                    try:
                        tb = self.eng.tables.get(".".join(self.eng.resolve(parts, self.catalog, self.schema)))
                    except (SqlError, StoreError):
                        tb = None
                    if tb is not None and any(c.type_name == "STRUCT" and c.sub for c in tb.cols):
                        tables[q] = tb
                else:
                    break
                if j < n and toks[j].kind == "op" and toks[j].value == ",":
                    j += 1
                    continue
                break
        return quals, tables

    def _struct_path(self, names):
        """(sqlite expression, field Col) of a dotted name that reads a struct field, or None
        when it is not one (a table-qualified column, a schema-qualified name, ...)."""
        quals, tables = self.scope
        low = [x.lower() for x in names]
        if low[0] in quals:
            tb = tables.get(low[0])
            if tb is None or len(names) < 3:
                return None
            col = next((c for c in tb.cols if c.name.lower() == low[1]), None)
            if col is None or col.type_name != "STRUCT":
                return None
            base = "%s.%s" % (quote_ident(names[0]), quote_ident(col.name))
            shown, fields = [names[0], col.name], names[2:]
        else:
            col = None
            for tb in tables.values():
                col = next((c for c in tb.cols if c.name.lower() == low[0] and c.type_name == "STRUCT"), None)
                if col is not None:
                    break
            if col is None:
                return None
            base, shown, fields = quote_ident(col.name), [col.name], names[1:]
        cur, path = col, []
        for f in fields:
            if cur.type_name != "STRUCT" or cur.sub is None:
                # Spark's error class (the reference does not list the SQL errors)
                raise SqlError("INVALID_EXTRACT_BASE_FIELD_TYPE", "42000",
                               "Can't extract a value from \"%s\". Need a complex type [STRUCT, "
                               "ARRAY, MAP] but got \"%s\"." % (".".join(shown), cur.type_text()))
            fc = cur.field(f)
            if fc is None:
                # Spark's FIELD_NOT_FOUND (42704); the reference does not list the SQL errors
                raise SqlError("FIELD_NOT_FOUND", "42704", "No such struct field %s in %s." % (
                    backticked([f]), ", ".join(backticked([x.name]) for x in cur.sub)))
            if '"' in fc.name:
                raise _unsupported("a struct field name with a double quote")
            path.append(fc.name)
            shown.append(fc.name)
            cur = fc
        expr = "json_extract(%s, %s)" % (base, quote_literal("$" + "".join('."%s"' % x for x in path)))
        return expr, cur

    def _derived_with_columns(self, toks, i, out):
        """`(query) [AS] a(c1, c2)` and `VALUES (..), (..) [AS] a(c1, c2)` in a FROM clause:
        sqlite has no column aliases on derived tables, so they become a CTE inside a
        subquery. Returns the index after them, or None when this is not that form."""
        p = Parser(toks[i:] + [tokenize("")[-1]])
        if p.at("VALUES"):
            p.next()
            start = p.i
            while p.at_op("("):
                p.balanced()
                if not p.accept_op(","):
                    break
            inner = [tokenize("VALUES")[0]] + p.t[start:p.i]
        else:
            inner = p.balanced()
        p.accept("AS")
        if not (p.peek().kind in ("ident", "qident") and not p.peek().is_kw(*_NOT_ALIAS)
                and p.peek(1).kind == "op" and p.peek(1).value == "("):
            return None
        alias = p.ident()
        names = [x.value if x.kind == "qident" else x.text for x in p.balanced()
                 if x.kind in ("ident", "qident")]
        self.nrange += 1
        cte = "__derived%d" % self.nrange
        sub = Exec(self.eng, self.catalog, self.schema, self.params, self.principal, self.now)
        sub.binds, sub.bound, sub.ctes, sub.tables_read, sub.nrange = self.binds, self.bound, set(self.ctes), self.tables_read, self.nrange + 100
        body = sub.translate(inner)
        out.append("(WITH %s(%s) AS (%s) SELECT * FROM %s) AS %s" % (
            quote_ident(cte), ", ".join(quote_ident(n) for n in names), body, quote_ident(cte),
            quote_ident(alias)))
        return i + p.i

    @staticmethod
    def _primary_end(toks, k):
        """Index just after the operand that starts at k (for the divisor of /)."""
        n = len(toks)

        def close(k):  # toks[k] is "(": index after its ")"
            depth = 0
            while k < n:
                x = toks[k]
                if x.kind == "op" and x.value == "(":
                    depth += 1
                elif x.kind == "op" and x.value == ")":
                    depth -= 1
                    if depth == 0:
                        return k + 1
                k += 1
            return n
        while k < n and toks[k].kind == "op" and toks[k].value in ("-", "+"):
            k += 1
        if k >= n:
            return n
        t = toks[k]
        if t.kind == "op" and t.value == "(":
            return close(k)
        if t.is_kw("CASE"):
            depth = 0
            while k < n:
                if toks[k].is_kw("CASE"):
                    depth += 1
                elif toks[k].is_kw("END"):
                    depth -= 1
                    if depth == 0:
                        return k + 1
                k += 1
            return n
        if t.kind in ("ident", "qident"):
            if t.is_kw("DATE", "TIMESTAMP") and k + 1 < n and toks[k + 1].kind == "str":
                return k + 2
            k += 1
            while k + 1 < n and toks[k].kind == "op" and toks[k].value == "." and \
                    toks[k + 1].kind in ("ident", "qident"):
                k += 2
            if k < n and toks[k].kind == "op" and toks[k].value == "(":
                k = close(k)
                if k + 1 < n and toks[k].is_kw("OVER") and toks[k + 1].kind == "op" and \
                        toks[k + 1].value == "(":
                    k = close(k + 1)
            return k
        return k + 1

    def _scan_ctes(self, toks):
        for k, t in enumerate(toks):
            if t.is_kw("WITH"):
                j = k + 1
                if j < len(toks) and toks[j].is_kw("RECURSIVE"):
                    j += 1
                while j < len(toks) and toks[j].kind in ("ident", "qident"):
                    self.ctes.add((toks[j].value if toks[j].kind == "qident" else toks[j].text).lower())
                    j += 1
                    depth = 0
                    while j < len(toks):  # skip (cols) AS ( ... )
                        x = toks[j]
                        if x.kind == "op" and x.value == "(":
                            depth += 1
                        elif x.kind == "op" and x.value == ")":
                            depth -= 1
                            if depth == 0 and not (j + 1 < len(toks) and toks[j + 1].is_kw("AS")):
                                j += 1
                                break
                        j += 1
                    if j < len(toks) and toks[j].kind == "op" and toks[j].value == ",":
                        j += 1
                        continue
                    break

    def _cast_type(self, toks, i, out):
        if i >= len(toks) or toks[i].kind != "ident":
            raise syntax_error(toks[i].text if i < len(toks) else None)
        word = toks[i].value
        i += 1
        args = []
        if i < len(toks) and toks[i].kind == "op" and toks[i].value == "(":
            i += 1
            while i < len(toks) and not (toks[i].kind == "op" and toks[i].value == ")"):
                if toks[i].kind == "num":
                    args.append(int(toks[i].value))
                i += 1
            i += 1
        col = make_type(word, args)
        out.append("AS " + CAST_TARGET[col.type_name])
        return i

    def _table_ref(self, toks, i, out):
        """A table name after FROM / JOIN / ','; range(); time travel; default alias."""
        p = Parser(toks[i:] + [tokenize("")[-1]])
        parts = p.qname()
        if p.at_op("("):  # table-valued function
            if len(parts) == 1 and parts[0].upper() == "RANGE":
                args = self._split_args(p.balanced())
                sql = self._range(args)
                i += p.i
                out.append(sql)
                if not self._has_alias(toks, i):
                    out.append("AS " + quote_ident("range"))
                return i
            raise SqlError("UNRESOLVABLE_TABLE_VALUED_FUNCTION", "42883",
                           "Could not resolve %s to a table-valued function." % backticked(parts))
        if len(parts) == 1 and parts[0].lower() in self.ctes:
            i += p.i
            out.append(quote_ident(parts[0]))
            return i
        full = self.eng.resolve(parts, self.catalog, self.schema)
        t = self.eng.tables.get(".".join(full))
        if t is None:
            raise _err_not_found(parts)
        version = ts = None
        if p.accept("VERSION", "AS", "OF") or p.accept("FOR", "VERSION", "AS", "OF"):
            v = self.const_value([p.next()])
            if not isinstance(v, int) and not (isinstance(v, str) and v.isdigit()):
                raise syntax_error(str(v))
            version = int(v)
        elif p.accept("TIMESTAMP", "AS", "OF") or p.accept("FOR", "TIMESTAMP", "AS", "OF") or \
                p.accept("FOR", "SYSTEM_TIME", "AS", "OF"):
            v = self.const_value([p.next()])
            ts = parse_ts_ms(v)
        if (version is not None or ts is not None) and t.is_view:
            raise SqlError("UNSUPPORTED_FEATURE.TIME_TRAVEL", "0A000",
                           "The feature is not supported: Time travel on the relation: %s."
                           % backticked(t.parts()))
        if version is not None or ts is not None:
            sq = self.eng.version_table(t, version, ts)
        else:
            sq = t.sq
        self.tables_read.append(t)
        i += p.i
        out.append(quote_ident(sq))
        if not self._has_alias(toks, i):
            out.append("AS " + quote_ident(parts[-1]))
        return i

    tables_read = None

    @staticmethod
    def _has_alias(toks, i):
        if i >= len(toks):
            return False
        t = toks[i]
        if t.kind == "qident":
            return True
        return t.kind == "ident" and t.value not in _NOT_ALIAS or t.is_kw("AS")

    @staticmethod
    def _split_args(toks):
        args, cur, depth = [], [], 0
        for t in toks:
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                depth -= 1
            if depth == 0 and t.kind == "op" and t.value == ",":
                args.append(cur)
                cur = []
                continue
            cur.append(t)
        if cur:
            args.append(cur)
        return args

    def _range(self, args):
        vals = []
        for a in args:
            v = self.const_value(a)
            if not isinstance(v, int) or isinstance(v, bool):
                raise SqlError("DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "42K09",
                               "Cannot resolve range(): the arguments must be integers.")
            vals.append(v)
        if len(vals) == 1:
            start, end, step = 0, vals[0], 1
        elif len(vals) == 2:
            start, end, step = vals[0], vals[1], 1
        elif len(vals) in (3, 4):
            start, end, step = vals[:3]
        else:
            raise SqlError("WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605",
                           "The `range` requires [1, 2, 3, 4] parameters but the actual number "
                           "is %d." % len(vals))
        if step == 0:
            raise SqlError("FAILED_FUNCTION_CALL", "38000", "range(): step must not be 0.")
        count = max(0, -(-(end - start) // step)) if step > 0 else max(0, -(-(start - end) // -step))
        if count > RANGE_MAX:
            raise _unsupported("range() of more than %d rows" % RANGE_MAX)
        self.nrange += 1
        r = "__range%d" % self.nrange
        cmp = "<" if step > 0 else ">"
        return ("(WITH RECURSIVE %s(id) AS (SELECT %d UNION ALL SELECT id + %d FROM %s "
                "WHERE id + %d %s %d) SELECT id AS id FROM %s WHERE id %s %d)"
                % (r, start, step, r, step, cmp, end, r, cmp, end))

    # ---- running sqlite ----------------------------------------------------------------------
    def run(self, sql, binds=None):
        self.eng.udf_error = None
        try:
            if binds is None:
                return self.db.execute(*self.positional(sql))
            return self.db.execute(sql, binds)
        except sqlite3.Error as e:
            if self.eng.udf_error is not None:
                raise self.eng.udf_error
            raise map_sqlite_error(e, sql)

    def query_result(self, sql, hints=None):
        """Materializes a translated query into a result table; returns Result."""
        from .sql_engine import Result
        name = self.eng.tmp_name("__res")
        view = self.eng.tmp_name("__types")
        cols = None
        try:
            # The view is only read for the declared types of its columns (a view cannot hold
            # parameters: markers become NULL there; values are bound below, never inlined).
            vsql = self.positional(sql, null=True)[0]
            self.db.execute("CREATE TEMP VIEW %s AS %s" % (quote_ident(view), vsql))
            info = self.db.execute("PRAGMA table_info(%s)" % quote_ident(view)).fetchall()
            cols = []
            for row in info:
                c = col_from_decl(row[2]) or Col("", "")
                c.name = row[1]
                cols.append(c)
        except sqlite3.Error:
            cols = None
        finally:
            try:
                self.db.execute("DROP VIEW IF EXISTS %s" % quote_ident(view))
            except sqlite3.Error:
                pass
        self.run("CREATE TABLE %s AS %s" % (quote_ident(name), sql))
        info = self.db.execute("PRAGMA table_info(%s)" % quote_ident(name)).fetchall()
        if cols is None or len(cols) != len(info):
            cols = [Col(r[1], "") for r in info]
        sqnames = [r[1] for r in info]
        shown = sqnames
        if any(":" in n for n in sqnames):
            # sqlite renamed duplicate column names (id, id:1); Databricks shows them as written
            try:
                cur = self.db.execute(*self.positional(sql))
                shown = [d[0] for d in cur.description]
                cur.close()
            except sqlite3.Error:
                pass
        for k, (c, r) in enumerate(zip(cols, info)):
            c.name = shown[k] if len(shown) == len(info) else r[1]
            if hints and k in hints and hints[k] is not None:
                h = hints[k]
                c.type_name, c.precision, c.scale = h.type_name, h.precision, h.scale
                c.sub = h.sub
            if not c.type_name:
                row = self.db.execute("SELECT typeof(%s) FROM %s WHERE %s IS NOT NULL LIMIT 1" % (
                    quote_ident(r[1]), quote_ident(name), quote_ident(r[1]))).fetchone()
                c.type_name = infer_col(row[0] if row else None).type_name
        return Result(cols, name, sqnames)

    def rows_result(self, cols, rows):
        from .sql_engine import Result
        name = self.eng.tmp_name("__res")
        self.db.execute("CREATE TABLE %s (%s)" % (quote_ident(name), ", ".join(
            "%s %s" % (quote_ident(c.name), c.sqlite_decl()) for c in cols)))
        if rows:
            self.db.executemany("INSERT INTO %s VALUES (%s)" % (
                quote_ident(name), ", ".join("?" * len(cols))), rows)
        return Result(cols, name)

    def empty_result(self):
        from .sql_engine import Result
        return Result([], None)

    # ---- statements --------------------------------------------------------------------------
    def execute(self, sql):
        self.sql_text = sql
        toks = split_statements(tokenize(sql))
        self.tables_read = []
        p = Parser(toks)
        t = p.peek()
        if t.is_kw("SELECT", "WITH", "VALUES", "TABLE") or (t.kind == "op" and t.value == "("):
            return self.select(p)
        if t.kind != "ident":
            raise syntax_error(t.text)
        fn = getattr(self, "st_" + t.value.lower(), None)
        if fn is None:
            raise syntax_error(t.text)
        p.next()
        return fn(p)

    def select(self, p):
        toks = p.rest()
        if toks and toks[0].is_kw("TABLE"):
            toks = [tokenize("SELECT")[0], tokenize("*")[0], tokenize("FROM")[0]] + toks[1:]
        self._scan_ctes(toks)
        self.scope = self._scan_scope(toks)
        toks = self._name_struct_items(toks)
        hints = self._select_hints(toks)
        return self.query_result(self.translate(toks), hints)

    _ITEM_END = ("FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT",
                 "INTERSECT", "MINUS")

    def _name_struct_items(self, toks):
        """A select item that is a bare struct field path (`window.start`) is named after its
        last field (`start`), as in Spark (every SELECT of the statement: CTEs, subqueries)."""
        if not self.scope[1]:
            return toks
        out, k, n = [], 0, len(toks)
        while k < n:
            t = toks[k]
            out.append(t)
            k += 1
            if not t.is_kw("SELECT"):
                continue
            if k < n and toks[k].is_kw("DISTINCT", "ALL"):
                out.append(toks[k])
                k += 1
            depth, start = 0, k
            while k <= n:
                x = toks[k] if k < n else None
                if x is not None and x.kind == "op" and x.value == "(":
                    depth += 1
                elif x is not None and x.kind == "op" and x.value == ")" and depth > 0:
                    depth -= 1
                elif depth == 0 and (x is None or (x.kind == "op" and x.value in (",", ")")) or
                                     x.is_kw(*self._ITEM_END)):
                    item = toks[start:k]
                    if item and item[0].kind in ("ident", "qident"):
                        j, names = self._chain(item, 0)
                        if j == len(item) and len(names) >= 2 and self._struct_path(names) is not None:
                            item = item + [tokenize("AS")[0], tokenize(quote_bt(names[-1]))[0]]
                    out.extend(item)
                    if x is not None and x.kind == "op" and x.value == ",":
                        out.append(x)
                        k += 1
                        start = k
                        continue
                    break
                k += 1
        return out

    def _select_hints(self, toks):
        """Types of top-level select items written as CAST(... AS T) [AS alias]."""
        if not toks or not toks[0].is_kw("SELECT"):
            return None
        hints, k, depth, item, cur = {}, 1, 0, 0, []
        while k < len(toks):
            t = toks[k]
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                depth -= 1
            if depth == 0 and (t.is_kw("FROM") or (t.kind == "op" and t.value == ",")):
                hints[item] = self._cast_hint(cur)
                item += 1
                cur = []
                if t.is_kw("FROM"):
                    break
            else:
                cur.append(t)
            k += 1
        else:
            hints[item] = self._cast_hint(cur)
        return hints

    def _cast_hint(self, item):
        if self.scope and self.scope[1] and item and item[0].kind in ("ident", "qident"):
            j, names = self._chain(item, 0)
            tail = item[j:]
            if len(names) >= 2 and (not tail or (len(tail) == 2 and tail[0].is_kw("AS")) or
                                    (len(tail) == 1 and tail[0].kind in ("ident", "qident"))):
                hit = self._struct_path(names)
                if hit is not None:
                    return hit[1].copy("")
        single = item and (len(item) == 1 or (len(item) == 3 and item[1].is_kw("AS")) or
                           (len(item) == 2 and item[1].kind in ("ident", "qident")))
        if single:
            t = item[0]
            if t.kind == "param":
                p = self.params.get(t.value.lower())
                return p[1] if p else None
            if t.kind == "num":
                return _literal_type(t)
            if t.kind == "str":
                return Col("", "STRING")
            if t.is_kw("TRUE", "FALSE"):
                return Col("", "BOOLEAN")
        if len(item) >= 6 and item[0].is_kw("CAST") and item[1].kind == "op" and item[1].value == "(":
            depth, j = 0, 1
            while j < len(item):
                x = item[j]
                if x.kind == "op" and x.value == "(":
                    depth += 1
                elif x.kind == "op" and x.value == ")":
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1 and x.is_kw("AS") and j + 1 < len(item):
                    args = [int(a.value) for a in item[j + 2:] if a.kind == "num"][:2] \
                        if j + 2 < len(item) and item[j + 2].kind == "op" and item[j + 2].value == "(" else []
                    try:
                        c = make_type(item[j + 1].value or "", args)
                    except SqlError:
                        return None
                    close = None
                    d2 = 1
                    for m in range(j, len(item)):
                        y = item[m]
                        if y.kind == "op" and y.value == "(":
                            d2 += 1
                        elif y.kind == "op" and y.value == ")":
                            d2 -= 1
                            if d2 == 0:
                                close = m
                                break
                    if close is None:
                        return None
                    tail = item[close + 1:]
                    if not tail or (len(tail) == 2 and tail[0].is_kw("AS")) or \
                            (len(tail) == 1 and tail[0].kind in ("ident", "qident")):
                        return c
                    return None
                j += 1
        return None

    # -- USE / SET: the statement execution API has no session across statements
    def st_use(self, p):
        p.accept("CATALOG") or p.accept("SCHEMA") or p.accept("DATABASE")
        parts = p.qname()
        p.end()
        if len(parts) == 1 and parts[0].lower() not in self.eng.catalogs and \
                "%s.%s" % (self.catalog, parts[0].lower()) not in self.eng.schemas:
            raise _err_schema([self.catalog, parts[0]])
        return self.empty_result()

    def st_set(self, p):
        toks = p.rest()
        text = " ".join(t.text for t in toks)
        key, _, val = text.partition("=")
        return self.rows_result([Col("key", "STRING"), Col("value", "STRING")],
                                [(key.replace(" ", ""), val.strip() or "<undefined>")])

    # -- CREATE
    def st_create(self, p):
        replace = p.accept("OR", "REPLACE")
        if p.accept("CATALOG"):
            return self._create_catalog(p)
        if p.accept("SCHEMA") or p.accept("DATABASE"):
            return self._create_schema(p)
        external = p.accept("EXTERNAL")
        if p.accept("VOLUME"):
            return self._create_volume(p, external)
        if p.accept("TABLE"):
            return self._create_table(p, replace)
        if p.accept("VIEW"):
            return self._create_view(p, replace)
        if p.at("TEMPORARY", "TEMP"):
            raise _unsupported("temporary views (each statement is its own session)")
        if p.at("FUNCTION", "MATERIALIZED", "STREAMING"):
            raise _unsupported("CREATE %s" % p.peek().value)
        raise syntax_error(p.peek().text or None)

    def _if_not_exists(self, p):
        return p.accept("IF", "NOT", "EXISTS")

    def _create_catalog(self, p):
        ine = self._if_not_exists(p)
        name = p.ident().lower()
        comment = None
        while p.peek().kind != "eof":
            if p.accept("COMMENT"):
                comment = p.string()
            elif p.accept("MANAGED", "LOCATION"):
                p.string()
            else:
                raise syntax_error(p.peek().text)
        try:
            self.eng.create_catalog(name, self.principal, self.now, comment=comment)
            self.eng.create_schema(name, "default", self.principal, self.now,
                                   comment="Default schema (auto-created)")
        except StoreError:
            if not ine:
                raise SqlError("CATALOG_ALREADY_EXISTS", "42P04",
                               "Cannot create catalog `%s` because it already exists. Choose a "
                               "different name, drop or replace the existing catalog, or add the "
                               "IF NOT EXISTS clause to tolerate pre-existing catalog." % name)
        return self.empty_result()

    def _create_schema(self, p):
        ine = self._if_not_exists(p)
        parts = p.qname()
        if len(parts) > 2:
            raise SqlError("REQUIRES_SINGLE_PART_NAMESPACE", "42K05",
                           "%s requires a single-part namespace." % backticked(parts))
        cat = parts[0].lower() if len(parts) == 2 else self.catalog
        name = parts[-1].lower()
        comment = None
        while p.peek().kind != "eof":
            if p.accept("COMMENT"):
                comment = p.string()
            elif p.accept("MANAGED", "LOCATION") or p.accept("LOCATION"):
                p.string()
            elif p.accept("WITH", "DBPROPERTIES") or p.accept("DBPROPERTIES"):
                p.options()
            else:
                raise syntax_error(p.peek().text)
        try:
            self.eng.create_schema(cat, name, self.principal, self.now, comment=comment)
        except StoreError as e:
            if e.kind == "not_found":
                raise _err_catalog(cat)
            if not ine:
                raise SqlError("SCHEMA_ALREADY_EXISTS", "42P06",
                               "Cannot create schema %s because it already exists. Choose a "
                               "different name, drop the existing schema, or add the IF NOT "
                               "EXISTS clause to tolerate pre-existing schema."
                               % backticked([cat, name]))
        return self.empty_result()

    def _create_volume(self, p, external):
        ine = self._if_not_exists(p)
        parts = p.qname()
        full = self.eng.resolve(parts, self.catalog, self.schema)
        comment = location = None
        while p.peek().kind != "eof":
            if p.accept("COMMENT"):
                comment = p.string()
            elif p.accept("LOCATION"):
                location = p.string()
            else:
                raise syntax_error(p.peek().text)
        if external and not location:
            raise syntax_error(None)
        try:
            self.eng.create_volume(full[0], full[1], full[2], self.principal, self.now,
                                   "EXTERNAL" if external else "MANAGED", location, comment)
        except StoreError as e:
            if e.kind == "not_found":
                raise _err_catalog(full[0]) if e.what == "catalog" else _err_schema(full[:2])
            if not ine:
                # (unclear: the real error class for a duplicate volume)
                raise SqlError("RESOURCE_ALREADY_EXISTS", "42000",
                               "Volume %s already exists." % backticked(full))
        return self.empty_result()

    def _create_view(self, p, replace):
        ine = self._if_not_exists(p)
        parts = p.qname()
        full = self.eng.resolve(parts, self.catalog, self.schema)
        names, comments, comment, props = None, {}, None, {}
        if p.at_op("("):
            cp = Parser(p.balanced() + [tokenize("")[-1]])
            names = []
            while cp.peek().kind != "eof":
                names.append(cp.ident())
                if cp.accept("COMMENT"):
                    comments[len(names) - 1] = cp.string()
                if not cp.accept_op(","):
                    break
            cp.end()
        while not p.at("AS"):
            if p.accept("COMMENT"):
                comment = p.string()
            elif p.accept("TBLPROPERTIES"):
                props = p.options()
            else:
                raise syntax_error(p.peek().text or None)
        p.expect("AS")
        query = p.rest()
        if not query:
            raise syntax_error(None)
        if any(x.kind == "param" for x in query):
            raise SqlError("UNSUPPORTED_FEATURE.PARAMETER_MARKER_IN_UNEXPECTED_STATEMENT", "0A000",
                           "The feature is not supported: Parameter markers are not allowed in "
                           "the query of a view.")
        try:
            self.eng.need_schema(full[0], full[1])
        except StoreError as e:
            raise _err_catalog(full[0]) if e.what == "catalog" else _err_schema(full[:2])
        key = ".".join(full)
        old = self.eng.tables.get(key)
        if old is not None or key in self.eng.volumes:
            if old is not None and not old.is_view and replace:
                raise SqlError("EXPECT_VIEW_NOT_TABLE.NO_ALTERNATIVE", "42809",
                               "The statement expects a view but %s is a table." % backticked(full))
            if not replace:
                if ine:
                    return self.empty_result()
                raise SqlError("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07",
                               "Cannot create view %s because it already exists. Choose a "
                               "different name, drop or replace the existing object, or add the "
                               "IF NOT EXISTS clause to tolerate pre-existing objects."
                               % backticked(full))
        sql = self.translate(query)
        from .sql_engine import Table
        t = Table(self.eng, full[0], full[1], full[2], [], self.principal, self.now)
        t.is_view = True
        t.view_definition = self.sql_text[query[0].pos:].rstrip().rstrip(";").rstrip()
        t.comment, t.properties = comment, props
        cols = "(%s)" % ", ".join(quote_ident(n) for n in names) if names else ""
        self.run("CREATE VIEW %s%s AS %s" % (quote_ident(t.sq), cols, sql), {})
        info = self.db.execute("PRAGMA table_info(%s)" % quote_ident(t.sq)).fetchall()
        if names is not None and len(names) != len(info):
            raise SqlError("CREATE_VIEW_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS", "21S01",
                           "Cannot create view %s: the column list and the query differ in their "
                           "number of columns." % backticked(full))
        for k, r in enumerate(info):
            c = col_from_decl(r[2]) or Col("", "")
            c.name = r[1]
            if not c.type_name:
                row = self.db.execute("SELECT typeof(%s) FROM %s WHERE %s IS NOT NULL LIMIT 1" % (
                    quote_ident(r[1]), quote_ident(t.sq), quote_ident(r[1]))).fetchone()
                c.type_name = infer_col(row[0] if row else None).type_name
            c.comment = comments.get(k)
            t.cols.append(c)
        if old is not None:
            self.eng.drop_table(old)
            t.created_at, t.created_by = old.created_at, old.created_by
        self.eng.tables[key] = t
        return self.empty_result()

    def _parse_columns(self, toks):
        p = Parser(toks + [tokenize("")[-1]])
        cols = []
        while True:
            if p.at("CONSTRAINT", "PRIMARY", "FOREIGN", "CHECK", "UNIQUE"):
                raise _unsupported("table constraints")
            name = p.ident()
            word = p.next()
            if word.kind != "ident":
                raise syntax_error(word.text or None)
            args = []
            if p.at_op("("):
                for a in p.balanced():
                    if a.kind == "num":
                        args.append(int(a.value))
                    elif not (a.kind == "op" and a.value == ","):
                        raise syntax_error(a.text)
            if p.at_op("<"):
                raise _unsupported("complex types (ARRAY, MAP, STRUCT)")
            c = make_type(word.value, args if word.value in ("DECIMAL", "DEC", "NUMERIC") else [],
                          word.text)
            c.name = name
            while True:
                if p.accept("NOT", "NULL"):
                    c.nullable = False
                elif p.accept("NULL"):
                    pass
                elif p.accept("COMMENT"):
                    c.comment = p.string()
                elif p.at("DEFAULT", "GENERATED"):
                    raise _unsupported("column defaults and generated columns")
                else:
                    break
            cols.append(c)
            if not p.accept_op(","):
                break
        p.end()
        return cols

    def _create_table(self, p, replace):
        ine = self._if_not_exists(p)
        parts = p.qname()
        full = self.eng.resolve(parts, self.catalog, self.schema)
        cols = None
        if p.at_op("("):
            cols = self._parse_columns(p.balanced())
        fmt, comment, props, location, query = "DELTA", None, {}, None, None
        while p.peek().kind != "eof":
            if p.accept("USING"):
                fmt = p.ident().upper()
                if fmt not in ("DELTA",):
                    raise _unsupported("tables USING %s (only DELTA)" % fmt)
            elif p.accept("COMMENT"):
                comment = p.string()
            elif p.accept("TBLPROPERTIES"):
                props = p.options()
            elif p.accept("LOCATION"):
                location = p.string()
            elif p.accept("PARTITIONED", "BY") or p.accept("CLUSTER", "BY"):
                p.balanced()
            elif p.accept("AS"):
                query = p.rest()
            else:
                raise syntax_error(p.peek().text)
        try:
            self.eng.need_schema(full[0], full[1])
        except StoreError as e:
            raise _err_catalog(full[0]) if e.what == "catalog" else _err_schema(full[:2])
        key = ".".join(full)
        old = self.eng.tables.get(key)
        if key in self.eng.volumes:
            old = True
        if old is not None and not replace:
            if ine:
                return self.empty_result()
            raise SqlError("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07",
                           "Cannot create table or view %s because it already exists. Choose a "
                           "different name, drop the existing object, add the IF NOT EXISTS clause "
                           "to tolerate pre-existing objects, add the OR REPLACE clause to replace "
                           "the existing materialized view, or add the OR REFRESH clause to "
                           "refresh the existing streaming table." % backticked(full))
        res = None
        if query is not None:
            res = self.select(Parser(query + [tokenize("")[-1]]))
            qcols = [Col(c.name, c.type_name if c.type_name != "NULL" else "STRING", c.precision,
                         c.scale) for c in res.cols]
            if cols is not None:
                if len(cols) != len(qcols):
                    raise SqlError("INSERT_COLUMN_ARITY_MISMATCH", "21S01",
                                   "Cannot write to %s: the column list and the query differ in "
                                   "their number of columns." % backticked(full))
            else:
                cols = qcols
        if not cols:
            raise SqlError("PARSE_SYNTAX_ERROR", "42601", "Syntax error: a table needs columns.")
        op = "CREATE TABLE" if query is None else "CREATE TABLE AS SELECT"
        if old is not None and isinstance(old, type(self.eng.tables.get(key))) and old is not True:
            t = old
            op = ("CREATE OR REPLACE TABLE" if query is None else "CREATE OR REPLACE TABLE AS SELECT")
            self.eng.before_write(t, self.now)
            self.db.execute("DROP TABLE %s" % quote_ident(t.sq))
            self.db.execute(self.eng.ddl(t.sq, cols))
            self.eng.triggers(t.sq, cols)
            t.cols = cols
            t.comment = comment
            t.properties = props
            self.eng.commit(t, op, {"isManaged": "true", "description": comment,
                                    "partitionBy": "[]", "properties": json.dumps(props)}, {}, self.now)
        elif old is True:
            raise SqlError("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07",
                           "Cannot create table or view %s because it already exists."
                           % backticked(full))
        else:
            t = self.eng.new_table(full[0], full[1], full[2], cols, self.principal, self.now,
                                   comment=comment, properties=props, location=location,
                                   operation=op)
        if res is not None:
            cur = self.run("INSERT INTO %s SELECT * FROM %s" % (quote_ident(t.sq), quote_ident(res.table)), {})
            self.db.execute("DROP TABLE %s" % quote_ident(res.table))
            n = cur.rowcount
            t.versions[-1]["operationMetrics"] = {"numFiles": "1", "numOutputRows": str(n),
                                                  "numOutputBytes": str(n * 16 * len(cols))}
            t.files = 1
            return self.rows_result([Col("num_affected_rows", "LONG"),
                                     Col("num_inserted_rows", "LONG")], [(n, n)])
        return self.empty_result()

    # -- DROP
    def st_drop(self, p):
        if p.accept("TABLE"):
            ie = p.accept("IF", "EXISTS")
            parts = p.qname()
            p.accept("PURGE")
            p.end()
            full = self.eng.resolve(parts, self.catalog, self.schema)
            t = self.eng.tables.get(".".join(full))
            if t is None:
                if ie:
                    return self.empty_result()
                raise _err_not_found(parts)
            if t.is_view:
                raise SqlError("WRONG_COMMAND_FOR_OBJECT_TYPE", "42809",
                               "The operation DROP TABLE requires a TABLE. But %s is a view. Use "
                               "DROP VIEW instead." % backticked(t.parts()))
            self.eng.drop_table(t)
            return self.empty_result()
        if p.accept("SCHEMA") or p.accept("DATABASE"):
            ie = p.accept("IF", "EXISTS")
            parts = p.qname()
            cascade = p.accept("CASCADE")
            p.accept("RESTRICT")
            p.end()
            full = (parts[0].lower() + "." + parts[1].lower()) if len(parts) == 2 else \
                self.catalog + "." + parts[0].lower()
            try:
                self.eng.delete_schema(full, cascade)
            except StoreError as e:
                if e.kind == "not_found":
                    if ie:
                        return self.empty_result()
                    raise _err_schema(full.split("."))
                raise SqlError("SCHEMA_NOT_EMPTY", "2BP01",
                               "Cannot drop a schema %s because it contains objects. Use DROP "
                               "SCHEMA ... CASCADE to drop the schema and all its objects."
                               % backticked(full.split(".")))
            return self.empty_result()
        if p.accept("CATALOG"):
            ie = p.accept("IF", "EXISTS")
            name = p.ident().lower()
            cascade = p.accept("CASCADE")
            p.accept("RESTRICT")
            p.end()
            try:
                self.eng.delete_catalog(name, cascade)
            except StoreError as e:
                if e.kind == "not_found":
                    if ie:
                        return self.empty_result()
                    raise _err_catalog(name)
                raise SqlError("CATALOG_NOT_EMPTY", "2BP01",
                               "Cannot drop a catalog `%s` because it contains objects. Use DROP "
                               "CATALOG ... CASCADE." % name)
            return self.empty_result()
        if p.accept("VOLUME"):
            ie = p.accept("IF", "EXISTS")
            parts = p.qname()
            p.end()
            full = ".".join(self.eng.resolve(parts, self.catalog, self.schema))
            if self.eng.volumes.pop(full, None) is None and not ie:
                raise SqlError("VOLUME_NOT_FOUND", "42704",
                               "Volume %s cannot be found." % backticked(parts))
            return self.empty_result()
        if p.accept("VIEW"):
            ie = p.accept("IF", "EXISTS")
            parts = p.qname()
            p.end()
            t = self.eng.tables.get(".".join(self.eng.resolve(parts, self.catalog, self.schema)))
            if t is None:
                if ie:
                    return self.empty_result()
                raise _err_not_found(parts)
            if not t.is_view:
                raise SqlError("WRONG_COMMAND_FOR_OBJECT_TYPE", "42809",
                               "The operation DROP VIEW requires a VIEW. But %s is a table. Use "
                               "DROP TABLE instead." % backticked(t.parts()))
            self.eng.drop_table(t)
            return self.empty_result()
        if p.at("FUNCTION"):
            raise _unsupported("DROP %s" % p.peek().value)
        raise syntax_error(p.peek().text or None)

    # -- writes
    def _target(self, p, view_ok=False):
        parts = p.qname()
        full = self.eng.resolve(parts, self.catalog, self.schema)
        t = self.eng.tables.get(".".join(full))
        if t is None:
            raise _err_not_found(parts)
        if t.is_view and not view_ok:
            raise SqlError("EXPECT_TABLE_NOT_VIEW.NO_ALTERNATIVE", "42809",
                           "The statement expects a table but %s is a view." % backticked(t.parts()))
        return t, parts

    def _col_names(self, t, toks):
        names = []
        p = Parser(toks + [tokenize("")[-1]])
        while True:
            n = p.ident()
            c = self._find_col(t, n)
            names.append(c.name)
            if not p.accept_op(","):
                break
        p.end()
        return names

    @staticmethod
    def _find_col(t, name):
        for c in t.cols:
            if c.name.lower() == name.lower():
                return c
        raise SqlError("UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703",
                       "A column, variable, or function parameter with name `%s` cannot be "
                       "resolved. Did you mean one of the following? [%s]." % (
                           name, ", ".join("`%s`" % c.name for c in t.cols)))

    def st_insert(self, p):
        overwrite = False
        if p.accept("OVERWRITE"):
            overwrite = True
        else:
            p.expect("INTO")
        p.accept("TABLE")
        t, parts = self._target(p)
        names = None
        if p.at_op("(") and not (p.peek(1).is_kw("SELECT", "WITH", "VALUES")):
            names = self._col_names(t, p.balanced())
        if p.at("BY", "NAME"):
            raise _unsupported("INSERT ... BY NAME")
        body = p.rest()
        if not body:
            raise syntax_error(None)
        sel = self.translate(body)
        self.eng.before_write(t, self.now)
        if overwrite:
            self.run("DELETE FROM %s" % quote_ident(t.sq), {})
        cols = "(%s)" % ", ".join(quote_ident(n) for n in names) if names else ""
        cur = self.run("INSERT INTO %s %s %s" % (quote_ident(t.sq), cols, sel))
        n = cur.rowcount
        self.eng.commit(t, "WRITE", {"mode": "Overwrite" if overwrite else "Append",
                                     "statsOnLoad": "false", "partitionBy": "[]"},
                        {"numFiles": "1", "numOutputRows": n, "numOutputBytes": n * 16 * len(t.cols)},
                        self.now)
        return self.rows_result([Col("num_affected_rows", "LONG"), Col("num_inserted_rows", "LONG")],
                                [(n, n)])

    def st_update(self, p):
        t, parts = self._target(p)
        alias = parts[-1]
        if p.accept("AS") or (p.peek().kind in ("ident", "qident") and not p.at("SET")):
            alias = p.ident()
        p.expect("SET")
        sets = p.until(("WHERE",))
        where = p.rest()[1:] if p.at("WHERE") else []
        sql = "UPDATE %s AS %s SET %s" % (quote_ident(t.sq), quote_ident(alias), self.translate(sets))
        if where:
            sql += " WHERE " + self.translate(where)
        self.eng.before_write(t, self.now)
        n = self.run(sql).rowcount
        self.eng.commit(t, "UPDATE", {"predicate": json.dumps([" ".join(x.text for x in where)])},
                        {"numUpdatedRows": n, "numAddedFiles": 1, "numRemovedFiles": 1}, self.now,
                        files=1 if n else 0)
        return self.rows_result([Col("num_affected_rows", "LONG")], [(n,)])

    def st_delete(self, p):
        p.expect("FROM")
        t, parts = self._target(p)
        alias = parts[-1]
        if p.accept("AS") or (p.peek().kind in ("ident", "qident") and not p.at("WHERE")):
            alias = p.ident()
        where = []
        if p.accept("WHERE"):
            where = p.rest()
        p.end()
        sql = "DELETE FROM %s AS %s" % (quote_ident(t.sq), quote_ident(alias))
        if where:
            sql += " WHERE " + self.translate(where)
        self.eng.before_write(t, self.now)
        n = self.run(sql).rowcount
        self.eng.commit(t, "DELETE", {"predicate": json.dumps([" ".join(x.text for x in where)])},
                        {"numDeletedRows": n, "numRemovedFiles": 1 if n else 0}, self.now,
                        files=0)
        return self.rows_result([Col("num_affected_rows", "LONG")], [(n,)])

    def st_truncate(self, p):
        p.expect("TABLE")
        t, parts = self._target(p)
        p.end()
        self.eng.before_write(t, self.now)
        n = self.run("DELETE FROM %s" % quote_ident(t.sq), {}).rowcount
        self.eng.commit(t, "TRUNCATE", {}, {"numRemovedFiles": 1 if n else 0}, self.now, files=0)
        return self.empty_result()

    def st_merge(self, p):
        p.expect("INTO")
        t, parts = self._target(p)
        talias = parts[-1]
        if p.accept("AS") or (p.peek().kind in ("ident", "qident") and not p.at("USING")):
            talias = p.ident()
        p.expect("USING")
        if p.at_op("(") or p.at("VALUES"):
            out = []
            j = self._derived_with_columns(p.t, p.i, out)
            if j is not None:  # (VALUES ...) AS s(a, b): already aliased
                p.i = j
                src_sql, _, alias = out[0].rpartition(" AS ")
                salias = alias[1:-1].replace('""', '"')
            else:
                src_sql = "(%s)" % self.translate(p.balanced())
                salias = "__source"
        else:
            salias = Parser(p.t[p.i:]).qname()[-1]
            out = []
            p.i = self._table_ref(p.t, p.i, out)
            src_sql = out[0]
        if p.accept("AS") or (p.peek().kind in ("ident", "qident") and not p.at("ON")):
            salias = p.ident()
        p.expect("ON")
        on = self.translate(p.until(("WHEN",)))
        clauses = []
        while p.accept("WHEN"):
            if p.accept("MATCHED"):
                kind = "matched"
            elif p.accept("NOT", "MATCHED"):
                kind = "not_matched"
                if p.accept("BY", "SOURCE"):
                    kind = "not_matched_by_source"
                else:
                    p.accept("BY", "TARGET")
            else:
                raise syntax_error(p.peek().text or None)
            cond = None
            if p.accept("AND"):
                cond = self.translate(p.until(("THEN",)))
            p.expect("THEN")
            if p.accept("UPDATE", "SET"):
                if p.accept_op("*"):
                    action = ("update", [(c.name, "%s.%s" % (quote_ident(salias), quote_ident(c.name)))
                                         for c in t.cols])
                else:
                    sets = []
                    toks = p.until(("WHEN",))
                    for a in self._split_args(toks):
                        ap = Parser(a + [tokenize("")[-1]])
                        cname = ap.qname()[-1]
                        ap.expect_op("=")
                        sets.append((self._find_col(t, cname).name, self.translate(ap.rest())))
                    action = ("update", sets)
            elif p.accept("DELETE"):
                action = ("delete", None)
            elif p.accept("INSERT"):
                if p.accept_op("*"):
                    action = ("insert", ([c.name for c in t.cols],
                                         ["%s.%s" % (quote_ident(salias), quote_ident(c.name)) for c in t.cols]))
                else:
                    names = self._col_names(t, p.balanced())
                    p.expect("VALUES")
                    vals = [self.translate(a) for a in self._split_args(p.balanced())]
                    if len(vals) != len(names):
                        raise SqlError("INSERT_COLUMN_ARITY_MISMATCH", "21S01",
                                       "MERGE INSERT: %d columns but %d values." % (len(names), len(vals)))
                    action = ("insert", (names, vals))
            else:
                raise syntax_error(p.peek().text or None)
            if (kind == "not_matched") != (action[0] == "insert"):
                raise syntax_error("THEN")
            clauses.append((kind, cond, action))
        p.end()
        if not clauses:
            raise syntax_error(None)
        return self._merge(t, talias, src_sql, salias, on, clauses)

    def _merge(self, t, talias, src_sql, salias, on, clauses):
        e = self.eng
        src, m, nm, nms = (e.tmp_name("__msrc"), e.tmp_name("__mm"), e.tmp_name("__mnm"),
                           e.tmp_name("__mnms"))
        T, S = quote_ident(t.sq), quote_ident(src)
        ta, sa = quote_ident(talias), quote_ident(salias)
        try:
            self.run("CREATE TEMP TABLE %s AS SELECT * FROM %s AS %s" % (S, src_sql, sa))
            self.run("CREATE TEMP TABLE %s AS SELECT %s.rowid AS trid, %s.rowid AS srid, 0 AS act "
                     "FROM %s AS %s JOIN %s AS %s ON %s" % (quote_ident(m), ta, sa, T, ta, S, sa, on))
            if any(k == "matched" for k, _, _ in clauses):
                dup = self.db.execute("SELECT 1 FROM %s GROUP BY trid HAVING count(*) > 1 LIMIT 1"
                                      % quote_ident(m)).fetchone()
                if dup:
                    raise SqlError("DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE", "21506",
                                   "Cannot perform Merge as multiple source rows matched and "
                                   "attempted to modify the same target row in the Delta table in "
                                   "possibly conflicting ways.")
            self.run("CREATE TEMP TABLE %s AS SELECT rowid AS srid, 0 AS act FROM %s WHERE rowid "
                     "NOT IN (SELECT srid FROM %s)" % (quote_ident(nm), S, quote_ident(m)), {})
            self.run("CREATE TEMP TABLE %s AS SELECT rowid AS trid, 0 AS act FROM %s WHERE rowid "
                     "NOT IN (SELECT trid FROM %s)" % (quote_ident(nms), T, quote_ident(m)), {})
            # 1. which clause applies to each row (first match wins, on the data before the merge)
            for k, (kind, cond, action) in enumerate(clauses, 1):
                if kind == "matched":
                    tb = quote_ident(m)
                    test = ("EXISTS (SELECT 1 FROM %s AS %s, %s AS %s WHERE %s.rowid = %s.trid AND "
                            "%s.rowid = %s.srid AND (%s))" % (T, ta, S, sa, ta, tb, sa, tb, cond)) if cond else "1"
                elif kind == "not_matched":
                    tb = quote_ident(nm)
                    test = ("EXISTS (SELECT 1 FROM %s AS %s WHERE %s.rowid = %s.srid AND (%s))"
                            % (S, sa, sa, tb, cond)) if cond else "1"
                else:
                    tb = quote_ident(nms)
                    test = ("EXISTS (SELECT 1 FROM %s AS %s WHERE %s.rowid = %s.trid AND (%s))"
                            % (T, ta, ta, tb, cond)) if cond else "1"
                self.run("UPDATE %s SET act = %d WHERE act = 0 AND %s" % (tb, k, test))
            e.before_write(t, self.now)
            upd = dele = ins = 0
            # 2. the actions
            for k, (kind, cond, action) in enumerate(clauses, 1):
                if kind == "matched" and action[0] == "update":
                    sets = ", ".join("%s = %s" % (quote_ident(c), v) for c, v in action[1])
                    upd += self.run("UPDATE %s AS %s SET %s FROM (SELECT rowid AS __srid, * FROM %s) "
                                    "AS %s, %s AS mm WHERE mm.trid = %s.rowid AND mm.srid = %s.__srid "
                                    "AND mm.act = %d" % (
                                        T, ta, sets, S, sa, quote_ident(m), ta, sa, k)).rowcount
                elif kind == "matched":
                    dele += self.run("DELETE FROM %s WHERE rowid IN (SELECT trid FROM %s WHERE act = %d)"
                                     % (T, quote_ident(m), k), {}).rowcount
                elif kind == "not_matched":
                    names, vals = action[1]
                    ins += self.run("INSERT INTO %s (%s) SELECT %s FROM %s AS %s WHERE %s.rowid IN "
                                    "(SELECT srid FROM %s WHERE act = %d)" % (
                                        T, ", ".join(quote_ident(n) for n in names), ", ".join(vals),
                                        S, sa, sa, quote_ident(nm), k)).rowcount
                elif action[0] == "update":
                    sets = ", ".join("%s = %s" % (quote_ident(c), v) for c, v in action[1])
                    upd += self.run("UPDATE %s AS %s SET %s WHERE %s.rowid IN (SELECT trid FROM %s "
                                    "WHERE act = %d)" % (T, ta, sets, ta, quote_ident(nms), k)).rowcount
                else:
                    dele += self.run("DELETE FROM %s WHERE rowid IN (SELECT trid FROM %s WHERE act = %d)"
                                     % (T, quote_ident(nms), k), {}).rowcount
            nsrc = self.db.execute("SELECT count(*) FROM %s" % S).fetchone()[0]
        finally:
            for x in (src, m, nm, nms):
                self.db.execute("DROP TABLE IF EXISTS temp.%s" % quote_ident(x))
        self.eng.commit(t, "MERGE", {"predicate": json.dumps([on]), "matchedPredicates": json.dumps(
            [{"actionType": a[0]} for k, _, a in clauses if k == "matched"]),
            "notMatchedPredicates": json.dumps(
            [{"actionType": a[0]} for k, _, a in clauses if k == "not_matched"])},
            {"numSourceRows": nsrc, "numTargetRowsInserted": ins, "numTargetRowsUpdated": upd,
             "numTargetRowsDeleted": dele, "numOutputRows": ins + upd}, self.now,
            files=1 if (ins or upd) else 0)
        return self.rows_result([Col("num_affected_rows", "LONG"), Col("num_updated_rows", "LONG"),
                                 Col("num_deleted_rows", "LONG"), Col("num_inserted_rows", "LONG")],
                                [(upd + dele + ins, upd, dele, ins)])

    # -- COPY INTO
    def st_copy(self, p):
        p.expect("INTO")
        t, parts = self._target(p)
        p.expect("FROM")
        if p.at_op("("):
            raise _unsupported("COPY INTO ... FROM (SELECT ...)")
        tok = p.next()
        if tok.kind == "str":
            path = tok.value
        elif tok.kind == "param":
            self.bind(tok)
            path = self.params[tok.value.lower()][0]
        else:
            raise syntax_error(tok.text or None)
        fmt, fopts, copts, files, pattern = None, {}, {}, None, None
        while p.peek().kind != "eof":
            if p.accept("FILEFORMAT"):
                p.expect_op("=")
                fmt = p.ident().upper()
            elif p.accept("FORMAT_OPTIONS"):
                fopts = p.options()
            elif p.accept("COPY_OPTIONS"):
                copts = p.options()
            elif p.accept("FILES"):
                p.expect_op("=")
                files = [x.value for x in p.balanced() if x.kind == "str"]
            elif p.accept("PATTERN"):
                p.expect_op("=")
                pattern = p.string()
            elif p.accept("VALIDATE"):
                raise _unsupported("COPY INTO ... VALIDATE")
            else:
                raise syntax_error(p.peek().text)
        if fmt is None:
            raise syntax_error(None)
        if fmt not in ("CSV", "JSON"):
            raise _unsupported("COPY INTO with FILEFORMAT = %s (only CSV and JSON)" % fmt)
        store = getattr(self.eng.state, "files_store", None)
        path = str(path)
        if path.startswith("dbfs:"):
            path = path[5:]
        if not path.startswith("/Volumes/") or store is None:
            raise SqlError("PATH_NOT_FOUND", "42K03", "Path does not exist: %s." % path)
        path = posixpath.normpath(path)
        if path in store.files:
            chosen = [path]
        else:
            pre = path.rstrip("/") + "/"
            chosen = sorted(k for k in store.files if k.startswith(pre))
            if not chosen and pre.rstrip("/") not in store.dirs:
                raise SqlError("PATH_NOT_FOUND", "42K03", "Path does not exist: %s." % path)
            if files is not None:
                chosen = [k for k in chosen if k[len(pre):] in files]
            if pattern is not None:
                chosen = [k for k in chosen if fnmatch.fnmatch(k[len(pre):], pattern)]
        force = copts.get("force", "false").lower() == "true"
        todo = [k for k in chosen if force or (k, store.files[k]["etag"]) not in t.copied]
        rows = []
        for k in todo:
            with open(store.files[k]["blob"], "rb") as f:
                data = f.read()
            rows.extend(self._read_file(t, data, fmt, fopts))
        n = 0
        if todo:
            self.eng.before_write(t, self.now)
            names = [c.name for c in t.cols]
            try:
                self.db.executemany("INSERT INTO %s (%s) VALUES (%s)" % (
                    quote_ident(t.sq), ", ".join(quote_ident(x) for x in names),
                    ", ".join("?" * len(names))), rows)
            except sqlite3.Error as e:
                raise map_sqlite_error(e, "")
            n = len(rows)
            for k in todo:
                t.copied.add((k, store.files[k]["etag"]))
            self.eng.commit(t, "COPY INTO", {"statsOnLoad": "false"},
                            {"numFiles": len(todo), "numOutputRows": n,
                             "numOutputBytes": sum(store.files[k]["size"] for k in todo)},
                            self.now, files=len(todo))
        return self.rows_result([Col("num_affected_rows", "LONG"), Col("num_inserted_rows", "LONG"),
                                 Col("num_skipped_corrupt_files", "LONG")], [(n, n, 0)])

    def _read_file(self, t, data, fmt, opts):
        text = data.decode("utf-8-sig", "replace")
        cols = t.cols
        out = []
        if fmt == "CSV":
            sep = opts.get("delimiter", opts.get("sep", ","))
            header = opts.get("header", "false").lower() == "true"
            null = opts.get("nullvalue", "")
            reader = csv.reader(io.StringIO(text), delimiter=sep[:1] or ",",
                                quotechar=opts.get("quote", '"')[:1] or '"')
            names = None
            for rec in reader:
                if not rec or rec == [""]:
                    continue
                if header and names is None:
                    names = [x.strip().lower() for x in rec]
                    continue
                if names is not None:
                    m = dict(zip(names, rec))
                    vals = [m.get(c.name.lower()) for c in cols]
                else:
                    vals = list(rec[:len(cols)]) + [None] * (len(cols) - len(rec))
                out.append(tuple(_coerce(v, c, null) for v, c in zip(vals, cols)))
        else:
            multi = opts.get("multiline", "false").lower() == "true"
            if multi:
                doc = json.loads(text)
                recs = doc if isinstance(doc, list) else [doc]
            else:
                recs = []
                for line in text.splitlines():
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        recs.append(json.loads(line))
                    except ValueError:
                        recs.append(None)  # PERMISSIVE: a corrupt record is all NULLs
            for r in recs:
                r = r if isinstance(r, dict) else {}
                low = {str(k).lower(): v for k, v in r.items()}
                out.append(tuple(_coerce_json(low.get(c.name.lower()), c) for c in cols))
        return out

    # -- DESCRIBE / SHOW
    def st_describe(self, p):
        if p.accept("HISTORY"):
            t, parts = self._target(p)
            limit = None
            if p.accept("LIMIT"):
                limit = self.const_value([p.next()])
            p.end()
            return self._history(t, limit)
        if p.accept("DETAIL"):
            t, parts = self._target(p)
            p.end()
            return self._detail(t)
        if p.at("CATALOG", "SCHEMA", "DATABASE", "VOLUME", "FUNCTION", "QUERY"):
            raise _unsupported("DESCRIBE %s" % p.peek().value)
        p.accept("TABLE")
        ext = p.accept("EXTENDED") or p.accept("FORMATTED")
        t, parts = self._target(p, view_ok=True)
        p.end()
        rows = [(c.name, c.uc_type_text(), c.comment) for c in t.cols]
        if ext:
            rows.append(("", "", ""))
            rows.append(("# Detailed Table Information", "", ""))
            for k, v in (("Catalog", t.catalog), ("Database", t.schema), ("Table", t.name),
                         ("Type", t.table_type), ("Location", t.storage_location),
                         ("Provider", "delta"), ("Owner", t.owner), ("Comment", t.comment)):
                if v is not None:
                    rows.append((k, v, ""))
        return self.rows_result([Col("col_name", "STRING"), Col("data_type", "STRING"),
                                 Col("comment", "STRING")], rows)

    st_desc = st_describe

    def _detail(self, t):
        """DESCRIBE DETAIL: one row about the table (Delta's columns)."""
        n = self.db.execute("SELECT count(*) FROM %s" % quote_ident(t.sq)).fetchone()[0]
        from .sql_engine import _ts_text
        props = {k: v for k, v in t.properties.items()}
        cols = [Col("format", "STRING"), Col("id", "STRING"), Col("name", "STRING"),
                Col("description", "STRING"), Col("location", "STRING"),
                Col("createdAt", "TIMESTAMP"), Col("lastModified", "TIMESTAMP"),
                Col("partitionColumns", "STRING"), Col("clusteringColumns", "STRING"),
                Col("numFiles", "LONG"), Col("sizeInBytes", "LONG"), Col("properties", "MAP"),
                Col("minReaderVersion", "INT"), Col("minWriterVersion", "INT"),
                Col("tableFeatures", "STRING"), Col("statistics", "MAP")]
        row = ("delta", t.table_id, t.full_name, t.comment, t.storage_location,
               _ts_text(t.created_at), _ts_text(t.updated_at), "[]", "[]",
               max(t.files, 1 if n else 0), n * 16 * len(t.cols),
               json.dumps(props, separators=(",", ":")), 1, 2,
               '["appendOnly","invariants"]', "{}")
        return self.rows_result(cols, [row])

    def st_alter(self, p):
        p.expect("TABLE")
        t, parts = self._target(p)
        if p.accept("ADD", "COLUMNS") or p.accept("ADD", "COLUMN") or p.accept("ADD"):
            if p.at_op("("):
                cols = self._parse_columns(p.balanced())
            else:
                cols = self._parse_columns(p.rest())
            p.end()
            for c in cols:
                if any(x.name.lower() == c.name.lower() for x in t.cols):
                    raise SqlError("FIELDS_ALREADY_EXISTS", "42710",
                                   "Cannot add column, because `%s` already exists in %s."
                                   % (c.name, backticked(t.parts())))
                if not c.nullable:
                    raise SqlError("DELTA_NOT_NULL_COLUMN_NOT_FOUND_IN_STRUCT", "42K09",
                                   "Cannot add a NOT NULL column to an existing Delta table.")
            self.eng.before_write(t, self.now)
            base = len(t.cols)
            for k, c in enumerate(cols):
                q = quote_ident(c.name)
                d = "%s %s" % (q, c.sqlite_decl())
                chk = c.check(q)
                if chk:
                    d += " CONSTRAINT %s CHECK (%s)" % (quote_ident("ck_%d" % (base + k)), chk)
                self.run("ALTER TABLE %s ADD COLUMN %s" % (quote_ident(t.sq), d), {})
            self.eng.triggers(t.sq, t.cols + cols)
            t.cols = t.cols + cols
            self.eng.commit(t, "ADD COLUMNS", {"columns": json.dumps(
                [{"column": {"name": c.name, "type": c.uc_type_text(), "nullable": True}} for c in cols])},
                {}, self.now, files=0, data_changed=False)
            return self.empty_result()
        if p.accept("SET", "TBLPROPERTIES"):
            props = p.options()
            p.end()
            t.properties.update(props)
            self.eng.commit(t, "SET TBLPROPERTIES", {"properties": json.dumps(props)}, {}, self.now,
                            files=0, data_changed=False)
            return self.empty_result()
        if p.accept("UNSET", "TBLPROPERTIES"):
            ie = p.accept("IF", "EXISTS")
            keys = [x.value if x.kind == "str" else x.text for x in p.balanced()
                    if x.kind in ("str", "ident", "qident")]
            p.end()
            for k in keys:
                if k not in t.properties and not ie:
                    raise SqlError("UNSET_NONEXISTENT_PROPERTIES", "42K0J",
                                   "Attempted to unset non-existent properties [%s] in table %s."
                                   % (k, backticked(t.parts())))
                t.properties.pop(k, None)
            self.eng.commit(t, "UNSET TBLPROPERTIES", {"properties": json.dumps(keys)}, {},
                            self.now, files=0, data_changed=False)
            return self.empty_result()
        if p.accept("RENAME", "TO"):
            new = self.eng.resolve(p.qname(), self.catalog, self.schema)
            p.end()
            if new[:2] != [t.catalog, t.schema]:
                raise _unsupported("renaming a table into another schema")
            key = ".".join(new)
            if key in self.eng.tables or key in self.eng.volumes:
                raise SqlError("TABLE_OR_VIEW_ALREADY_EXISTS", "42P07",
                               "Cannot rename table to %s because it already exists."
                               % backticked(new))
            del self.eng.tables[t.full_name]
            t.name = new[2]
            self.eng.tables[key] = t
            return self.empty_result()
        if p.accept("OWNER", "TO"):
            owner = p.ident() if p.peek().kind != "str" else p.string()
            p.end()
            t.owner = owner
            return self.empty_result()
        raise _unsupported("this ALTER TABLE form")

    def _history(self, t, limit):
        cols = [Col("version", "LONG"), Col("timestamp", "TIMESTAMP"), Col("userId", "STRING"),
                Col("userName", "STRING"), Col("operation", "STRING"),
                Col("operationParameters", "MAP"), Col("job", "STRUCT"), Col("notebook", "STRUCT"),
                Col("clusterId", "STRING"), Col("readVersion", "LONG"),
                Col("isolationLevel", "STRING"), Col("isBlindAppend", "BOOLEAN"),
                Col("operationMetrics", "MAP"), Col("userMetadata", "STRING"),
                Col("engineInfo", "STRING")]
        rows = []
        from .sql_engine import _ts_text
        for e in reversed(t.versions):
            rows.append((e["version"], _ts_text(e["timestamp"]), e["userId"], e["userName"],
                         e["operation"], json.dumps(e["operationParameters"], separators=(",", ":")),
                         None, None, None, e["readVersion"], e["isolationLevel"],
                         1 if e["isBlindAppend"] else 0,
                         json.dumps(e["operationMetrics"], separators=(",", ":")), None,
                         "Databricks-Runtime/emulator"))
        if limit is not None:
            rows = rows[:int(limit)]
        return self.rows_result(cols, rows)

    def st_show(self, p):
        if p.accept("TABLES"):
            sch = self.schema
            cat = self.catalog
            if p.accept("IN") or p.accept("FROM"):
                parts = p.qname()
                if len(parts) == 2:
                    cat, sch = parts[0].lower(), parts[1].lower()
                else:
                    sch = parts[0].lower()
            p.end()
            if "%s.%s" % (cat, sch) not in self.eng.schemas:
                raise _err_schema([cat, sch])
            rows = sorted((x.schema, x.name, 0) for x in self.eng.tables.values()
                          if x.catalog == cat and x.schema == sch)
            return self.rows_result([Col("database", "STRING"), Col("tableName", "STRING"),
                                     Col("isTemporary", "BOOLEAN")], rows)
        if p.accept("SCHEMAS") or p.accept("DATABASES"):
            cat = self.catalog
            if p.accept("IN") or p.accept("FROM"):
                cat = p.ident().lower()
            p.end()
            if cat not in self.eng.catalogs:
                raise _err_catalog(cat)
            rows = sorted((s["name"],) for s in self.eng.schemas.values() if s["catalog_name"] == cat)
            return self.rows_result([Col("databaseName", "STRING")], rows)
        if p.accept("CATALOGS"):
            p.end()
            return self.rows_result([Col("catalog", "STRING")], sorted((c,) for c in self.eng.catalogs))
        if p.accept("TBLPROPERTIES"):
            t, parts = self._target(p, view_ok=True)
            p.end()
            info = t.info()["properties"]
            return self.rows_result([Col("key", "STRING"), Col("value", "STRING")],
                                    sorted(info.items()))
        if p.accept("COLUMNS"):
            p.expect("IN") if not p.accept("FROM") else None
            t, parts = self._target(p, view_ok=True)
            p.end()
            return self.rows_result([Col("col_name", "STRING")], [(c.name,) for c in t.cols])
        if p.accept("VOLUMES"):
            p.end()
            rows = sorted((v["schema_name"], v["name"]) for v in self.eng.volumes.values()
                          if v["catalog_name"] == self.catalog and v["schema_name"] == self.schema)
            return self.rows_result([Col("database", "STRING"), Col("volume_name", "STRING")], rows)
        raise _unsupported("SHOW %s" % (p.peek().text or ""))

    # -- OPTIMIZE / VACUUM
    def st_optimize(self, p):
        t, parts = self._target(p)
        if p.accept("WHERE"):
            p.until(("ZORDER",))
        zorder = []
        if p.accept("ZORDER", "BY"):
            zorder = [x.text for x in p.balanced() if x.kind in ("ident", "qident")]
        p.end()
        removed = t.files if t.files > 1 else 0
        if removed:
            self.eng.commit(t, "OPTIMIZE", {"predicate": "[]", "zOrderBy": json.dumps(zorder),
                                            "clusterBy": "[]", "auto": "false"},
                            {"numRemovedFiles": removed, "numAddedFiles": 1}, self.now,
                            data_changed=False)
            t.files = 1
        metrics = {"numFilesAdded": 1 if removed else 0, "numFilesRemoved": removed,
                   "filesAdded": {}, "filesRemoved": {}, "partitionsOptimized": 0,
                   "zOrderStats": None, "numBatches": 1 if removed else 0,
                   "totalConsideredFiles": t.files, "totalFilesSkipped": 0 if removed else t.files}
        return self.rows_result([Col("path", "STRING"), Col("metrics", "STRUCT")],
                                [(t.storage_location, json.dumps(metrics, separators=(",", ":")))])

    def st_vacuum(self, p):
        t, parts = self._target(p)
        hours = DEFAULT_RETENTION_H
        if p.accept("RETAIN"):
            hours = self.const_value([p.next()])
            p.expect("HOURS")
        dry = p.accept("DRY", "RUN")
        p.end()
        if hours < DEFAULT_RETENTION_H and self.eng.state.config.get("sql_vacuum_retention_check", True):
            raise SqlError("DELTA_VACUUM_RETENTION_PERIOD_TOO_SHORT", "22023",
                           "Are you sure you would like to vacuum files with such a low retention "
                           "period? If you have writers that are currently writing to this table, "
                           "there is a risk that you may corrupt the state of your Delta table. If "
                           "you are certain that there are no operations being performed on this "
                           "table, such as insert/upsert/delete/optimize, then you may turn off "
                           "this check by setting: spark.databricks.delta.retentionDurationCheck."
                           "enabled = false. (Emulator: config key sql_vacuum_retention_check.)")
        cutoff = self.now - int(hours * 3600 * 1000)
        gone = [v for v, when in t.superseded.items()
                if when <= cutoff and v not in t.vacuumed and t.data.get(v) is not None]
        if dry:
            return self.rows_result([Col("path", "STRING")],
                                    [("%s/part-%05d.snappy.parquet" % (t.storage_location, v),) for v in gone])
        n = len(gone)
        self.eng.commit(t, "VACUUM START", {"retentionCheckEnabled": "true",
                                            "defaultRetentionMillis": str(DEFAULT_RETENTION_H * 3600000),
                                            "specifiedRetentionMillis": str(int(hours * 3600000))},
                        {"numFilesToDelete": n}, self.now, files=0, data_changed=False)
        for v in gone:
            name = t.data.get(v)
            t.vacuumed.add(v)
            if name and all(t.data[o] != name or o in t.vacuumed for o in t.data):
                self.db.execute("DROP TABLE IF EXISTS %s" % quote_ident(name))
        self.eng.commit(t, "VACUUM END", {"status": "COMPLETED"},
                        {"numDeletedFiles": n, "numVacuumedDirectories": 1}, self.now, files=0,
                        data_changed=False)
        return self.rows_result([Col("path", "STRING")], [(t.storage_location,)])


def _literal_type(t):
    """Spark's type of a numeric literal: 1 INT, 10000000000 / 1L BIGINT, 1.50 DECIMAL(3,2),
    1e3 / 1.5D DOUBLE."""
    text, v = t.text, t.value
    suffix = text[len(v):].upper()
    if suffix in ("D", "F") or "e" in v.lower():
        return Col("", "DOUBLE" if suffix != "F" else "FLOAT")
    if "." in v or suffix == "BD":
        whole, _, frac = v.partition(".")
        digits = (whole.lstrip("0") + frac) or "0"
        s = len(frac)
        p = max(len(digits.lstrip("0")) if whole.strip("0") == "" else len(whole.lstrip("0")) + s, s, 1)
        if p > 38:
            return Col("", "DOUBLE")
        return Col("", "DECIMAL", p, s)
    n = int(v)
    if suffix == "L":
        return Col("", "LONG")
    if suffix == "S":
        return Col("", "SHORT")
    if suffix == "Y":
        return Col("", "BYTE")
    return Col("", "INT" if n < 2 ** 31 else "LONG")


def quote_bt(name):
    return "`" + name.replace("`", "``") + "`"


def join_sql(parts):
    """Joins translated pieces the way people write SQL (sqlite names an expression column
    after its text: sum(amt), not sum ( amt ))."""
    out = []
    prev = None
    for x in parts:
        if prev is not None and not (prev in ("(", ".") or x in (")", ",", ".") or
                                     (x == "(" and prev[-1:].isalnum() or x == "(" and prev[-1:] in ('"', "_"))):
            out.append(" ")
        out.append(x)
        prev = x
    return "".join(out)


def _coerce(v, c, null=""):
    if v is None or v == null:
        return None
    try:
        return bind_value(v, c, c.name)
    except SqlError:
        return None  # PERMISSIVE mode: a value that does not parse is NULL


def _coerce_json(v, c):
    if v is None:
        return None
    if isinstance(v, bool):
        v = "true" if v else "false"
    elif isinstance(v, (dict, list)):
        v = json.dumps(v)
    return _coerce(str(v), c, None)


def map_sqlite_error(e, sql):
    msg = str(e)
    low = msg.lower()
    if low == "interrupted":
        return SqlError("QUERY_EXECUTION_TIMEOUT_EXCEEDED", "57KD0",
                        "The query was stopped because it ran longer than the emulator allows "
                        "(config sql_max_exec_s).", error_code="DEADLINE_EXCEEDED")
    if low.startswith("no tables specified"):
        return SqlError("INVALID_USAGE_OF_STAR_OR_REGEX", "42000",
                        "Invalid usage of '*' in Project.")
    if "syntax error" in low or "incomplete input" in low or "unrecognized token" in low:
        near = None
        if "near \"" in msg:
            near = msg.split('near "', 1)[1].rsplit('"', 1)[0]
        return syntax_error(near)
    if low.startswith("no such column"):
        name = msg.split(":", 1)[1].strip()
        return SqlError("UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703",
                        "A column, variable, or function parameter with name `%s` cannot be "
                        "resolved." % name)
    if low.startswith("no such function"):
        name = msg.split(":", 1)[1].strip()
        return SqlError("UNRESOLVED_ROUTINE", "42883",
                        "Cannot resolve routine `%s` on search path [`system`.`builtin`, "
                        "`system`.`session`]." % name)
    if low.startswith("no such table"):
        return SqlError("TABLE_OR_VIEW_NOT_FOUND", "42P01",
                        "The table or view `%s` cannot be found." % msg.split(":", 1)[1].strip())
    if "not null constraint failed" in low:
        col = msg.rsplit(".", 1)[-1]
        return SqlError("DELTA_NOT_NULL_CONSTRAINT_VIOLATED", "23502",
                        "NOT NULL constraint violated for column: %s." % col)
    if "check constraint failed" in low:
        return SqlError("CAST_INVALID_INPUT", "22018",
                        "A value cannot be cast to the type of its target column because it is "
                        "malformed or out of range. Correct the value as per the syntax, or change "
                        "its target type.")
    if ("has" in low and "columns but" in low and "values were supplied" in low) or \
            ("values for" in low and "columns" in low):
        return SqlError("INSERT_COLUMN_ARITY_MISMATCH.NOT_ENOUGH_DATA_COLUMNS", "21S01",
                        "Cannot write to the table: not enough (or too many) data columns.")
    if "ambiguous column name" in low:
        return SqlError("AMBIGUOUS_REFERENCE", "42704",
                        "Reference `%s` is ambiguous." % msg.split(":", 1)[1].strip())
    if "misuse of aggregate" in low or "misuse of window" in low or "group by" in low:
        return SqlError("MISSING_AGGREGATION", "42803", msg)
    if "wrong number of arguments" in low:
        return SqlError("WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605", msg)
    if "too big" in low or "overflow" in low:
        return SqlError("ARITHMETIC_OVERFLOW", "22003", msg)
    if "user-defined function raised exception" in low:
        return SqlError("FAILED_FUNCTION_CALL", "38000", msg)
    return SqlError("INTERNAL_ERROR", "XX000", msg, error_code="INTERNAL_ERROR")


def run_statement(eng, sql, params, catalog, schema, principal, now):
    """Runs one statement inside a transaction (all or nothing). Returns Result; raises
    SqlError."""
    ex = Exec(eng, catalog, schema, params, principal, now)
    eng.ctx = {"catalog": ex.catalog, "schema": ex.schema, "user": principal}
    # metadata changes are undone by restoring a copy when the statement fails
    snapshot = _meta_snapshot(eng)
    eng.db.execute("BEGIN")
    try:
        res = ex.execute(sql)
        eng.db.execute("COMMIT")
        return res
    except BaseException:
        try:
            eng.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        _meta_restore(eng, snapshot)
        raise


def _meta_snapshot(eng):
    import copy
    return (copy.deepcopy(eng.catalogs), copy.deepcopy(eng.schemas), dict(eng.tables),
            copy.deepcopy(eng.volumes),
            {k: (list(t.versions), dict(t.data), dict(t.superseded), set(t.vacuumed), t.files,
                 set(t.copied), t.cols, t.comment, dict(t.properties), t.updated_at)
             for k, t in eng.tables.items()})


def _meta_restore(eng, snap):
    eng.catalogs, eng.schemas, eng.tables, eng.volumes, tstate = snap
    for k, t in eng.tables.items():
        (t.versions, t.data, t.superseded, t.vacuumed, t.files, t.copied, t.cols, t.comment,
         t.properties, t.updated_at) = tstate[k]
