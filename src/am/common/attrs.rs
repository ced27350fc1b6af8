//! Attribute columns of a multi-column vector index (`USING hnsw (embedding vector_l2_ops,
//! tenant_id, labels)`): reading a row's values into quiver-core's attribute blob, and turning
//! a scan's keys (the query's `WHERE` clauses on those columns) into a predicate the walk
//! tests on every entry.
//!
//! Supported column types: bool, int2/int4/int8, date, timestamp, timestamptz, text/varchar
//! (equality; deterministic collations), and arrays of integers or text (`&&`, `@>`, `<@`).
//! The operator classes in `sql/attributes.sql` (one set per method) name the operators
//! (strategies 1–8).

use pgrx::prelude::*;
use quiver_core::attrs::{self, Cmp, Predicate, Test, Value};

/// Strategy numbers of the attribute operator classes.
const LT: u16 = 1;
const LE: u16 = 2;
const EQ: u16 = 3;
const GE: u16 = 4;
const GT: u16 = 5;
const OVERLAP: u16 = 6;
const CONTAINS: u16 = 7;
const CONTAINED_BY: u16 = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Bool,
    /// int2/int4/int8, date, timestamp, timestamptz: compared as i64.
    Int,
    Text,
    IntArray,
    TextArray,
}

/// Most bytes a row's attribute columns may take in an index entry (long text values belong
/// in the table, not in a vector index).
pub const MAX_BLOB: usize = 2000;

/// Attribute blobs of a build's rows, one per row in push order.
#[derive(Default)]
pub struct Blobs {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Blobs {
    pub fn push(&mut self, blob: &[u8]) {
        self.bytes.extend_from_slice(blob);
        self.ends.push(self.bytes.len());
    }

    /// Row `i`'s blob (empty past the end).
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends.get(i - 1).copied().unwrap_or(0) };
        self.bytes.get(start..self.ends.get(i).copied().unwrap_or(start)).unwrap_or(&[])
    }
}

/// The attribute columns of an index (every column after the vector).
pub struct AttrColumns {
    index_name: String,
    kinds: Vec<Kind>,
    /// Each column's type.
    types: Vec<pg_sys::Oid>,
    /// Scratch memory for detoasted values and deconstructed arrays, reset after each row
    /// (a child of the memory context current at [`AttrColumns::of`]; null without columns).
    cxt: pg_sys::MemoryContext,
}

fn int_type(t: pg_sys::Oid) -> bool {
    [pg_sys::INT2OID, pg_sys::INT4OID, pg_sys::INT8OID, pg_sys::DATEOID, pg_sys::TIMESTAMPOID, pg_sys::TIMESTAMPTZOID].contains(&t)
}

fn text_type(t: pg_sys::Oid) -> bool {
    t == pg_sys::TEXTOID || t == pg_sys::VARCHAROID
}

