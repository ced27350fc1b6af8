//! `base.jsonl`: one `{"id": N, "text": "..."}` object per line, the text behind base
//! vector `N` (0-based, in vector order).

use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    id: usize,
    text: String,
}

/// The texts of base vectors `0..rows`; every id in that range must appear once.
pub fn read_texts(path: &Path, rows: usize) -> Result<Vec<String>, String> {
    let all = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&all, rows).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse(all: &str, rows: usize) -> Result<Vec<String>, String> {
    let mut texts: Vec<Option<String>> = vec![None; rows];
    for (n, line) in all.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let l: Line = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        if let Some(slot) = texts.get_mut(l.id) {
            *slot = Some(l.text);
        }
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| t.ok_or_else(|| format!("no text for base vector {i}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_coverage() {
        let s = "{\"id\": 1, \"text\": \"b\"}\n{\"id\": 0, \"text\": \"a \\\"q\\\"\"}\n{\"id\": 7, \"text\": \"ignored\"}\n";
        assert_eq!(parse(s, 2).unwrap(), vec!["a \"q\"".to_string(), "b".to_string()]);
        assert!(parse(s, 3).unwrap_err().contains("no text for base vector 2"));
        assert!(parse("{\"id\": 0}", 1).unwrap_err().starts_with("line 1:"));
    }
}
