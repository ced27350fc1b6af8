//! Names for the indexes a background build creates: PostgreSQL's rules for generated index
//! names (`<table>_<columns>_idx`, shortened to fit NAMEDATALEN, the longer part first), so an
//! index built by a job is named as `CREATE INDEX` without a name would have named it.

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes).
pub const MAX_IDENTIFIER: usize = 63;

/// Cuts `s` to at most `bytes` bytes on a character boundary.
fn clip(s: &str, bytes: usize) -> &str {
    if s.len() <= bytes {
        return s;
    }
    let mut end = bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `name1[_name2][_label]` within [`MAX_IDENTIFIER`] bytes: the label is kept whole and the
/// longer of the two names gives up bytes first.
pub fn object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> String {
    let overhead = name2.map_or(0, |_| 1) + label.map_or(0, |l| l.len() + 1);
    let avail = MAX_IDENTIFIER.saturating_sub(overhead);
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    if let Some(l) = label {
        out.push('_');
        out.push_str(l);
    }
    out
}

/// The column part of a generated index name: the index columns' names joined by `_`
/// (`expr` for an expression), cut at NAMEDATALEN.
pub fn column_part(columns: &[Option<&str>]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(c.unwrap_or("expr"));
        if out.len() > MAX_IDENTIFIER {
            break;
        }
    }
    out
}

/// The first of `base_idx`, `base_idx1`, `base_idx2`, ... that `taken` does not report as
/// used (PostgreSQL's ChooseRelationName: the digits go on the label).
pub fn choose(name1: &str, name2: Option<&str>, label: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    let mut pass = 0u32;
    loop {
        let l = if pass == 0 { label.to_string() } else { format!("{label}{pass}") };
        let name = object_name(name1, name2, Some(&l));
        if !taken(&name) {
            return name;
        }
        pass += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_joined() {
        assert_eq!(object_name("items", Some("embedding"), Some("idx")), "items_embedding_idx");
        assert_eq!(object_name("items", None, Some("idx")), "items_idx");
        assert_eq!(column_part(&[Some("v"), None, Some("tenant")]), "v_expr_tenant");
    }

    #[test]
    fn long_names_fit_and_the_longer_part_gives_way() {
        let t = "t".repeat(80);
        let c = "c".repeat(10);
        let n = object_name(&t, Some(&c), Some("idx"));
        assert_eq!(n.len(), MAX_IDENTIFIER);
        assert!(n.ends_with(&format!("_{c}_idx")));
        let both = object_name(&"a".repeat(40), Some(&"b".repeat(40)), Some("idx"));
        assert_eq!(both.len(), MAX_IDENTIFIER);
        assert_eq!(both, format!("{}_{}_idx", "a".repeat(29), "b".repeat(29)));
    }

    #[test]
    fn multibyte_names_are_cut_on_character_boundaries() {
        let t = "é".repeat(40); // 80 bytes
        let n = object_name(&t, Some("v"), Some("idx"));
        assert!(n.len() <= MAX_IDENTIFIER);
        assert!(n.ends_with("_v_idx"));
        assert!(n.starts_with('é'));
    }

    #[test]
    fn digits_go_on_the_label_until_a_name_is_free() {
        let used = ["docs_v_idx", "docs_v_idx1"];
        assert_eq!(choose("docs", Some("v"), "idx", |n| used.contains(&n)), "docs_v_idx2");
        assert_eq!(choose("docs", Some("w"), "idx", |n| used.contains(&n)), "docs_w_idx");
    }
}
