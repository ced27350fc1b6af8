//! Hints for names that are not fields of a collection but look like one. With a dynamic field
//! such a name is valid (a key of `$meta`), so a misspelt field in a filter or in output fields
//! would silently match nothing; the functions raise a NOTICE naming the field it resembles.
//! (Without a dynamic field the name is an error.)

use super::ident::validate_name;
use super::schema::CollectionDef;

/// The field among `fields` that `name` most resembles — the same but for case, or, for names
/// of three characters or more, within one edit (two for names longer than five characters; an
/// edit is an insertion, a deletion, a substitution or a swap of neighbours) — if any. Only a
/// name a field could have ([`validate_name`]) resembles one.
pub fn resembles<'a>(name: &str, fields: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if validate_name("field", name).is_err() {
        return None;
    }
    let lower: Vec<char> = name.to_lowercase().chars().collect();
    let budget = match lower.len() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    let mut best: Option<(usize, &'a str)> = None;
    for f in fields {
        if f == name {
            return None;
        }
        let other: Vec<char> = f.to_lowercase().chars().collect();
        if lower.len().abs_diff(other.len()) > budget {
            continue;
        }
        let d = edit_distance(&lower, &other);
        if d <= budget && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, f));
        }
    }
    best.map(|(_, f)| f)
}

/// Optimal string alignment distance (Levenshtein with swaps of neighbours).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The NOTICE for `name`, used as `role` ("filter field", "output field") and read from the
/// dynamic field of `def`, when it resembles one of the collection's fields.
pub fn dynamic_name_notice(def: &CollectionDef, name: &str, role: &str) -> Option<String> {
    let field = resembles(name, def.fields.iter().map(|f| f.name.as_str()))?;
    Some(format!(
        "{role} \"{name}\" is not a field of collection \"{}\"; it is read from the dynamic field \"$meta\" (did you mean \"{field}\"?)",
        def.name
    ))
}

/// NOTICEs for the `output_fields` that are read from the dynamic field of `def` and resemble
/// one of its fields.
pub fn output_field_notices(def: &CollectionDef, output_fields: &[String]) -> Vec<String> {
    if !def.enable_dynamic_field {
        return Vec::new();
    }
    output_fields
        .iter()
        .filter(|n| def.field(n).is_none())
        .filter_map(|n| dynamic_name_notice(def, n, "output field"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [&str; 4] = ["color", "title", "price", "category"];

    #[test]
    fn misspellings_resemble_their_field() {
        assert_eq!(resembles("colour", FIELDS), Some("color"));
        assert_eq!(resembles("Title", FIELDS), Some("title"));
        assert_eq!(resembles("tilte", FIELDS), Some("title"));
        assert_eq!(resembles("prices", FIELDS), Some("price"));
        assert_eq!(resembles("catgeroy", FIELDS), Some("category"));
    }

    #[test]
    fn other_names_resemble_nothing() {
        assert_eq!(resembles("color", FIELDS), None);
        assert_eq!(resembles("size", FIELDS), None);
        assert_eq!(resembles("colors_of_the_item", FIELDS), None);
        assert_eq!(resembles("", FIELDS), None);
        // short names get one edit only, names of one or two characters none
        assert_eq!(resembles("cat", FIELDS), None);
        assert_eq!(resembles("x", ["v"]), None);
        assert_eq!(resembles("ID", ["id"]), Some("id"));
        // only names a field could have
        assert_eq!(resembles("*", ["v"]), None);
        assert_eq!(resembles("titl*", FIELDS), None);
        assert_eq!(resembles("$meta", ["meta"]), None);
    }

    #[test]
    fn distance() {
        let d = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("é", "e"), 1);
    }
}
