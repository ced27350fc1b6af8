"""The SQL surface of extension quiver, read from the catalog (pg_depend on the extension), so
functions, operators, casts and types added later are fuzzed without touching the campaign."""

SURFACE_SQL = {
    "functions": """
        SELECT p.oid::regprocedure::text, quote_ident(n.nspname) || '.' || quote_ident(p.proname),
               p.prokind, p.proretset, p.pronargs, p.pronargdefaults,
               ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t),
               COALESCE(p.proargnames[1:p.pronargs], '{}')
          FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quiver'
          JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE d.deptype = 'e' ORDER BY 1""",
    "operators": """
        SELECT o.oprname, format_type(o.oprleft, NULL), format_type(o.oprright, NULL)
          FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quiver'
          JOIN pg_operator o ON d.classid = 'pg_operator'::regclass AND o.oid = d.objid
         WHERE d.deptype = 'e' ORDER BY 1, 2, 3""",
    "casts": """
        SELECT format_type(c.castsource, NULL), format_type(c.casttarget, NULL)
          FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quiver'
          JOIN pg_cast c ON d.classid = 'pg_cast'::regclass AND c.oid = d.objid
         WHERE d.deptype = 'e' ORDER BY 1, 2""",
    "types": """
        SELECT format_type(t.oid, NULL), t.typreceive <> 0, t.typmodin <> 0
          FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'quiver'
          JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
         WHERE d.deptype = 'e' AND t.typtype = 'b' AND t.typelem = 0 ORDER BY 1""",
    "opclasses": """
        SELECT c.opcname, format_type(c.opcintype, NULL), a.amname
          FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod AND a.amname IN ('hnsw', 'ivfflat') ORDER BY 3, 1""",
    "gucs": """
        SELECT name, vartype, min_val, max_val, enumvals FROM pg_settings
         WHERE name LIKE 'hnsw.%' OR name LIKE 'ivfflat.%' OR name LIKE 'quiver.%' ORDER BY 1""",
}

# An access method's reloptions are not in the catalog: quiver's, as it registers them.
RELOPTIONS = {"hnsw": ["m", "ef_construction"], "ivfflat": ["lists"]}


class Function:
    def __init__(self, row):
        (self.signature, self.name, self.kind, self.retset, self.nargs, self.ndefaults,
         self.argtypes, self.argnames) = row

    @property
    def short_name(self):
        return self.name.split(".")[-1].strip('"')


def read_surface(conn):
    out = {}
    with conn.cursor() as cur:
        for key, sql in SURFACE_SQL.items():
            cur.execute(sql)
            out[key] = cur.fetchall()
    out["functions"] = [Function(r) for r in out["functions"]]
    return out
