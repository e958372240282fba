//! One file (or folder) per screen: it parses its query or form, calls the same core function
//! as its JSON twin and renders its template. A screen never imports another screen: what two
//! screens share lives beside them (`words`, `curve`, `pools`, `saved`, `cabinet`, `session`,
//! `page`, `i18n`), and `scripts/circles.py` checks it.

pub mod audit;
pub mod box_office;
pub mod cases;
pub mod cinema;
pub mod cinemas;
pub mod claim;
pub mod claim_page;
pub mod commission;
pub mod daily_report;
pub mod film;
pub mod films;
pub mod glossary;
pub mod head_count;
pub mod how;
pub mod ministry;
pub mod ministry_cinemas;
pub mod people;
pub mod producer;
pub mod producer_film;
pub mod productions;
pub mod programmes;
pub mod rebates;
pub mod registry;
pub mod sales;
pub mod sign_in;
pub mod signals;
pub mod upload;
pub mod vendors;
