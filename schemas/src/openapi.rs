//! OpenAPI schemas of the shared newtypes, as they appear on the wire (strings), for the
//! API's generated document (feature `openapi`).

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// No control character (Unicode Cc), as the ids refuse.
pub const NO_CONTROL: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// Text with something besides spaces in it and no control character, as the registry's
/// names and numbers refuse after trimming.
pub const TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// The custom format of a BIN: 12 digits whose last is the check digit (domain.md). A
/// fuzzer is taught it (`scripts/schemathesis_hooks.py`), since a pattern cannot say it.
pub const BIN_FORMAT: &str = "kz-bin";

fn string(pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([serde_json::json!(example)])
        .into()
}

impl utoipa::PartialSchema for crate::Kzt {
    fn schema() -> RefOr<Schema> {
        string(
            r"^-?[0-9]+\.[0-9]{2}$",
            "an amount of tenge, exactly two decimals",
            "1234.50",
        )
    }
}
impl utoipa::ToSchema for crate::Kzt {}

impl utoipa::PartialSchema for crate::Bin {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{12}$"))
            .format(Some(utoipa::openapi::schema::SchemaFormat::Custom(
                BIN_FORMAT.into(),
            )))
            .description(Some(
                "a Kazakh business identification number (12 digits, checksummed)",
            ))
            .examples([serde_json::json!("980340001119")])
            .into()
    }
}
impl utoipa::ToSchema for crate::Bin {}

impl utoipa::PartialSchema for crate::FilmId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(crate::FilmId::MAX_LEN))
            .pattern(Some(NO_CONTROL))
            .description(Some("a film's distribution certificate number"))
            .into()
    }
}
impl utoipa::ToSchema for crate::FilmId {}
