//! Spend lines as a producer keeps them: CSV (comma- or semicolon-separated, as English or
//! Kazakh/Russian Excel saves it; UTF-8, or Windows-1251 as Russian Excel writes it) or an
//! XLSX workbook (its first sheet), under a header row naming the columns in Kazakh, Russian or
//! English (`claim-col-<code>` in the catalogue) or by their codes, in any order.
//!
//! Every line keeps the row number its file shows (the header's row counted, as a spreadsheet
//! counts), so each problem names the row and the column the producer sees: `row[7].amount`,
//! said "Row 7, Amount" by `reasons::field_words`. Every problem is found at once.
//!
//! Cells become the engine's text: grouping spaces dropped from amounts and, in a semicolon
//! file, a decimal comma read as a point; an XLSX number as its shortest decimal text (the file
//! stores binary floating point, and this is the one place it is read: the text that prints
//! the same number is what the engine gets); an XLSX date, or a `dd.mm.yyyy` text, as
//! `yyyy-mm-dd`.

use serde_json::{json, Map, Value};

use crate::i18n::{self, Lang};
use crate::words::column_word;

/// The columns a spend line may have, by code; the first six are required.
pub const COLUMNS: [&str; 8] = [
    "id",
    "category",
    "amount",
    "currency",
    "paid_on",
    "vendor_country",
    "vendor_bin",
    "resident",
];
const REQUIRED: usize = 6;

/// Why the file or a line of it cannot be read: a stable code (`form-<code>` in the
/// catalogues) with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    Days { got: String },
    Unreadable,
    NoHeader,
    UnknownColumn { at: usize, name: String },
    MissingColumn { name: String },
    Cells { got: usize, want: usize },
    NotBool { got: String },
    NoLines,
}

impl FormProblem {
    pub fn code(&self) -> &'static str {
        match self {
            FormProblem::Days { .. } => "days",
            FormProblem::Unreadable => "unreadable",
            FormProblem::NoHeader => "no_header",
            FormProblem::UnknownColumn { .. } => "unknown_column",
            FormProblem::MissingColumn { .. } => "missing_column",
            FormProblem::Cells { .. } => "cells",
            FormProblem::NotBool { .. } => "not_bool",
            FormProblem::NoLines => "no_lines",
        }
    }

    pub fn params(&self, lang: Lang) -> Vec<(&'static str, String)> {
        match self {
            FormProblem::Days { got } | FormProblem::NotBool { got } => vec![("got", got.clone())],
            FormProblem::UnknownColumn { at, name } => vec![
                ("at", at.to_string()),
                ("name", name.clone()),
                (
                    "columns",
                    COLUMNS
                        .iter()
                        .map(|c| column_word(lang, c))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ],
            FormProblem::MissingColumn { name } => vec![("name", column_word(lang, name))],
            FormProblem::Cells { got, want } => {
                vec![("got", got.to_string()), ("want", want.to_string())]
            }
            FormProblem::Unreadable | FormProblem::NoHeader | FormProblem::NoLines => Vec::new(),
        }
    }

    /// "Field: reason" in the page's language.
    pub fn said(&self, lang: Lang, field: &str) -> String {
        crate::reasons::refusal(
            lang,
            field,
            i18n::t_with(lang, &format!("form-{}", self.code()), &self.params(lang)),
        )
    }
}

/// The field at fault (`lines`, `row[7]`, `row[7].amount`, `days_total`) and why.
pub type FormError = (String, FormProblem);

/// The column a header cell names: a code, or its name in any of the three languages.
fn column_of(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase();
    COLUMNS.iter().copied().find(|c| {
        *c == h
            || Lang::ALL
                .iter()
                .any(|l| column_word(*l, c).to_lowercase() == h)
    })
}

/// The header row in a language, for the downloadable template.
pub fn header(lang: Lang) -> Vec<String> {
    COLUMNS.iter().map(|c| column_word(lang, c)).collect()
}

/// One row of the file: its number as the file shows it, its cells as text.
struct Row {
    number: usize,
    cells: Vec<String>,
}

/// A file's rows: an XLSX workbook's first sheet, else text (see the module docs).
fn rows(bytes: &[u8]) -> Result<(Vec<Row>, bool), FormError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_rows(bytes).map(|r| (r, false));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1251.decode(bytes).0.into_owned(),
    };
    Ok(text_rows(&text))
}

/// CSV text's rows (numbered by line, blank lines skipped) and whether it is `;`-separated.
fn text_rows(text: &str) -> (Vec<Row>, bool) {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let sep = if first.contains(';') { b';' } else { b',' };
    // Line by line, so that each row keeps its line number in the file (blank lines
    // counted); a line's cells may be quoted.
    let rows = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Row {
            number: i + 1,
            cells: csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(sep)
                .flexible(true)
                .from_reader(l.as_bytes())
                .records()
                .next()
                .and_then(Result::ok)
                .map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
                .unwrap_or_default(),
        })
        .collect();
    (rows, sep == b';')
}

fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Row>, FormError> {
    use calamine::Reader as _;
    let unreadable = || ("lines".to_owned(), FormProblem::Unreadable);
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| unreadable())?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or_else(unreadable)?
        .map_err(|_| unreadable())?;
    let first_row = sheet.start().map_or(0, |(r, _)| r as usize);
    Ok(sheet
        .rows()
        .enumerate()
        .map(|(i, cells)| Row {
            number: first_row + i + 1,
            cells: cells.iter().map(cell_text).collect(),
        })
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect())
}

/// An XLSX cell as the text a CSV would have carried.
fn cell_text(c: &calamine::Data) -> String {
    use calamine::{Data, DataType as _};
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        // Rust prints the shortest text that reads back as the same float: 1500000.75, not
        // 1500000.7499999.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(_) | Data::DateTimeIso(_) => c
            .as_date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| c.to_string()),
        other => other.to_string(),
    }
}

/// A `dd.mm.yyyy` date (as kk/ru spreadsheets write it) as `yyyy-mm-dd`; other text as it is.
fn iso_date(cell: &str) -> String {
    chrono::NaiveDate::parse_from_str(cell, "%d.%m.%Y")
        .map_or_else(|_| cell.to_owned(), |d| d.to_string())
}

/// An amount as the engine reads it: spaces (also no-break ones) dropped, and with
/// `decimal_comma` a comma read as the decimal point.
pub fn plain_amount(s: &str, decimal_comma: bool) -> String {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if decimal_comma {
        t.replace(',', ".")
    } else {
        t
    }
}

