//! A page's query and path pieces: the lenient GET form, and film ids or BINs (tenant text)
//! as one path segment and back.

use std::collections::HashMap;

/// A page's query parameters, leniently: unknown ones ignored, empty ones absent (the last
/// of a repeated one wins).
pub fn form(q: &str) -> HashMap<String, String> {
    api_core::params::pairs(q).into_iter().collect()
}

/// A link to `path` with the page's filters (`form`, in key order, empty ones and `drop` left
/// out) and `set` last: the pager's and the downloads' links keep what was asked for.
pub fn link(
    path: &str,
    form: &HashMap<String, String>,
    drop: &[&str],
    set: (&str, &str),
) -> String {
    let mut pairs: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, v)| !v.is_empty() && !drop.contains(&k.as_str()) && k.as_str() != set.0)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    pairs.sort();
    pairs.push(set);
    format!(
        "{path}?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

/// A value as one path segment: unreserved characters as they are, every other byte
/// percent-encoded (film ids are tenant text).
pub fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The inverse of [`path_segment`]; an invalid escape stays as it is.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_keeps_the_filters_in_key_order_and_sets_its_own_last() {
        let form: HashMap<String, String> = [
            ("to", "2026-12-06"),
            ("kind", ""),
            ("page", "3"),
            ("format", "csv"),
            ("from", "2026-12-01"),
            ("cinema", "a b&c"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            link("/en/ministry/audit", &form, &["format"], ("page", "4")),
            "/en/ministry/audit?cinema=a+b%26c&from=2026-12-01&to=2026-12-06&page=4"
        );
    }
}