fn type_name(t: pg_sys::Oid) -> String {
    unsafe {
        let p = pg_sys::format_type_be(t);
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

fn unsupported(msg: String) -> ! {
    crate::error::raise_code(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, msg)
}

/// An integer datum of type `t` (one of [`int_type`]) as i64.
fn int_value(d: pg_sys::Datum, t: pg_sys::Oid) -> i64 {
    let raw = d.value() as i64;
    match t {
        pg_sys::INT2OID => raw as i16 as i64,
        pg_sys::INT4OID | pg_sys::DATEOID => raw as i32 as i64,
        _ => raw,
    }
}

/// The bytes of a text datum (detoasted in the current memory context).
unsafe fn text_value(d: pg_sys::Datum) -> Vec<u8> {
    unsafe {
        let v = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr::<pg_sys::varlena>());
        pgrx::varlena::varlena_to_byte_slice(v).to_vec()
    }
}

/// The elements of an array datum with their type (NULL elements as `None`).
unsafe fn array_elems(d: pg_sys::Datum) -> (pg_sys::Oid, Vec<Option<pg_sys::Datum>>) {
    unsafe {
        let arr = pg_sys::pg_detoast_datum(d.cast_mut_ptr::<pg_sys::varlena>()) as *mut pg_sys::ArrayType;
        let elemtype = (*arr).elemtype;
        let (mut len, mut byval, mut align) = (0i16, false, 0 as std::ffi::c_char);
        pg_sys::get_typlenbyvalalign(elemtype, &mut len, &mut byval, &mut align);
        let (mut elems, mut nulls, mut n) = (std::ptr::null_mut(), std::ptr::null_mut(), 0);
        pg_sys::deconstruct_array(arr, elemtype, len.into(), byval, align, &mut elems, &mut nulls, &mut n);
        let out = (0..n.max(0) as usize).map(|i| (!*nulls.add(i)).then(|| *elems.add(i))).collect();
        (elemtype, out)
    }
}

impl AttrColumns {
    /// The attribute columns of `index`, checked: a type without an operator class cannot
    /// get here, but an array of another element type, or text under a nondeterministic
    /// collation (whose equality is not byte equality), is refused.
    pub fn of(index: pg_sys::Relation, am: &str) -> AttrColumns {
        let mut kinds = Vec::new();
        let mut types = Vec::new();
        unsafe {
            let desc = (*index).rd_att;
            let natts = (*(*index).rd_index).indnkeyatts as usize;
            for i in 1..natts {
                let att = &*crate::compat::attribute(desc, i);
                // a domain is stored and compared as its base type
                let t = pg_sys::getBaseType(att.atttypid);
                let name = std::ffi::CStr::from_ptr(att.attname.data.as_ptr()).to_string_lossy().into_owned();
                let kind = if t == pg_sys::BOOLOID {
                    Kind::Bool
                } else if int_type(t) {
                    Kind::Int
                } else if text_type(t) {
                    Kind::Text
                } else {
                    let elem = pg_sys::get_element_type(t);
                    if [pg_sys::INT2OID, pg_sys::INT4OID, pg_sys::INT8OID].contains(&elem) {
                        Kind::IntArray
                    } else if text_type(elem) {
                        Kind::TextArray
                    } else {
                        unsupported(format!(
                            "{am} index column \"{name}\" has type {}; attribute columns may be bool, int2, int4, int8, date, timestamp, timestamptz, text, varchar, or arrays of integers or text",
                            type_name(att.atttypid)
                        ))
                    }
                };
                if matches!(kind, Kind::Text | Kind::TextArray) {
                    let coll = *(*index).rd_indcollation.add(i);
                    if coll != pg_sys::InvalidOid && !pg_sys::get_collation_isdeterministic(coll) {
                        unsupported(format!("{am} index column \"{name}\" uses a nondeterministic collation, which {am} attribute columns do not support"));
                    }
                }
                kinds.push(kind);
                types.push(t);
            }
            if kinds.is_empty() {
                return AttrColumns { index_name: String::new(), kinds, types, cxt: std::ptr::null_mut() };
            }
            let cxt = pg_sys::AllocSetContextCreateExtended(
                pg_sys::CurrentMemoryContext,
                c"quiver attributes".as_ptr(),
                pg_sys::ALLOCSET_SMALL_MINSIZE as usize,
                pg_sys::ALLOCSET_SMALL_INITSIZE as usize,
                pg_sys::ALLOCSET_SMALL_MAXSIZE as usize,
            );
            AttrColumns { index_name: super::page::rel_name(index), kinds, types, cxt }
        }
    }

    /// No attribute columns (a single-column index).
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Run `f` with the scratch context current, then reset it.
    fn scratch<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.cxt.is_null() {
            return f();
        }
        unsafe {
            let old = pg_sys::MemoryContextSwitchTo(self.cxt);
            let r = f();
            pg_sys::MemoryContextSwitchTo(old);
            pg_sys::MemoryContextReset(self.cxt);
            r
        }
    }

    /// The attribute blob of a row, from the index tuple's `values` / `isnull` (column 0 is
    /// the vector). Empty for a single-column index.
    ///
    /// # Safety
    /// `values` and `isnull` hold one entry per index column.
    pub unsafe fn encode(&self, values: *const pg_sys::Datum, isnull: *const bool) -> Vec<u8> {
        if self.kinds.is_empty() {
            return Vec::new();
        }
        let blob = self.scratch(|| unsafe {
            let mut out = Vec::with_capacity(self.kinds.len());
            for (i, kind) in self.kinds.iter().enumerate() {
                if *isnull.add(i + 1) {
                    out.push(Value::Null);
                    continue;
                }
                let d = *values.add(i + 1);
                out.push(match kind {
                    Kind::Bool => Value::Bool(d.value() != 0),
                    Kind::Int => Value::Int(int_value(d, self.types[i])),
                    Kind::Text => Value::Text(text_value(d)),
                    Kind::IntArray => {
                        let (t, elems) = array_elems(d);
                        Value::IntArray(elems.into_iter().map(|e| e.map(|e| int_value(e, t))).collect())
                    }
                    Kind::TextArray => {
                        let (_, elems) = array_elems(d);
                        Value::TextArray(elems.into_iter().map(|e| e.map(|e| text_value(e))).collect())
                    }
                });
            }
            attrs::encode(&out)
        });
        if blob.len() > MAX_BLOB {
            crate::error::raise_code(
                PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                format!("attribute columns of a row take {} bytes in index \"{}\"; at most {MAX_BLOB} fit", blob.len(), self.index_name),
            );
        }
        blob
    }

    /// The predicate of a scan's keys (the `WHERE` clauses the planner handed to the index).
    ///
    /// # Safety
    /// `keys` points at `nkeys` scan keys of this index.
    pub unsafe fn predicate(&self, keys: pg_sys::ScanKey, nkeys: i32) -> Predicate {
        let mut p = Predicate::new();
        for k in 0..nkeys.max(0) as usize {
            let key = unsafe { &*keys.add(k) };
            let Some(col) = (key.sk_attno as usize).checked_sub(2).filter(|&c| c < self.kinds.len()) else { continue };
            if key.sk_flags & pg_sys::SK_ISNULL as i32 != 0 {
                p.push(col, Test::Never);
                continue;
            }
            let test = self.scratch(|| unsafe { self.test(col, key) });
            p.push(col, test);
        }
        p
    }

    unsafe fn test(&self, col: usize, key: &pg_sys::ScanKeyData) -> Test {
        unsafe {
            let (strategy, subtype, arg) = (key.sk_strategy, key.sk_subtype, key.sk_argument);
            let cmp = match strategy {
                LT => Some(Cmp::Lt),
                LE => Some(Cmp::Le),
                EQ => Some(Cmp::Eq),
                GE => Some(Cmp::Ge),
                GT => Some(Cmp::Gt),
                _ => None,
            };
            if key.sk_flags & pg_sys::SK_SEARCHARRAY as i32 != 0 {
                // col <op> ANY(array): the array's non-NULL elements
                let (elemtype, elems) = array_elems(arg);
                let elems: Vec<pg_sys::Datum> = elems.into_iter().flatten().collect();
                return match (self.kinds[col], cmp) {
                    (Kind::Int, Some(Cmp::Eq)) => Test::IntIn(elems.iter().map(|&e| int_value(e, elemtype)).collect()),
                    (Kind::Int, Some(c)) => {
                        let vals = elems.iter().map(|&e| int_value(e, elemtype));
                        // x < ANY(a) is x < max(a); x > ANY(a) is x > min(a)
                        let bound = if matches!(c, Cmp::Lt | Cmp::Le) { vals.max() } else { vals.min() };
                        bound.map_or(Test::Never, |b| Test::Int(c, b))
                    }
                    (Kind::Bool, Some(Cmp::Eq)) => Test::BoolIn(elems.iter().map(|e| e.value() != 0).collect()),
                    (Kind::Text, Some(Cmp::Eq)) => Test::TextIn(elems.iter().map(|&e| text_value(e)).collect()),
                    _ => unsupported(format!("operator strategy {strategy} with an array is not supported on this attribute column")),
                };
            }
            match (self.kinds[col], cmp, strategy) {
                (Kind::Int, Some(c), _) => Test::Int(c, int_value(arg, if subtype == pg_sys::InvalidOid { self.types[col] } else { subtype })),
                (Kind::Bool, Some(Cmp::Eq), _) => Test::Bool(arg.value() != 0),
                (Kind::Text, Some(Cmp::Eq), _) => Test::TextEq(text_value(arg)),
                (Kind::IntArray, None, _) | (Kind::TextArray, None, _) => {
                    let (elemtype, elems) = array_elems(arg);
                    let has_null = elems.iter().any(Option::is_none);
                    let elems: Vec<pg_sys::Datum> = elems.into_iter().flatten().collect();
                    if self.kinds[col] == Kind::IntArray {
                        let v: Vec<i64> = elems.iter().map(|&e| int_value(e, elemtype)).collect();
                        match strategy {
                            OVERLAP => Test::IntOverlap(v),
                            CONTAINS if has_null => Test::Never,
                            CONTAINS => Test::IntContains(v),
                            CONTAINED_BY => Test::IntContainedBy(v),
                            _ => unsupported(format!("operator strategy {strategy} is not supported on an array attribute column")),
                        }
                    } else {
                        let v: Vec<Vec<u8>> = elems.iter().map(|&e| text_value(e)).collect();
                        match strategy {
                            OVERLAP => Test::TextOverlap(v),
                            CONTAINS if has_null => Test::Never,
                            CONTAINS => Test::TextContains(v),
                            CONTAINED_BY => Test::TextContainedBy(v),
                            _ => unsupported(format!("operator strategy {strategy} is not supported on an array attribute column")),
                        }
                    }
                }
                _ => unsupported(format!("operator strategy {strategy} is not supported on this attribute column")),
            }
        }
    }
}
