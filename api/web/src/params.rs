//! A page's query and path pieces: the lenient GET form, and film ids or BINs (tenant text)
//! as one path segment and back.

use std::collections::HashMap;

/// A page's query parameters, leniently: unknown ones ignored, empty ones absent (the last
/// of a repeated one wins).
pub fn form(q: &str) -> HashMap<String, String> {
    api_core::params::pairs(q).into_iter().collect()
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