/// The spend lines of a file (see the module docs) as the engine's JSON lines, each with the
/// row it came from; or every problem found, each at its row and column.
pub fn read(bytes: &[u8]) -> Result<Vec<(usize, Value)>, Vec<FormError>> {
    let (rows, decimal_comma) = rows(bytes).map_err(|e| vec![e])?;
    let mut rows = rows.into_iter();
    let mut header = rows
        .next()
        .ok_or_else(|| vec![("lines".to_owned(), FormProblem::NoHeader)])?;
    while header.cells.last().is_some_and(String::is_empty) {
        header.cells.pop();
    }
    let mut problems = Vec::new();
    let names: Vec<Option<&'static str>> = header.cells.iter().map(|h| column_of(h)).collect();
    for (i, (name, cell)) in names.iter().zip(&header.cells).enumerate() {
        if name.is_none() {
            problems.push((
                format!("row[{}]", header.number),
                FormProblem::UnknownColumn {
                    at: i + 1,
                    name: cell.clone(),
                },
            ));
        }
    }
    for missing in COLUMNS[..REQUIRED]
        .iter()
        .filter(|c| !names.contains(&Some(**c)))
    {
        problems.push((
            format!("row[{}]", header.number),
            FormProblem::MissingColumn {
                name: (*missing).to_owned(),
            },
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for mut row in rows {
        // A sheet's rows are as wide as its widest; empty cells past the header's are nothing.
        while row.cells.len() > names.len() && row.cells.last().is_some_and(String::is_empty) {
            row.cells.pop();
        }
        let at = |column: &str| format!("row[{}].{column}", row.number);
        if row.cells.len() != names.len() {
            problems.push((
                format!("row[{}]", row.number),
                FormProblem::Cells {
                    got: row.cells.len(),
                    want: names.len(),
                },
            ));
            continue;
        }
        let mut obj = Map::new();
        for (name, cell) in names.iter().flatten().zip(&row.cells) {
            let v = match *name {
                "amount" => json!(plain_amount(cell, decimal_comma)),
                // `kz` is read as `KZ`; anything else is kept as typed, for its refusal to quote.
                "currency" | "vendor_country" if cell.is_ascii() => json!(cell.to_uppercase()),
                "paid_on" => json!(iso_date(cell)),
                "vendor_bin" | "resident" if cell.is_empty() => continue,
                "resident" => match cell.to_lowercase().as_str() {
                    "true" | "yes" | "1" | "иә" | "да" => json!(true),
                    "false" | "no" | "0" | "жоқ" | "нет" => json!(false),
                    _ => {
                        problems.push((at("resident"), FormProblem::NotBool { got: cell.clone() }));
                        continue;
                    }
                },
                _ => json!(cell),
            };
            obj.insert((*name).to_owned(), v);
        }
        out.push((row.number, Value::Object(obj)));
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(("lines".into(), FormProblem::NoLines));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The template a producer fills in: the header in `lang` and one example line, separated as
/// that language's Excel expects (`;` with a decimal comma for kk/ru, `,` for en).
pub fn template(lang: Lang) -> String {
    let (sep, amount) = match lang {
        Lang::En => (",", "1500000.50"),
        Lang::Kk | Lang::Ru => (";", "1500000,50"),
    };
    let example = [
        "L1",
        "crew_wages",
        amount,
        "KZT",
        "2026-05-01",
        "KZ",
        "",
        "true",
    ];
    format!(
        "\u{feff}{}\r\n{}\r\n",
        header(lang).join(sep),
        example.join(sep)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<Vec<(usize, Value)>, Vec<FormError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn comma_and_semicolon_files_in_any_language_read_alike() {
        let comma = "id,category,amount,currency,paid_on,vendor_country,vendor_bin\nL1,construction_sets,2000000.50,kzt,2026-05-01,kz,980340001119\nL2,crew_wages,300,USD,2026-05-02,US,\n";
        let lines = read(comma.as_bytes()).unwrap();
        assert_eq!(
            lines[0],
            (
                2,
                json!({"id": "L1", "category": "construction_sets", "amount": "2000000.50", "currency": "KZT", "paid_on": "2026-05-01", "vendor_country": "KZ", "vendor_bin": "980340001119"})
            )
        );
        assert_eq!(
            lines[1].1.get("vendor_bin"),
            None,
            "an empty optional cell is absent"
        );
        // Russian Excel: Russian headers, semicolons, a decimal comma, grouping spaces, a date
        // written the Russian way, a byte-order mark, Windows-1251.
        let excel = "\u{feff}Номер строки;Статья;Сумма;Валюта;Дата оплаты;Страна поставщика;Резидент\r\nL1;crew_wages;1 500 000,75;KZT;01.05.2026;KZ;да\r\n";
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(excel.trim_start_matches('\u{feff}'));
        for bytes in [excel.as_bytes(), &cp1251] {
            let lines = read(bytes).unwrap();
            assert_eq!(lines[0].1["amount"], "1500000.75");
            assert_eq!(lines[0].1["paid_on"], "2026-05-01");
            assert_eq!(lines[0].1["resident"], true);
        }
        // Kazakh headers.
        let kk = "Жол нөмірі;Бап;Сома;Валюта;Төленген күні;Жеткізушінің елі\nL1;crew_wages;10;KZT;2026-05-01;KZ\n";
        assert_eq!(read(kk.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn every_problem_is_named_by_its_row_at_once() {
        // (text, the fields named, in order)
        let bad: [(&str, &[&str]); 5] = [
            ("", &["lines"]),
            ("id,category,amount,currency,paid_on\nL1,x,1,KZT,2026-01-01", &["row[1]"]),
            ("id,category,amount,currency,paid_on,vendor_country,colour\nL1,x,1,KZT,2026-01-01,KZ,red", &["row[1]"]),
            ("id,category,amount,currency,paid_on,vendor_country\n\nL1,x,1,KZT,2026-01-01\nL2,x,1,KZT,2026-01-01,KZ\nL3,x,1,KZT\n", &["row[3]", "row[5]"]),
            ("id,category,amount,currency,paid_on,vendor_country\n", &["lines"]),
        ];
        for (text, want) in bad {
            assert_eq!(fields(read(text.as_bytes())), want, "{text:?}");
        }
        assert_eq!(
            fields(read(b"PK\x03\x04 not a workbook")),
            ["lines"],
            "a broken workbook"
        );
    }

    /// The template in each language is a file the form reads: its example line and no problem.
    #[test]
    fn each_languages_template_reads_back() {
        for lang in Lang::ALL {
            let t = template(lang);
            let lines = read(t.as_bytes()).unwrap_or_else(|e| panic!("{lang:?}: {e:?}"));
            assert_eq!(lines.len(), 1, "{lang:?}");
            assert_eq!(lines[0].1["amount"], "1500000.50", "{lang:?}");
        }
        assert!(template(Lang::Kk).contains("Жол нөмірі;Бап;Сома"));
    }

    /// A workbook as Excel saves it: numbers as numbers, a date as a date, the header in
    /// Kazakh, and two bad lines in rows 7 and 12 found together.
    #[test]
    fn an_xlsx_workbook_reads_with_its_rows() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in header(Lang::Kk).iter().enumerate().take(6) {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for r in 1..12u32 {
            sheet.write_string(r, 0, format!("L{r}")).unwrap();
            sheet.write_string(r, 1, "crew_wages").unwrap();
            sheet.write_number(r, 2, 1_500_000.75).unwrap();
            sheet.write_string(r, 3, "KZT").unwrap();
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 5, 1).unwrap();
            let format = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
            sheet
                .write_datetime_with_format(r, 4, &date, &format)
                .unwrap();
            sheet.write_string(r, 5, "KZ").unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let lines = read(&bytes).unwrap();
        assert_eq!(lines.len(), 11);
        assert_eq!(lines[5].0, 7, "the sixth line is the sheet's row 7");
        assert_eq!(
            lines[0].1,
            json!({"id": "L1", "category": "crew_wages", "amount": "1500000.75", "currency": "KZT", "paid_on": "2026-05-01", "vendor_country": "KZ"})
        );
    }
}
