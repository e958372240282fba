//! One measured figure of `ekino bench`, as a row of BENCHMARKS.md, and the progress lines
//! the benchmarks print while they run.

/// A measurement with its unit, the ceiling or goal it is held to, and how to read it.
pub struct Figure {
    pub name: &'static str,
    pub value: f64,
    pub unit: &'static str,
    pub ceiling: Option<(&'static str, f64)>,
    pub goal: &'static str,
    pub lower_is_better: bool,
    pub note: String,
}

pub fn progress(msg: &str) {
    eprintln!("[bench] {msg}");
}
